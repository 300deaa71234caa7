"""Filters of the list endpoints: by product (SKU), line (code), status and time."""

from __future__ import annotations

import django_filters as df

from production.models import (
    DemandEvent,
    DemandStatus,
    LineMode,
    MoveKind,
    Product,
    ProductionLine,
    StockLevel,
    StockMove,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)


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
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    line = df.CharFilter(field_name="line__code", help_text="Line code.")
    status = df.MultipleChoiceFilter(choices=WorkOrderStatus.choices)
    origin = df.ChoiceFilter(choices=WorkOrderOrigin.choices)
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WorkOrder
        fields = ["product", "line", "status", "origin"]


class DemandEventFilter(df.FilterSet):
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    line = df.CharFilter(field_name="product__line__code", help_text="Line code.")
    source = df.CharFilter()
    external_id = df.CharFilter()
    status = df.MultipleChoiceFilter(choices=DemandStatus.choices)
    occurred_after = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = df.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = DemandEvent
        fields = ["product", "line", "source", "external_id", "status"]


class BackorderFilter(df.FilterSet):
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    line = df.CharFilter(field_name="product__line__code", help_text="Line code.")
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
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    line = df.CharFilter(field_name="product__line__code", help_text="Line code.")
    location = df.CharFilter(field_name="location__code", help_text="Location code.")
    kind = df.MultipleChoiceFilter(choices=MoveKind.choices)
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockMove
        fields = ["product", "line", "location", "kind"]
