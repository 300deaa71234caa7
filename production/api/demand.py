"""Demand intake: one event or a list of up to 1,000 per request, validated in one pass.

A list is all or nothing: every item is checked first (SKUs resolved with one
query), and if any is wrong the answer is 400 naming each item and field at
fault, and nothing is stored. A valid list is stored by one bulk insert.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.exceptions import ValidationError

from production.api.serializers import DemandEventInputSerializer
from production.models import DemandEvent, Product
from production.services.demand import (
    DemandBySku,
    RecordedDemand,
    UnknownProducts,
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
    errors: dict[int, Any] = {}
    valid: list[dict[str, Any] | None] = []
    for index, item in enumerate(items):
        checked = quick_check(item)
        if checked is not None:
            valid.append(checked)
            continue
        try:  # anything unusual gets the serializer's full validation and messages
            valid.append(child.run_validation(item))
        except ValidationError as exc:
            errors[index] = exc.detail
            valid.append(None)
    if errors:
        skus = {v["product"] for v in valid if v}
        known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
        for index, item in enumerate(valid):
            if item is not None and item["product"] not in known:
                errors[index] = _unknown_sku(item["product"])
        raise _item_errors(errors, many)
    now = timezone.now()
    inputs = [
        DemandBySku(
            sku=item["product"],
            quantity=item["quantity"],
            occurred_at=item.get("occurred_at") or now,
            external_id=item["external_id"],
            source=item["source"],
        )
        for item in valid
        if item is not None
    ]
    return inputs, many


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


def quick_check(item: Any) -> dict[str, Any] | None:
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
        except ValueError:
            return None
        checked["occurred_at"] = occurred_at
    return checked


def record(inputs: Sequence[DemandBySku], many: bool) -> list[RecordedDemand]:
    try:
        return demand_record_by_sku(inputs)
    except UnknownProducts as exc:
        raise _item_errors(
            {index: _unknown_sku(sku) for index, sku in exc.unknown.items()}, many
        ) from None


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
