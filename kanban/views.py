"""Shop-floor pages: the board and its moves, the scan page, print sheets, lost cards.

Thin: parse, call one service or selector, render. The live stream is in `stream.py`.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections import OrderedDict
from typing import Any

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from kanban.codes import code128_svg_data_uri
from kanban.forms import BoardOrderForm, CardMoveForm, LostCardsForm, PrintForm, SignalsForm
from kanban.models import CardEvent, CardEventSource, CardStatus, KanbanCard
from kanban.selectors import board as board_selectors
from kanban.selectors import cards as card_selectors
from kanban.selectors import signals as signal_selectors
from kanban.selectors.board_supply import purchased_parts
from kanban.services import card_move
from kanban.services.undo import (
    FINISH,
    MARK_EMPTY,
    OPEN,
    START,
    undo_kind,
    undo_seconds,
    undoable,
)
from production.errors import DomainError
from production.idempotency import idempotent_page
from production.models import ProductionLine, WorkOrder, WorkOrderOrigin
from production.roles import OPERATOR, PLANNER, role_required
from production.services import work_order_complete, work_order_start


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


SHOP_FLOOR = (OPERATOR, PLANNER)  # admins pass every role check
CARDS_PER_SHEET = 8


def _line_or_404(code: str) -> ProductionLine:
    line = board_selectors.board_line(code)
    if line is None:
        raise Http404(f"There is no line {code!r}.")
    return line


class _RenderedColumns:
    """The columns fragment as last rendered, per board fingerprint, in this process.

    The fragment is the same for everyone who reads the page's language (nothing else
    in it depends on who asks), so the boards that fetch one version of a line cost one
    render and one gzip per language: after a change every board that could not apply
    it live fetches the same version at once. A render per fingerprint and language at a
    time; a few versions are kept.
    """

    KEEP = 16

    def __init__(self) -> None:
        self._bodies: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Lock] = {}

    def get(self, line: ProductionLine, etag: str | None) -> tuple[str, bytes, bytes]:
        """(fingerprint, HTML, gzipped HTML) of the line's columns, in the active language."""
        language = get_language()
        if etag is None:  # after a write: read the board to learn its fingerprint
            return self._render(line, None, language)
        key = f"{language}:{etag}"
        with self._lock:
            hit = self._bodies.get(key)
            if hit is None:
                one_render = self._rendering.setdefault(key, threading.Lock())
        if hit is not None:
            return etag, *hit
        with one_render:
            with self._lock:
                hit = self._bodies.get(key)
            if hit is not None:
                return etag, *hit
            try:
                return self._render(line, etag, language)
            finally:
                with self._lock:
                    self._rendering.pop(key, None)

    def _render(
        self, line: ProductionLine, etag: str | None, language: str
    ) -> tuple[str, bytes, bytes]:
        board = board_selectors.board_for_line(line, etag=etag)
        html = render_to_string("kanban/_columns.html", {"board": board}).encode()
        bodies = (html, gzip.compress(html, compresslevel=6))
        key = f"{language}:{board.etag}"
        with self._lock:
            self._bodies[key] = bodies
            self._bodies.move_to_end(key)
            while len(self._bodies) > self.KEEP:
                self._bodies.popitem(last=False)
        return board.etag, *bodies


rendered_columns = _RenderedColumns()


def _columns_response(
    request: HttpRequest, line: ProductionLine, *, status: int = 200, etag: str | None = None
) -> HttpResponse:
    etag, html, gzipped = rendered_columns.get(line, etag)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(gzipped, status=status, content_type="text/html; charset=utf-8")
        response["Content-Encoding"] = "gzip"
        response["ETag"] = f'W/"{etag}"'  # compressed: a weak validator, as gzip_page does
    else:
        response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
        response["ETag"] = f'"{etag}"'
    patch_vary_headers(response, ["Accept-Encoding"])
    response["Cache-Control"] = "no-cache"
    return response


@role_required(*SHOP_FLOOR)
@require_GET
def board_index(request: HttpRequest) -> HttpResponse:
    context = {"lines": board_selectors.board_lines(), "purchased": purchased_parts()}
    return render(request, "kanban/board_index.html", context)


@gzip_page  # a board of 500 cards is ~560 KiB of HTML, ~25 KiB gzipped
@role_required(*SHOP_FLOOR)
@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    line = _line_or_404(code)
    context = {"board": board_selectors.board_for_line(line), "wall": "wall" in request.GET}
    return render(request, "kanban/board.html", context)


