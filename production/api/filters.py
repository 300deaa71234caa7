"""Filters of the list endpoints: by product (SKU), line (code), status and time."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import Model, QuerySet

from production.models import (
    DemandEvent,
    DemandStatus,
    LineMode,
    Location,
    MoveKind,
    Product,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)


class CodeFilter(df.CharFilter):
    """A filter by a related row's code (SKU, line or location code), resolved to its id
    first (one small query): the filter becomes `product_id = 42`, which PostgreSQL plans
    from that value's own statistics and serves with the (product_id, id) index in the
    cursor's `-id` order. A join on the product table, or the id as a subquery, is planned
    blind and can walk millions of rows backwards for a quiet product or line."""

    def __init__(self, *args: Any, model: type[Model], code_field: str, **kwargs: Any) -> None:
        self.code_model, self.code_field = model, code_field
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value in ([], (), {}, "", None):
            return qs
        found = (
            self.code_model._default_manager.filter(**{self.code_field: value})
            .values_list("pk", flat=True)
            .first()
        )
        return qs.none() if found is None else qs.filter(**{self.field_name: found})


class LineProductsFilter(df.CharFilter):
    """A filter by the line of the row's product: `product_id IN (the line's products)`,
    the ids read first for the same reason as `CodeFilter`.

    PostgreSQL cannot order rows of many products by id from the (product_id, id) index, so
    for a quiet line it would walk the whole table backwards looking for a page. The rows
    are probed first (at most `FEW` ids, from the product index): a quiet line's rows are
    then read by their ids; a busy line's page is found within the newest rows anyway.
    """

    FEW = 5_000

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value in ([], (), {}, "", None):
            return qs
        products = list(Product.objects.filter(line__code=value).values_list("pk", flat=True))
        if not products:
            return qs.none()
        rows = qs.filter(**{f"{self.field_name}__in": products})
        few = list(rows.order_by().values_list("pk", flat=True)[: self.FEW])
        return qs.filter(pk__in=few) if len(few) < self.FEW else rows


def sku_filter(field_name: str = "product_id") -> CodeFilter:
    return CodeFilter(
        field_name=field_name, model=Product, code_field="sku", help_text="Product SKU."
    )


def line_filter(field_name: str = "line_id") -> CodeFilter:
    return CodeFilter(
        field_name=field_name, model=ProductionLine, code_field="code", help_text="Line code."
    )


def location_filter() -> CodeFilter:
    return CodeFilter(
        field_name="location_id", model=Location, code_field="code", help_text="Location code."
    )


def product_line_filter(field_name: str = "product_id") -> LineProductsFilter:
    return LineProductsFilter(field_name=field_name, help_text="Line code.")


class ArchivedFilter(df.ChoiceFilter):
    """`?archived=true` or `false` (anything else is a 400 naming it): archived rows
    (`archived_at` set) or the others."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("help_text", "Archived (true) or active (false) only.")
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value in ("", None):
            return qs
        return qs.filter(archived_at__isnull=value != "true")


class ProductFilter(df.FilterSet):
    line = df.CharFilter(field_name="line__code", help_text="Line code.")
    sku = df.CharFilter(field_name="sku", lookup_expr="istartswith", help_text="SKU prefix.")

    class Meta:
        model = Product
        fields = ["line", "sku"]


class LineFilter(df.FilterSet):
    mode = df.ChoiceFilter(choices=LineMode.choices)

    class Meta:
        model = ProductionLine
        fields = ["mode"]


class WorkOrderFilter(df.FilterSet):
    product = sku_filter()
    line = line_filter()
    status = df.MultipleChoiceFilter(choices=WorkOrderStatus.choices, distinct=False)
    origin = df.ChoiceFilter(choices=WorkOrderOrigin.choices)
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WorkOrder
        fields = ["product", "line", "status", "origin"]


class DemandEventFilter(df.FilterSet):
    product = sku_filter()
    line = product_line_filter()
    source = df.CharFilter()
    external_id = df.CharFilter()
    status = df.MultipleChoiceFilter(choices=DemandStatus.choices, distinct=False)
    occurred_after = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = DemandEvent
        fields = ["product", "line", "source", "external_id", "status"]


class BackorderFilter(df.FilterSet):
    product = sku_filter()
    line = product_line_filter()
    occurred_after = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = DemandEvent
        fields = ["product", "line"]


class StockLevelFilter(df.FilterSet):
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    line = df.CharFilter(field_name="product__line__code", help_text="Line code.")
    location = df.CharFilter(field_name="location__code", help_text="Location code.")

    class Meta:
        model = StockLevel
        fields = ["product", "line", "location"]


class StockMoveFilter(df.FilterSet):
    product = sku_filter()
    line = product_line_filter()
    location = location_filter()
    kind = df.MultipleChoiceFilter(choices=MoveKind.choices, distinct=False)
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockMove
        fields = ["product", "line", "location", "kind"]
