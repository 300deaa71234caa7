"""Demand intake: one event or a list of up to 1,000 per request, validated in one pass.

A list is all or nothing: every item is checked first (SKUs resolved with one
query), and if any is wrong the answer is 400 naming each item and field at
fault, and nothing is stored. A valid list is stored by one bulk insert.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

from production.api.serializers import (
    DemandEventInputSerializer,
    demand_quantity_limit,
    demand_time_window,
)
from production.models import DemandEvent, Product
from production.services.demand import (
    DemandBySku,
    RecordedDemand,
    UnknownProducts,
    archived_message,
    demand_record_by_sku,
)

MAX_ITEMS = 1000


def parse_items(data: Any) -> tuple[list[DemandBySku], bool]:
    """Validate a body (one object or a list); returns the inputs and whether it was a list.

    SKUs are resolved when the events are stored (`record`); when a field is wrong
    they are checked here too, so that one answer names every fault.
    """
    many = isinstance(data, list)
    items = data if many else [data]
    if many and not items:
        raise ValidationError({"": ["Send at least one event."]})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"": [f"Send at most {MAX_ITEMS} events per request."]})
    child = DemandEventInputSerializer()
    limits = Limits.now()
    errors: dict[int, Any] = {}
    valid: list[dict[str, Any] | None] = []
    for index, item in enumerate(items):
        checked = quick_check(item, limits)
        if checked is not None:
            valid.append(checked)
            continue
        try:  # anything unusual gets the serializer's full validation and messages
            valid.append(child.run_validation(item))
        except ValidationError as exc:
            errors[index] = exc.detail
            valid.append(None)
    if many:
        errors.update(_conflicting_repeats(valid))
    if errors:
        skus = {v["product"] for v in valid if v}
        known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
        for index, item in enumerate(valid):
            if item is not None and item["product"] not in known:
                errors[index] = {**errors.get(index, {}), **_unknown_sku(item["product"])}
        raise _item_errors(errors, many)
    now = timezone.now()
    inputs = [
        DemandBySku(
            sku=item["product"],
            quantity=item["quantity"],
            occurred_at=item.get("occurred_at") or now,
            external_id=item["external_id"],
            source=item["source"],
            location=item.get("location") or None,
        )
        for item in valid
        if item is not None
    ]
    return inputs, many


def _conflicting_repeats(valid: Sequence[dict[str, Any] | None]) -> dict[int, Any]:
    """Items of one list that repeat an earlier item's (source, external_id) with other
    content: the ERP means two different events, so neither is taken. An exact repeat is
    harmless (it is stored once)."""
    first: dict[tuple[str, str], int] = {}
    errors: dict[int, Any] = {}
    for index, item in enumerate(valid):
        if item is None:
            continue
        key = (item["source"], item["external_id"])
        earlier = first.setdefault(key, index)
        if earlier == index or _content(valid[earlier]) == _content(item):
            continue
        message = gettext(
            "Items [%(first)d] and [%(second)d] have the same source and external_id but "
            "different content."
        ) % {"first": earlier, "second": index}
        errors[earlier] = errors[index] = {"external_id": [message]}
    return errors


def _content(item: dict[str, Any] | None) -> tuple[Any, ...]:
    assert item is not None
    return (item["product"], item["quantity"], item.get("occurred_at"), item.get("location"))


def _unknown_sku(sku: str) -> dict[str, list[str]]:
    return {"product": [f"No product has SKU {sku!r}."]}


def _item_errors(errors: dict[int, Any], many: bool) -> ValidationError:
    if not many:
        return ValidationError(errors[0])
    return ValidationError({f"[{index}]": detail for index, detail in sorted(errors.items())})


FIELDS = frozenset({"external_id", "source", "product", "quantity", "occurred_at"})
PLAIN_QUANTITY = re.compile(r"^[0-9]{1,11}(\.[0-9]{1,3})?$")
# An ISO 8601 time with its offset, in the common extended form only.
PLAIN_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
ZERO = Decimal("0")


def _plain_text(value: Any, max_length: int) -> bool:
    return (
        type(value) is str
        and 0 < len(value) <= max_length
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
    )


@dataclass(frozen=True)
class Limits:
    """What one request accepts (read once per request, from the settings)."""

    max_quantity: Decimal
    oldest: datetime
    latest: datetime

    @classmethod
    def now(cls) -> Limits:
        oldest, latest = demand_time_window(timezone.now())
        return cls(demand_quantity_limit(), oldest, latest)


def quick_check(item: Any, limits: Limits) -> dict[str, Any] | None:
    """The common, well-formed event, checked fast; None sends it to the serializer.

    Accepts a strict subset of what `DemandEventInputSerializer` accepts, with the
    same result, so the two paths never disagree; a 1,000-event list is mostly this.
    """
    if type(item) is not dict or not item.keys() <= FIELDS:
        return None
    external_id, product = item.get("external_id"), item.get("product")
    source = item.get("source", "erp")
    if not (_plain_text(external_id, 128) and _plain_text(product, 64) and _plain_text(source, 64)):
        return None
    raw_quantity = item.get("quantity")
    if type(raw_quantity) is int and 0 < raw_quantity < 10**11:
        quantity = Decimal(raw_quantity)
    elif type(raw_quantity) is str and PLAIN_QUANTITY.match(raw_quantity):
        quantity = Decimal(raw_quantity)
        if quantity <= ZERO:
            return None
    else:
        return None
    if quantity > limits.max_quantity:
        return None
    checked = {
        "external_id": external_id,
        "source": source,
        "product": product,
        "quantity": quantity,
    }
    if "occurred_at" in item:
        raw_time = item["occurred_at"]
        if type(raw_time) is not str or not PLAIN_TIME.match(raw_time):
            return None
        try:
            occurred_at = datetime.fromisoformat(raw_time)
            if not limits.oldest <= occurred_at <= limits.latest:
                return None
        except (ValueError, OverflowError):
            return None
        checked["occurred_at"] = occurred_at
    return checked


def record(inputs: Sequence[DemandBySku], many: bool) -> list[RecordedDemand]:
    try:
        return demand_record_by_sku(inputs)
    except UnknownProducts as exc:
        errors = {index: _unknown_sku(sku) for index, sku in exc.unknown.items()}
        errors.update(
            {index: {"product": [archived_message(sku)]} for index, sku in exc.archived.items()}
        )
        raise _item_errors(errors, many) from None


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_data(event: DemandEvent, sku: str, result: str | None = None) -> dict[str, Any]:
    """The event as the API shows it (built by hand: a 1,000-item answer must be quick).

    Same shape and formats as `DemandEventResultSerializer`.
    """
    data = {
        "id": event.pk,
        "external_id": event.external_id,
        "source": event.source,
        "product": sku,
        "location": event.location.code if event.location is not None else None,
        "quantity": f"{Decimal(event.quantity):.3f}",
        "occurred_at": _time(event.occurred_at),
        "status": event.status,
        "backordered_quantity": f"{Decimal(event.backordered_quantity):.3f}",
        "open_backorder_quantity": f"{Decimal(event.open_backorder_quantity):.3f}",
        "processed_at": _time(event.processed_at) if event.processed_at else None,
        "created_at": _time(event.created_at),
    }
    if result is not None:
        data["result"] = result
    return data


def results_data(recorded: Sequence[RecordedDemand]) -> list[dict[str, Any]]:
    return [event_data(r.event, r.sku, "created" if r.created else "duplicate") for r in recorded]
