"""Products, lines, BOMs, locations, the stock ledger, work orders and demand.

Rules the database can hold are constraints here; rules of the domain live in
`production.services`, never in `save()`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from production.audit.records import AuditHistory
from production.validators import SKU_MAX_LENGTH, validate_sku

QUANTITY: dict[str, Any] = {"max_digits": 14, "decimal_places": 3}
POSITIVE = [MinValueValidator(Decimal("0.001"))]


class LineMode(models.TextChoices):
    PULL = "pull", _("Pull (kanban)")
    PUSH = "push", _("Push (forecast)")


class ProductionLine(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    mode = models.CharField(max_length=8, choices=LineMode.choices, default=LineMode.PULL)
    capacity_per_day = models.DecimalField(**QUANTITY, validators=POSITIVE)
    wip_limit = models.PositiveIntegerField(
        help_text="Most work orders in process at once; a move past it needs a reason."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditHistory()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_per_day__gt=0), name="line_capacity_positive"
            ),
            models.CheckConstraint(condition=Q(wip_limit__gt=0), name="line_wip_limit_positive"),
            models.CheckConstraint(condition=Q(mode__in=LineMode.values), name="line_mode_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class LineModeSwitch(models.Model):
    """The audited history of a line's mode: who switched, when, why."""

    line = models.ForeignKey(ProductionLine, on_delete=models.CASCADE, related_name="mode_switches")
    from_mode = models.CharField(max_length=8, choices=LineMode.choices)
    to_mode = models.CharField(max_length=8, choices=LineMode.choices)
    reason = models.TextField()
    effective_at = models.DateTimeField()
    applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When the line changed mode; empty while it is to come."
    )
    cancelled_at = models.DateTimeField(
        null=True, blank=True, help_text="A switch to come that a later one replaced."
    )
    switched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_mode=F("to_mode")), name="mode_switch_changes_mode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line.code}: {self.from_mode} -> {self.to_mode}"


class LotSizing(models.TextChoices):
    LOT_FOR_LOT = "lot_for_lot", "Lot for lot"
    FIXED = "fixed", "Fixed quantity"
    EOQ = "eoq", "Economic order quantity"
    CONTAINERS = "containers", "Whole containers"


class Product(models.Model):
    sku = models.CharField(max_length=SKU_MAX_LENGTH, unique=True, validators=[validate_sku])
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=16, default="pcs")
    line = models.ForeignKey(
        ProductionLine,
        on_delete=models.PROTECT,
        related_name="products",
        null=True,
        blank=True,
        help_text=_("The line that makes it; none for a purchased product."),
    )
    supermarket = models.ForeignKey(
        "Location",
        on_delete=models.PROTECT,
        related_name="products",
        help_text="Where its stock sits; demand consumes from here.",
    )
    container_quantity = models.DecimalField(**QUANTITY, validators=POSITIVE)
    lead_time_days = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=POSITIVE,
        help_text="Replenishment lead time: from signal to a full container back in stock.",
    )
    # Push planning parameters (used when the product's line runs in push mode).
    service_level = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.95"))
    lot_sizing = models.CharField(
        max_length=16, choices=LotSizing.choices, default=LotSizing.CONTAINERS
    )
    fixed_lot_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    setup_cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("50"))
    holding_cost_per_unit_day = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal("0.01")
    )
    components: models.ManyToManyField[Product, BomLine] = models.ManyToManyField(
        "self",
        through="BomLine",
        through_fields=("parent", "component"),
        symmetrical=False,
        related_name="used_in",
    )
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Archived: no new demand.")
    )
    history = AuditHistory()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(container_quantity__gt=0), name="product_container_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(lead_time_days__gt=0), name="product_lead_time_positive"
            ),
            models.CheckConstraint(
                condition=Q(service_level__gt=0) & Q(service_level__lt=1),
                name="product_service_level_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(fixed_lot_quantity__isnull=True) | Q(fixed_lot_quantity__gt=0),
                name="product_fixed_lot_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class BomLine(models.Model):
    """One component of a product's bill of materials: `quantity` per unit of parent."""

    parent = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bom_lines")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=POSITIVE)
    history = AuditHistory()

    class Meta:
        ordering = ["parent_id", "component__sku"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "component"], name="bom_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(parent=F("component")), name="bom_not_its_own_component"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.sku} <- {self.quantity} x {self.component.sku}"


class LocationKind(models.TextChoices):
    SUPERMARKET = "supermarket", _("Supermarket")
    WAREHOUSE = "warehouse", _("Warehouse")
    LINE_SIDE = "line_side", _("Line-side")
    STORE = "store", _("Store")


class Location(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(
        max_length=16, choices=LocationKind.choices, default=LocationKind.SUPERMARKET
    )
    archived_at = models.DateTimeField(null=True, blank=True, help_text=_("Archived: no new work."))
    history = AuditHistory()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    """On-hand stock of a product at a location: always the sum of its ledger moves."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.DecimalField(**QUANTITY, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__sku", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "location"], name="stock_level_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_level_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku}@{self.location.code}: {self.on_hand}"


class MoveKind(models.TextChoices):
    OPENING = "opening", "Opening balance"
    RECEIPT = "receipt", "Receipt"
    CONSUMPTION = "consumption", "Consumption"
    ADJUSTMENT = "adjustment", "Adjustment"


class StockMove(models.Model):
    """The append-only stock ledger. `quantity` is signed: receipts in, consumption out."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_moves")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_moves")
    kind = models.CharField(max_length=16, choices=MoveKind.choices)
    quantity = models.DecimalField(**QUANTITY)
    demand_event = models.ForeignKey(
        "DemandEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="stock_moves"
    )
    work_order = models.ForeignKey(
        "WorkOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="stock_moves"
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "location", "created_at"]),
            # The ledger API's filters, each with its cursor order (-id).
            models.Index(fields=["product", "id"], name="stock_move_product_id_idx"),
            models.Index(fields=["kind", "id"], name="stock_move_kind_id_idx"),
            # Dependent demand (components taken by work orders), as forecasts read it.
            models.Index(
                fields=["product", "created_at"],
                name="stock_move_dependent_idx",
                condition=Q(kind="consumption", work_order__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_move_not_zero"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["opening", "receipt"], quantity__gt=0)
                    | Q(kind="consumption", quantity__lt=0)
                    | Q(kind="adjustment")
                ),
                name="stock_move_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} {self.product.sku}@{self.location.code}"


class WorkOrderStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RELEASED = "released", _("Released")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkOrderOrigin(models.TextChoices):
    KANBAN = "kanban", "Kanban card"
    PUSH = "push", "Push plan"
    MANUAL = "manual", "Manual"


class WorkOrder(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="work_orders")
    line = models.ForeignKey(ProductionLine, on_delete=models.PROTECT, related_name="work_orders")
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="work_orders",
        help_text="Where the finished container is received.",
    )
    quantity = models.DecimalField(**QUANTITY, validators=POSITIVE)
    origin = models.CharField(max_length=8, choices=WorkOrderOrigin.choices)
    status = models.CharField(
        max_length=12, choices=WorkOrderStatus.choices, default=WorkOrderStatus.PLANNED
    )
    version = models.PositiveIntegerField(default=1)
    due_at = models.DateTimeField(null=True, blank=True)
    plan_explanation = models.JSONField(
        default=dict, blank=True, help_text="For push orders: the numbers the order came from."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["line", "status"]),
            models.Index(fields=["product", "status"]),
            # The API's filters, each with its cursor order (-id).
            models.Index(fields=["product", "id"], name="work_order_product_id_idx"),
            models.Index(fields=["line", "id"], name="work_order_line_id_idx"),
            models.Index(fields=["status", "id"], name="work_order_status_id_idx"),
            # A line's dashboard window (INCLUDE on PostgreSQL, 0015: index-only scans).
            models.Index(fields=["line", "created_at"], name="work_order_line_created_idx"),
            models.Index(fields=["line", "released_at"], name="work_order_line_released_idx"),
            models.Index(fields=["line", "completed_at"], name="work_order_line_done_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="work_order_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=WorkOrderStatus.values), name="work_order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=WorkOrderOrigin.values), name="work_order_origin_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"WO-{self.pk} {self.product.sku} x{self.quantity} ({self.status})"


