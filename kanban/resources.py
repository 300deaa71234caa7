"""Kanban loops in master data files (production.masterdata), keyed by product and location.

A new row opens the loop through `loops_open` (all new rows of a sheet at once, each
checked on its own row first): its cards start full and their stock is
received by an opening ledger move, as when a planner opens it in the admin. On an
existing loop the safety factor can change; the card count and the container quantity
change through the loop's sizing and the API, which know what to do with the cards out
on the floor, so a file that changes them is refused, naming the column.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from import_export import fields
from import_export.results import RowResult

from kanban.models import ACTIVE_CARD_STATUSES, KanbanLoop
from kanban.services import loop_set_safety_factor
from kanban.services.opening import LoopOpening, loop_opening_checked, loops_open
from production.errors import DomainError
from production.masterdata.resources import MasterDataResource
from production.masterdata.widgets import CodeWidget, QuantityWidget, WholeNumberWidget
from production.models import Location, Product


class LoopResource(MasterDataResource):
    kind = "loops"
    example = {
        "product": "BRK-100",
        "location": "sm-main",
        "container_quantity": "20",
        "card_count": "3",
        "safety_factor": "0.2",
    }
    product = fields.Field(
        attribute="product", column_name="product", widget=CodeWidget(Product, "sku")
    )
    location = fields.Field(
        attribute="location", column_name="location", widget=CodeWidget(Location, "code")
    )
    container_quantity = fields.Field(
        attribute="container_quantity", column_name="container_quantity", widget=QuantityWidget()
    )
    card_count = fields.Field(
        attribute="card_count", column_name="card_count", widget=WholeNumberWidget()
    )
    safety_factor = fields.Field(
        attribute="safety_factor", column_name="safety_factor", widget=QuantityWidget()
    )

    class Meta(MasterDataResource.Meta):
        model = KanbanLoop
        fields = ("product", "location", "container_quantity", "card_count", "safety_factor")
        import_id_fields = ("product", "location")

    def get_queryset(self) -> QuerySet[KanbanLoop]:
        return KanbanLoop.objects.select_related("product", "location").annotate(
            card_count=Count("cards", filter=Q(cards__status__in=ACTIVE_CARD_STATUSES))
        )

    def after_init_instance(self, instance: Any, new: bool, row: Any, **kwargs: Any) -> None:
        super().after_init_instance(instance, new, row, **kwargs)
        if not new:
            instance.opened_with = (instance.container_quantity, instance.card_count)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        # The new loops of the sheet, each checked with its row, opened together after
        # the last row (one `loops_open`: a constant number of queries for the sheet).
        self.openings: dict[tuple[int, int], tuple[int, Any, LoopOpening]] = {}

    def import_row(self, row: Any, instance_loader: Any, **kwargs: Any) -> Any:
        self.row_number = kwargs.get("row_number", 0)
        return super().import_row(row, instance_loader, **kwargs)

    def write(self, instance: Any, is_create: bool) -> None:
        if is_create:
            if instance.card_count is None:
                raise DomainError(gettext("A new loop needs its card count."), field="card_count")
            opening = LoopOpening(
                product=instance.product,
                location=instance.location,
                container_quantity=instance.container_quantity,
                card_count=instance.card_count,
                safety_factor=(
                    Decimal("0.2") if instance.safety_factor is None else instance.safety_factor
                ),
            )
            loop = loop_opening_checked(opening)
            key = (loop.product.pk, loop.location.pk)
            if key in self.openings:
                raise DomainError(
                    gettext("%(sku)s at %(code)s is on an earlier row of this file too.")
                    % {"sku": loop.product.sku, "code": loop.location.code},
                    field="product",
                )
            self.openings[key] = (self.row_number, instance, opening)
            return
        quantity, count = instance.opened_with
        if instance.container_quantity != quantity:
            raise DomainError(
                gettext(
                    "A loop's container quantity is not changed by a file (was %(before)s): "
                    "its cards out on the floor hold the old one."
                )
                % {"before": quantity},
                field="container_quantity",
            )
        if instance.card_count != count:
            raise DomainError(
                gettext(
                    "A loop's card count is not changed by a file (has %(before)s): apply its "
                    "sizing, which adds or retires cards."
                )
                % {"before": count},
                field="card_count",
            )
        loop_set_safety_factor(
            loop_id=instance.pk, safety_factor=instance.safety_factor, actor_id=self.actor_id
        )

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if not self.openings or result.has_errors() or result.has_validation_errors():
            return  # a refused file opens nothing (and its preview is already complete)
        rows = list(self.openings.values())
        try:
            loops = loops_open([opening for _, _, opening in rows], actor_id=self.actor_id)
        except DomainError as exc:
            index = getattr(exc, "opening_index", None)
            if index is None:
                raise
            # Found only now (another import opened the same loop meanwhile): its row.
            number = rows[index][0]
            error = ValidationError({exc.field or "product": exc.message})
            row_result = result.rows[number - 1]
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = error
            result.append_invalid_row(
                number, dict(zip(dataset.headers, dataset[number - 1], strict=False)), error
            )
            return
        except IntegrityError:
            raise DomainError(
                gettext("Changed by someone else while importing: import the file again.")
            ) from None
        for (_, instance, _), loop in zip(rows, loops, strict=True):
            instance.pk = loop.pk