@gzip_page
@role_required(*SHOP_FLOOR)
@require_GET
def board_lane(request: HttpRequest, code: str, product_id: int) -> HttpResponse:
    """One swimlane with its cards: a folded lane fetches them when it is opened."""
    line = _line_or_404(code)
    board = board_selectors.board_for_line(line)
    lane = next((lane for lane in board.swimlanes if lane.product_id == product_id), None)
    if lane is None:
        raise Http404(f"Line {code!r} has no lane {product_id}.")
    lane.deferred = False
    return render(request, "kanban/_lane.html", {"board": board, "lane": lane})


@gzip_page
@role_required(*SHOP_FLOOR)
@require_GET
def board_columns(request: HttpRequest, code: str) -> HttpResponse:
    """The changing part of the board; 304 when nothing changed (the polling fallback)."""
    line = _line_or_404(code)
    etag = board_selectors.board_etag(line)
    seen = parse_etags(request.headers.get("If-None-Match", ""))
    if f'"{etag}"' in seen or f'W/"{etag}"' in seen:
        response = HttpResponseNotModified()
        response["ETag"] = f'"{etag}"'
        return response
    return _columns_response(request, line, etag=etag)


def _stored_move(response: HttpResponse) -> dict[str, str]:
    return {"trigger": response.get("HX-Trigger", "")}


def _replay_move(request: HttpRequest, body: dict[str, str]) -> HttpResponse:
    """A move already applied under this key: the board as it is now, and the same news."""
    moved = json.loads(body["trigger"] or "{}").get("pb-moved", {})
    card = KanbanCard.objects.select_related("loop__product__line").filter(pk=moved.get("card"))
    found = card.first()
    if found is None or found.loop.product.line is None:  # none: a purchased product's card
        return HttpResponse(status=204)
    response = _columns_response(request, found.loop.product.line)
    response["HX-Trigger"] = body["trigger"]
    return response


@gzip_page
@role_required(*SHOP_FLOOR)
@require_POST
@idempotent_page(stored_body=_stored_move, replay=_replay_move)
def card_move_view(request: HtmxHttpRequest, card_id: int) -> HttpResponse:
    """Move a card from the board (drag and drop or its buttons); answers the new columns.

    A refused move answers 400/409/412 with the columns as they now are, so the card
    shows where it really is, and an `HX-Trigger` event carrying the reason.
    """
    card = KanbanCard.objects.select_related("loop__product__line").filter(pk=card_id).first()
    if card is None:
        return _refused(
            request, None, {"message": _("This card no longer exists."), "code": "not_found"}, 404
        )
    line, sku = card.loop.product.line, card.loop.product.sku
    form = CardMoveForm(request.POST)
    if not form.is_valid():
        detail = {"message": _("That move was not understood."), "code": "invalid", "card": card_id}
        return _refused(request, line, detail, 400)
    to = form.cleaned_data["to"]
    try:
        moved = card_move(
            card_id=card_id,
            to=to,
            actor_id=request.user.pk,
            source=CardEventSource.BOARD,
            expected_version=form.cleaned_data["version"],
            wip_override_reason=form.cleaned_data["wip_override_reason"],
        )
    except DomainError as error:
        detail = {"message": error.message, "code": error.code, "card": card_id, "to": to}
        return _refused(
            request, line, detail, 404 if error.code == "not_found" else error.status_code
        )
    label = CardStatus(moved.status).label
    message = _("%(sku)s card %(number)s moved to %(status)s.") % {
        "sku": sku,
        "number": moved.number,
        "status": str(label).lower(),
    }
    if not request.htmx or line is None:  # a purchased product's card: on no line's board
        messages.success(request, message)
        return redirect("kanban:board", code=line.code) if line else redirect("kanban:boards")
    response = _columns_response(request, line)
    moved_detail: dict[str, Any] = {"message": message, "card": card_id}
    event = CardEvent.objects.filter(card_id=card_id).order_by("-id").first()
    if event is not None and undoable(event, actor_id=request.user.pk):
        moved_detail["undo"] = {
            "text": str(UNDO_TEXT[undo_kind(event) or MARK_EMPTY]),
            "url": reverse("kanban:card-undo", args=[card_id]),
            "event": event.pk,
            "seconds": undo_seconds(),
            "label": _("Undo"),
        }
    response["HX-Trigger"] = json.dumps({"pb-moved": moved_detail})
    return response


# What the undo note on the card says of the move it would take back.
UNDO_TEXT = {
    MARK_EMPTY: gettext_lazy("Marked empty."),
    START: gettext_lazy("Started."),
    FINISH: gettext_lazy("Finished."),
    OPEN: gettext_lazy("Opened."),
}

ORDER_ACTIONS = {"start": work_order_start, "finish": work_order_complete}


