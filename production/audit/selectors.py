"""History entries of one object, shaped for the API: who, when, what changed.

A page of history rows is read in one query with the key of each row's predecessor
(a subquery); the predecessors in a second query; the codes the foreign keys point to
in one query per related model. So a page costs the same whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery

CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
# How an ERP names what a foreign key points to (the API's lookup fields).
NATURAL_KEYS = ("sku", "code", "username")


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    type: str
    at: datetime
    user: str | None
    reason: str | None
    changes: list[Change]


def history_records(history: QuerySet[Any]) -> QuerySet[Any]:
    """An object's history rows (`obj.history.all()`), each with its predecessor's key."""
    model = history.model
    previous = model.objects.filter(
        id=OuterRef("id"), history_id__lt=OuterRef("history_id")
    ).order_by("-history_id")
    return history.select_related("history_user").annotate(
        previous_history_id=Subquery(previous.values("history_id")[:1])
    )


def _tracked(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model.tracked_fields if not f.primary_key]  # type: ignore[attr-defined]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _natural_keys(fields: list[models.Field[Any, Any]], rows: list[Any]) -> dict[Any, dict]:
    """{field: {pk: code}} for the foreign keys among `fields` whose target has a code."""
    names: dict[Any, dict[Any, Any]] = {}
    for field in fields:
        if not field.is_relation or field.related_model is None:
            continue
        target = field.related_model
        key = next((k for k in NATURAL_KEYS if hasattr(target, k)), None)
        ids = {getattr(row, field.attname) for row in rows} - {None}
        if key is None or not ids:
            continue
        names[field] = dict(
            target._default_manager.filter(pk__in=ids).values_list("pk", key)  # type: ignore[union-attr]
        )
    return names


def history_entries(records: list[Any]) -> list[HistoryEntry]:
    """The entries of a page of `history_records`, newest first as given."""
    if not records:
        return []
    model = type(records[0])
    fields = _tracked(model)
    wanted = [r.previous_history_id for r in records if r.previous_history_id is not None]
    previous = {p.history_id: p for p in model.objects.filter(history_id__in=wanted)}
    names = _natural_keys(fields, [*records, *previous.values()])

    def value(row: Any, field: models.Field[Any, Any]) -> Any:
        raw = getattr(row, field.attname)
        if field in names and raw is not None:
            return names[field].get(raw, raw)
        return _plain(raw)

    entries = []
    for record in records:
        before = previous.get(record.previous_history_id)
        kind = CHANGE_TYPES[record.history_type]
        if kind == "deleted":
            changes = [Change(f.name, value(record, f), None) for f in fields]
        elif before is None:  # created, or the first row of data older than the trail
            changes = [Change(f.name, None, value(record, f)) for f in fields]
        else:
            changes = [
                Change(f.name, value(before, f), value(record, f))
                for f in fields
                if getattr(before, f.attname) != getattr(record, f.attname)
            ]
        user = record.history_user
        entries.append(
            HistoryEntry(
                id=record.history_id,
                type=kind,
                at=record.history_date,
                user=user.get_username() if user is not None else None,
                reason=record.history_change_reason,
                changes=changes,
            )
        )
    return entries
