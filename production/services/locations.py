"""Locations (supermarkets, warehouses, line-side racks, stores) and archiving master data.

Nothing with history is deleted: a product or a location is archived (`archived_at`),
kept with its ledger, orders and demand, and refused as the target of new work.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from production.errors import DomainError, NotAllowed
from production.models import Location, LocationKind, Product

LOCATION_FIELDS = ("name", "kind")


def _check_kind(values: dict[str, Any]) -> None:
    if "kind" in values and values["kind"] not in LocationKind.values:
        raise DomainError(
            gettext("Unknown kind %(kind)r; use one of %(kinds)s.")
            % {"kind": values["kind"], "kinds": ", ".join(LocationKind.values)},
            field="kind",
        )


@transaction.atomic
def location_create(*, code: str, actor_id: int | None = None, **values: Any) -> Location:
    if Location.objects.filter(code=code).exists():
        raise DomainError(
            gettext("A location with code %(code)s already exists.") % {"code": code},
            field="code",
            code="unique",
        )
    _check_kind(values)
    return Location.objects.create(
        code=code, **{k: values[k] for k in LOCATION_FIELDS if k in values}
    )


@transaction.atomic
def location_update(*, location: Location, actor_id: int | None = None, **values: Any) -> Location:
    """Change a location's name or kind. A supermarket that products name stays one."""
    _check_kind(values)
    location = Location.objects.select_for_update().get(pk=location.pk)
    if (
        values.get("kind", location.kind) != LocationKind.SUPERMARKET
        and location.kind == LocationKind.SUPERMARKET
        and location.products.filter(archived_at__isnull=True).exists()
    ):
        raise NotAllowed(
            gettext("Products keep their stock at %(code)s: it stays a supermarket.")
            % {"code": location.code},
            field="kind",
        )
    changed = [k for k in LOCATION_FIELDS if k in values]
    for name in changed:
        setattr(location, name, values[name])
    if changed:
        location.save(update_fields=changed)
    return location


@transaction.atomic
def location_archive(*, location: Location, actor_id: int | None = None) -> Location:
    """Archive a location: it keeps its ledger and takes no new loops or products.

    Refused while an active product keeps its stock there (move the product first).
    Archiving twice changes nothing.
    """
    location = Location.objects.select_for_update().get(pk=location.pk)
    if location.archived_at is not None:
        return location
    users = list(
        location.products.filter(archived_at__isnull=True).values_list("sku", flat=True)[:5]
    )
    if users:
        raise NotAllowed(
            gettext("Products keep their stock here (%(skus)s): give them another supermarket.")
            % {"skus": ", ".join(users)},
            field="code",
            code="in_use",
        )
    location.archived_at = timezone.now()
    location.save(update_fields=["archived_at"])
    return location


def ensure_active_location(location: Location, field: str) -> None:
    """An archived location takes no new work: a clear error naming the field."""
    if location.archived_at is not None:
        raise NotAllowed(
            gettext("Location %(code)s is archived: it takes no new work.")
            % {"code": location.code},
            field=field,
            code="archived",
        )


def ensure_active_product(product: Product, field: str = "product") -> None:
    if product.archived_at is not None:
        raise NotAllowed(
            gettext("Product %(sku)s is archived: it takes no new demand or work.")
            % {"sku": product.sku},
            field=field,
            code="archived",
        )


def default_supermarket() -> Location:
    """The supermarket a product created without one gets.

    `PULLBOARD_DEFAULT_SUPERMARKET` (a location code) if set, else the plant's only
    active supermarket; else a 400 naming `supermarket` that says how to set one.
    """
    code = settings.PULLBOARD.get("DEFAULT_SUPERMARKET", "")
    active = Location.objects.filter(archived_at__isnull=True, kind=LocationKind.SUPERMARKET)
    if code:
        found = active.filter(code=code).first()
        if found is None:
            raise DomainError(
                gettext(
                    "PULLBOARD_DEFAULT_SUPERMARKET names %(code)r, which is not an active "
                    "supermarket: give `supermarket` or fix the setting."
                )
                % {"code": code},
                field="supermarket",
                code="required",
            )
        return found
    candidates = list(active.order_by("pk")[:2])
    if len(candidates) == 1:
        return candidates[0]
    raise DomainError(
        gettext(
            "Give `supermarket` (a location code): the plant has %(n)s active supermarkets "
            "and no default (set PULLBOARD_DEFAULT_SUPERMARKET to a location code)."
        )
        % {"n": "no" if not candidates else "several"},
        field="supermarket",
        code="required",
    )


@transaction.atomic
def product_archive(*, product: Product, actor_id: int | None = None) -> Product:
    """Archive a product: kept with its history, it takes no new demand or work orders.

    Refused while another active product's BOM uses it. Archiving twice changes nothing.
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.archived_at is not None:
        return product
    parents = list(
        Product.objects.filter(bom_lines__component=product, archived_at__isnull=True)
        .order_by("sku")
        .values_list("sku", flat=True)[:5]
    )
    if parents:
        raise NotAllowed(
            gettext("%(sku)s is a component of %(parents)s: take it out of their BOMs first.")
            % {"sku": product.sku, "parents": ", ".join(parents)},
            field="sku",
            code="in_use",
        )
    product.archived_at = timezone.now()
    product.save(update_fields=["archived_at"])
    return product