@gzip_page
@role_required(*SHOP_FLOOR)
@require_POST
def board_order_view(
    request: HtmxHttpRequest, code: str, order_id: int, action: str
) -> HttpResponse:
    """Start or finish a push work order from its line's board, through the work-order
    services (their locks and version check: `version`, or `If-Match` as in the API)."""
    line = _line_or_404(code)
    service = ORDER_ACTIONS.get(action)
    order = (
        WorkOrder.objects.filter(pk=order_id, line=line)
        .exclude(origin=WorkOrderOrigin.KANBAN)
        .only("pk", "product__sku")
        .select_related("product")
        .first()
    )
    if service is None or order is None:
        detail = {
            "message": _("This line has no such push work order."),
            "code": "not_found",
            "order": order_id,
        }
        return _refused(request, line, detail, 404)
    form = BoardOrderForm(request.POST)
    if_match = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not form.is_valid() or (if_match and not if_match.isdigit()):
        detail = {
            "message": _("The version is not a number."),
            "code": "invalid",
            "field": "version",
            "order": order_id,
        }
        return _refused(request, line, detail, 400)
    version = int(if_match) if if_match else form.cleaned_data["version"]
    try:
        done = service(work_order_id=order.pk, actor_id=request.user.pk, expected_version=version)
    except DomainError as error:
        detail = {"message": error.message, "code": error.code, "order": order_id}
        return _refused(request, line, detail, error.status_code)
    message = _("WO-%(id)s (%(sku)s) is %(status)s.") % {
        "id": done.pk,
        "sku": order.product.sku,
        "status": done.get_status_display().lower(),
    }
    if not request.htmx:
        messages.success(request, message)
        return redirect("kanban:board", code=line.code)
    response = _columns_response(request, line)
    response["HX-Trigger"] = json.dumps({"pb-moved": {"message": message, "order": order_id}})
    return response


def _refused(
    request: HtmxHttpRequest, line: ProductionLine | None, detail: dict[str, Any], status: int
) -> HttpResponse:
    if not request.htmx:
        messages.error(request, detail["message"])
        return redirect("kanban:board", code=line.code) if line else redirect("kanban:boards")
    response = (
        _columns_response(request, line, status=status) if line else HttpResponse(status=status)
    )
    response["HX-Trigger"] = json.dumps({"pb-move-refused": detail})
    return response


@role_required(*SHOP_FLOOR)
@require_GET
def signals(request: HttpRequest) -> HttpResponse:
    """Every waiting pull signal of the plant, longest waiting first (supervisors)."""
    form = SignalsForm(request.GET)
    if not form.is_valid():
        return render(request, "kanban/signals.html", {"form": form, "page": None}, status=400)
    page = signal_selectors.waiting_signals(
        line_code=form.cleaned_data["line"], query=form.cleaned_data["q"]
    )
    return render(request, "kanban/signals.html", {"form": form, "page": page})


@role_required(*SHOP_FLOOR)
@require_GET
def print_cards(request: HttpRequest) -> HttpResponse:
    """Printable cards of a loop or a line, several per A4 or Letter page, with QR codes."""
    form = PrintForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    cards = card_selectors.cards_to_print(
        line_code=data.get("line") or "", loop_id=data.get("loop"), card_ids=data.get("card")
    )
    printable = []
    for card in cards:
        code = card_selectors.scan_code(card.pk)
        qr = segno.make(code, error="m").svg_data_uri(scale=6, border=2)
        printable.append(
            {"card": card, "code": code, "qr": qr, "barcode": code128_svg_data_uri(code)}
        )
    sheets = [printable[i : i + CARDS_PER_SHEET] for i in range(0, len(printable), CARDS_PER_SHEET)]
    context = {
        "form": form,
        "sheets": sheets,
        "count": len(printable),
        "paper": data.get("paper") or "a4",
        "lines": card_selectors.all_lines(),
        "loops": card_selectors.all_loops(),
        "chosen": bool(data.get("line") or data.get("loop") or data.get("card")),
    }
    return render(request, "kanban/print.html", context)


@role_required(PLANNER)
@require_GET
def lost_cards(request: HttpRequest) -> HttpResponse:
    """Cards nobody scanned or moved for a while: lost, or a loop with too many cards."""
    form = LostCardsForm(request.GET)
    if not form.is_valid():
        return render(request, "kanban/lost_cards.html", {"form": form, "cards": None}, status=400)
    days, line = form.cleaned_data["days"], form.cleaned_data.get("line") or ""
    context = {
        "form": form,
        "days": days,
        "line": line,
        "cards": card_selectors.lost_cards_page(
            days=days, line_code=line, page=request.GET.get("page") or 1
        ),
        "lines": card_selectors.all_lines(),
    }
    return render(request, "kanban/lost_cards.html", context)
