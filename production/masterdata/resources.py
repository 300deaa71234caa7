"""The master data kinds as django-import-export resources, one per sheet or CSV file.

Each resource reads and writes the columns the API names (`sku`, `line`, `supermarket`,
...), keys its rows by SKU or code (so a second import of the same file changes nothing:
unchanged rows are skipped and reported), and saves through the services, one row in one
transaction inside the import's own (see `services.masterdata_import`).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils.translation import gettext
from import_export import fields, resources

from production.errors import DomainError
from production.masterdata.loading import KeyedInstanceLoader
from production.masterdata.services import bom_line_save, location_save, supplier_save
from production.masterdata.widgets import CodeWidget, QuantityWidget, WholeNumberWidget
from production.models import BomLine, Location, Product, ProductionLine
from production.services.products import (
    PRODUCT_FIELDS,
    line_create,
    line_update,
    product_create,
    product_update,
)
from production.supply.models import Supplier


def _quantity(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=QuantityWidget())


def _code(name: str, model: type[Any], field: str = "code") -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=CodeWidget(model, field))


class MasterDataResource(resources.ModelResource):
    """What every kind shares: keys, the dry-run report, saving through a service."""

    kind: ClassVar[str]
    # The template's example line, column by column.
    example: ClassVar[dict[str, str]]

    def __init__(self, *, actor_id: int | None = None, diff: bool = True, **kwargs: Any) -> None:
        super().__init__()
        self.actor_id = actor_id
        if not diff:
            # No before/after copy of each row (a deep copy of the row and all it refers
            # to): the command's report needs the outcome only; the admin's preview shows
            # the values.
            options: Any = copy.copy(type(self)._meta)  # type: ignore[has-type]
            options.skip_diff = True
            self._meta = options

    def _values(self, instance: Any) -> list[Any]:
        return [field.get_value(instance) for field in self.get_import_fields()]

    def after_init_instance(self, instance: Any, new: bool, row: Any, **kwargs: Any) -> None:
        if self._meta.skip_diff:
            instance.stored_values = None if new else self._values(instance)

    def skip_row(
        self,
        instance: Any,
        original: Any,
        row: Any,
        import_validation_errors: dict[str, Any] | None = None,
    ) -> bool:
        if not self._meta.skip_diff:
            return bool(super().skip_row(instance, original, row, import_validation_errors))
        stored = getattr(instance, "stored_values", None)
        return not import_validation_errors and stored == self._values(instance)

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        instance_loader_class = KeyedInstanceLoader
        use_transactions = True

    def import_data(self, dataset: Any, dry_run: bool = False, **kwargs: Any) -> Any:
        # All or nothing, in the admin's confirm step too: one bad row rolls back the rest.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def validate_instance(
        self,
        instance: Any,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        """The fields' own checks (shape, choices, lengths); the rules across fields are the
        services', which name the column at fault."""
        errors = dict(import_validation_errors or {})
        # A reference was read from the database by its code: no query to check it again.
        references = [f.name for f in instance._meta.concrete_fields if f.is_relation]
        try:
            instance.full_clean(
                exclude=[*errors, *references], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def export(self, queryset: Any = None, **kwargs: Any) -> Any:
        """The admin hands over its own queryset (its filters and search): read it again
        through this resource's, with the references and counts the columns need."""
        if isinstance(queryset, QuerySet):
            queryset = self.get_queryset().filter(pk__in=queryset.values("pk"))
        return super().export(queryset, **kwargs)

    def do_instance_save(self, instance: Any, is_create: bool) -> None:
        key = self.get_import_id_fields()[0]
        try:
            self.write(instance, is_create)
        except DomainError as exc:
            raise ValidationError({exc.field or key: exc.message}) from None
        except IntegrityError:
            # Another import (or a planner) made the same row since this one was read.
            raise ValidationError(
                {key: gettext("Changed by someone else while importing: import the file again.")}
            ) from None

    def write(self, instance: Any, is_create: bool) -> None:
        raise NotImplementedError

    @classmethod
    def columns(cls) -> list[str]:
        return [field.column_name for field in cls().get_import_fields()]


class LineResource(MasterDataResource):
    kind = "lines"
    example = {"code": "assembly", "name": "Assembly", "capacity_per_day": "400", "wip_limit": "6"}
    capacity_per_day = _quantity("capacity_per_day")
    wip_limit = fields.Field(
        attribute="wip_limit", column_name="wip_limit", widget=WholeNumberWidget()
    )

    class Meta(MasterDataResource.Meta):
        model = ProductionLine
        fields = ("code", "name", "capacity_per_day", "wip_limit")
        import_id_fields = ("code",)

    def write(self, instance: ProductionLine, is_create: bool) -> None:
        values = {"name": instance.name, "capacity_per_day": instance.capacity_per_day}
        values["wip_limit"] = instance.wip_limit
        if is_create:
            instance.pk = line_create(code=instance.code, actor_id=self.actor_id, **values).pk
        else:
            line_update(line=instance, actor_id=self.actor_id, **values)


class LocationResource(MasterDataResource):
    kind = "locations"
    example = {"code": "sm-main", "name": "Main supermarket", "kind": "supermarket"}

    class Meta(MasterDataResource.Meta):
        model = Location
        fields = ("code", "name", "kind")
        import_id_fields = ("code",)

    def write(self, instance: Location, is_create: bool) -> None:
        saved = location_save(
            code=instance.code, name=instance.name, kind=instance.kind, actor_id=self.actor_id
        )
        instance.pk = saved.pk


class SupplierResource(MasterDataResource):
    kind = "suppliers"
    example = {
        "code": "acme",
        "name": "ACME Fasteners",
        "lead_time_days": "5",
        "email": "orders@acme.example",
    }
    lead_time_days = _quantity("lead_time_days")

    class Meta(MasterDataResource.Meta):
        model = Supplier
        fields = ("code", "name", "lead_time_days", "email")
        import_id_fields = ("code",)

    def write(self, instance: Supplier, is_create: bool) -> None:
        saved = supplier_save(
            code=instance.code,
            name=instance.name,
            lead_time_days=instance.lead_time_days,
            email=instance.email,
            actor_id=self.actor_id,
        )
        instance.pk = saved.pk


class ProductResource(MasterDataResource):
    kind = "products"
    example = {
        "sku": "BRK-100",
        "name": "Bracket",
        "unit": "pcs",
        "line": "assembly",
        "supermarket": "sm-main",
        "container_quantity": "20",
        "lead_time_days": "1.5",
    }
    line = _code("line", ProductionLine)
    supermarket = _code("supermarket", Location)
    container_quantity = _quantity("container_quantity")
    lead_time_days = _quantity("lead_time_days")

    class Meta(MasterDataResource.Meta):
        model = Product
        fields = ("sku", "name", "unit", *PRODUCT_FIELDS[2:])
        import_id_fields = ("sku",)

    def get_queryset(self) -> Any:
        return Product.objects.select_related("line", "supermarket")

    def write(self, instance: Product, is_create: bool) -> None:
        values = {name: getattr(instance, name) for name in PRODUCT_FIELDS}
        if is_create:
            instance.pk = product_create(sku=instance.sku, actor_id=self.actor_id, **values).pk
        else:
            product_update(product=instance, actor_id=self.actor_id, **values)


class BomLineResource(MasterDataResource):
    kind = "bom"
    example = {"parent": "BRK-100", "component": "STL-SHEET", "quantity": "0.25"}
    parent = _code("parent", Product, "sku")
    component = _code("component", Product, "sku")
    quantity = _quantity("quantity")

    class Meta(MasterDataResource.Meta):
        model = BomLine
        fields = ("parent", "component", "quantity")
        import_id_fields = ("parent", "component")

    def get_queryset(self) -> Any:
        return BomLine.objects.select_related("parent", "component")

    def write(self, instance: BomLine, is_create: bool) -> None:
        saved = bom_line_save(
            parent=instance.parent,
            component=instance.component,
            quantity=instance.quantity,
            actor_id=self.actor_id,
        )
        instance.pk = saved.pk


CORE_RESOURCES: tuple[type[MasterDataResource], ...] = (
    LineResource,
    LocationResource,
    SupplierResource,
    ProductResource,
    BomLineResource,
)
