"""Filters of the supply lists; each has an index with the cursor's order (`-id`)."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import Q, QuerySet
from django.utils import timezone

from production.api.filters import CodeFilter, sku_filter
from production.models import Location
from production.supply.models import CallOff, CallOffStatus, Supplier, TransferOrder, TransferStatus


def _place(field_name: str) -> CodeFilter:
    return CodeFilter(
        field_name=field_name, model=Location, code_field="code", help_text="Location code."
    )


class LateFilter(df.BooleanFilter):
    """`late=true`: marked late or still open past due; `late=false`: the others."""

    def __init__(self, *args: Any, open_statuses: tuple[str, ...], **kwargs: Any) -> None:
        self.open_statuses = open_statuses
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: bool | None) -> QuerySet[Any]:
        if value is None:
            return qs
        late = Q(late_at__isnull=False) | Q(
            status__in=self.open_statuses, due_at__lt=timezone.now()
        )
        return qs.filter(late) if value else qs.exclude(late)


class SupplierFilter(df.FilterSet):
    archived = df.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Supplier
        fields = ["archived"]


class CallOffFilter(df.FilterSet):
    supplier = CodeFilter(
        field_name="supplier_id", model=Supplier, code_field="code", help_text="Supplier code."
    )
    product = sku_filter()
    status = df.MultipleChoiceFilter(choices=CallOffStatus.choices, distinct=False)
    late = LateFilter(open_statuses=CallOff.OPEN_STATUSES, help_text="Late (or not).")
    due_before = df.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = CallOff
        fields = ["supplier", "product", "status"]


class TransferOrderFilter(df.FilterSet):
    product = sku_filter()
    from_location = _place("from_location_id")
    to_location = _place("to_location_id")
    status = df.MultipleChoiceFilter(choices=TransferStatus.choices, distinct=False)
    late = LateFilter(open_statuses=TransferOrder.OPEN_STATUSES, help_text="Late (or not).")
    due_before = df.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = TransferOrder
        fields = ["product", "from_location", "to_location", "status"]