class WorkOrderEvent(models.Model):
    """Every work-order status change, with who and when."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=WorkOrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=WorkOrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"WO-{self.work_order_id}: {self.from_status or '-'} -> {self.to_status}"


class DemandStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    FULFILLED = "fulfilled", "Fulfilled"
    BACKORDERED = "backordered", "Backordered"


class DemandEvent(models.Model):
    """A unit of real demand. Kept forever: the history forecasts, sizing and the twin read."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="demand_events")
    quantity = models.DecimalField(**QUANTITY, validators=POSITIVE)
    occurred_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=64, default="erp")
    external_id = models.CharField(max_length=128)
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where it is consumed (line-side); none: the product's supermarket."),
    )
    status = models.CharField(
        max_length=12, choices=DemandStatus.choices, default=DemandStatus.RECEIVED
    )
    backordered_quantity = models.DecimalField(
        **QUANTITY,
        default=Decimal("0"),
        help_text="What stock could not cover when the event was processed.",
    )
    open_backorder_quantity = models.DecimalField(
        **QUANTITY, default=Decimal("0"), help_text="What is still waiting for stock."
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["product", "occurred_at"]),
            # The API's filters, each with its cursor order (-id).
            models.Index(fields=["product", "id"], name="demand_product_id_idx"),
            models.Index(fields=["status", "id"], name="demand_status_id_idx"),
            models.Index(fields=["external_id"], name="demand_external_id_idx"),
            models.Index(
                fields=["id"],
                name="demand_open_backorder_id_idx",
                condition=Q(open_backorder_quantity__gt=0),
            ),
            models.Index(
                fields=["created_at"],
                name="demand_unprocessed_idx",
                condition=Q(processed_at__isnull=True),
            ),
            models.Index(
                fields=["product", "created_at"],
                name="demand_open_backorder_idx",
                condition=Q(open_backorder_quantity__gt=0),
            ),
            # The metrics' recent window of processed events (lag percentiles, rate).
            models.Index(fields=["processed_at"], name="demand_processed_at_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="demand_idempotency"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="demand_quantity_positive"),
            models.CheckConstraint(
                condition=Q(backordered_quantity__gte=0)
                & Q(backordered_quantity__lte=F("quantity")),
                name="demand_backorder_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(open_backorder_quantity__gte=0)
                & Q(open_backorder_quantity__lte=F("backordered_quantity")),
                name="demand_open_backorder_within_backorder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} {self.product.sku} x{self.quantity}"
