"""Import and export in the admin, on the existing pages of each kind.

The core's admins (products, BOM lines, lines, locations) and the suppliers' stay as they
are; this concern adds django-import-export's import (a dry-run preview, then a confirm
step) and export to them, and a template download. kanban adds the mixin to its loops.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX

from production import admin as core_admin  # noqa: F401 (registers the core's admins first)
from production.masterdata.files import template_dataset
from production.masterdata.resources import (
    BomLineResource,
    LineResource,
    LocationResource,
    MasterDataResource,
    ProductResource,
    SupplierResource,
)
from production.models import BomLine, Location, Product, ProductionLine
from production.supply import admin as supply_admin  # noqa: F401 (registers the suppliers')
from production.supply.models import Supplier

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class MasterDataAdminMixin(ImportExportMixin):
    """Import needs the rights to add and to change the kind; export, to view it."""

    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    import_template_name = "admin/masterdata/import.html"
    resource_classes: list[type[MasterDataResource]]

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"actor_id": request.user.pk}

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {}

    def has_import_permission(self, request: HttpRequest) -> bool:
        return bool(self.has_add_permission(request) and self.has_change_permission(request))  # type: ignore[attr-defined]

    def has_export_permission(self, request: HttpRequest) -> bool:
        return bool(self.has_view_permission(request))  # type: ignore[attr-defined]

    def get_urls(self) -> list[Any]:
        info = self.get_model_info()
        return [
            path(
                "import-template/<str:file_format>/",
                self.admin_site.admin_view(self.import_template_view),  # type: ignore[attr-defined]
                name="{}_{}_import_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        if file_format not in CONTENT_TYPES:
            raise Http404
        resource_class = self.resource_classes[0]
        dataset = template_dataset(resource_class)
        response = HttpResponse(
            dataset.export(file_format), content_type=CONTENT_TYPES[file_format]
        )
        filename = f"{resource_class.kind}-template.{file_format}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _add_files(model: type[Any], resource_class: type[MasterDataResource]) -> None:
    current = type(admin.site.get_model_admin(model))
    if issubclass(current, MasterDataAdminMixin):
        return
    admin.site.unregister(model)
    with_files = type(
        current.__name__, (MasterDataAdminMixin, current), {"resource_classes": [resource_class]}
    )
    with_files.__module__ = current.__module__
    admin.site.register(model, with_files)


for _model, _resource in (
    (ProductionLine, LineResource),
    (Location, LocationResource),
    (Supplier, SupplierResource),
    (Product, ProductResource),
    (BomLine, BomLineResource),
):
    _add_files(_model, _resource)
