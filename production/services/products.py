"""Set-up data through the API: products with their BOM, and production lines.

The admin edits the same tables through its forms; these services are the API's
single way to write them, with the rules a form would check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from production.audit.records import audited
from production.errors import DomainError
from production.models import BomLine, Product, ProductionLine
from production.services.locations import (
    default_supermarket,
    ensure_active_location,
    ensure_active_product,
)
from production.validators import SKU_MAX_LENGTH, validate_sku

PRODUCT_FIELDS = ("name", "unit", "line", "supermarket", "container_quantity", "lead_time_days")
LINE_FIELDS = ("name", "capacity_per_day", "wip_limit")


@dataclass(frozen=True)
class BomItem:
    component: Product
    quantity: Decimal


def _set_bom(product: Product, bom: Sequence[BomItem]) -> None:
    seen: set[int] = set()
    for index, item in enumerate(bom):
        if item.component.pk == product.pk:
            raise DomainError(
                "A product cannot be its own component.", field=f"bom[{index}].component"
            )
        if item.component.pk in seen:
            raise DomainError(
                f"{item.component.sku} appears twice in the BOM.", field=f"bom[{index}].component"
            )
        if Decimal(item.quantity) <= 0:
            raise DomainError("Quantity must be greater than zero.", field=f"bom[{index}].quantity")
        seen.add(item.component.pk)
    # Row by row, so each BOM line's history says what changed (a bulk write has no signals).
    current = {line.component_id: line for line in product.bom_lines.all()}
    for item in bom:
        line = current.pop(item.component.pk, None)
        if line is None:
            BomLine.objects.create(parent=product, component=item.component, quantity=item.quantity)
        elif line.quantity != Decimal(item.quantity):
            line.quantity = item.quantity
            line.save(update_fields=["quantity"])
    for line in current.values():
        line.delete()


def _check_bom_active(bom: Sequence[BomItem]) -> None:
    for index, item in enumerate(bom):
        ensure_active_product(item.component, f"bom[{index}].component")


def _check_positive(values: dict[str, Any], names: Sequence[str]) -> None:
    for name in names:
        if name in values and Decimal(values[name]) <= 0:
            raise DomainError(
                f"{name.replace('_', ' ').capitalize()} must be positive.", field=name
            )


def _check_sku(sku: str) -> None:
    try:
        validate_sku(sku)
    except ValidationError as exc:
        raise DomainError(str(exc.message), field="sku", code="invalid") from None
    if len(sku) > SKU_MAX_LENGTH:
        raise DomainError(
            gettext("A SKU has at most %(max)d characters.") % {"max": SKU_MAX_LENGTH},
            field="sku",
        )


@audited
@transaction.atomic
def product_create(
    *, sku: str, bom: Sequence[BomItem] = (), actor_id: int | None = None, **values: Any
) -> Product:
    _check_sku(sku)
    if Product.objects.filter(sku=sku).exists():
        raise DomainError(f"A product with SKU {sku} already exists.", field="sku", code="unique")
    _check_positive(values, ("container_quantity", "lead_time_days"))
    if values.get("supermarket") is None:
        values["supermarket"] = default_supermarket()
    ensure_active_location(values["supermarket"], "supermarket")
    _check_bom_active(bom)
    product = Product.objects.create(
        sku=sku, **{k: values[k] for k in PRODUCT_FIELDS if k in values}
    )
    _set_bom(product, bom)
    return product


@audited
@transaction.atomic
def product_update(
    *,
    product: Product,
    bom: Sequence[BomItem] | None = None,
    actor_id: int | None = None,
    **values: Any,
) -> Product:
    """Change a product's set-up. Open work orders keep the quantities they were made with."""
    _check_positive(values, ("container_quantity", "lead_time_days"))
    product = Product.objects.select_for_update().get(pk=product.pk)
    if values.get("supermarket") is not None and values["supermarket"] != product.supermarket:
        ensure_active_location(values["supermarket"], "supermarket")
    if bom is not None:
        _check_bom_active(bom)
    changed = [k for k in PRODUCT_FIELDS if k in values]
    for name in changed:
        setattr(product, name, values[name])
    if changed:
        product.save(update_fields=changed)
    if bom is not None:
        _set_bom(product, bom)
    return product


@audited
@transaction.atomic
def line_create(*, code: str, actor_id: int | None = None, **values: Any) -> ProductionLine:
    """A new line starts in pull mode; switching it is `line_switch_mode`'s job."""
    if ProductionLine.objects.filter(code=code).exists():
        raise DomainError(f"A line with code {code} already exists.", field="code", code="unique")
    _check_positive(values, LINE_FIELDS[1:])
    return ProductionLine.objects.create(
        code=code, **{k: values[k] for k in LINE_FIELDS if k in values}
    )


@audited
@transaction.atomic
def line_update(
    *, line: ProductionLine, actor_id: int | None = None, **values: Any
) -> ProductionLine:
    """Change a line's name, capacity or WIP limit (its mode changes by `line_switch_mode`)."""
    _check_positive(values, LINE_FIELDS[1:])
    line = ProductionLine.objects.select_for_update().get(pk=line.pk)
    changed = [k for k in LINE_FIELDS if k in values]
    for name in changed:
        setattr(line, name, values[name])
    if changed:
        line.save(update_fields=changed)
    return line
