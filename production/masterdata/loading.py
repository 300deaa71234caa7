"""The rows an import already knows, found by their keys in one query per sheet."""

from __future__ import annotations

from typing import Any

from import_export.instance_loaders import BaseInstanceLoader


class KeyedInstanceLoader(BaseInstanceLoader):
    """Every existing row the sheet names, read at once, by its key (a SKU, a code, a
    product and a location).

    django-import-export's cached loader takes one key column only; this one takes a
    key of several columns, and a key cell it cannot read (an unknown code) means a new
    row, whose own reading of that cell then names the error.
    """

    def __init__(self, resource: Any, dataset: Any = None) -> None:
        super().__init__(resource, dataset)
        self.key_fields = [resource.fields[name] for name in resource.get_import_id_fields()]
        keys = {key for row in (dataset.dict if dataset else []) if (key := self._key(row))}
        first = self.key_fields[0].attribute
        queryset = resource.get_queryset().filter(**{f"{first}__in": {key[0] for key in keys}})
        self.instances = {
            tuple(field.get_value(obj) for field in self.key_fields): obj for obj in queryset
        }

    def _key(self, row: Any) -> tuple[Any, ...] | None:
        try:
            key = tuple(field.clean(row) for field in self.key_fields)
        except (ValueError, KeyError):
            return None
        return None if any(part in (None, "") for part in key) else key

    def get_instance(self, row: Any) -> Any:
        key = self._key(row)
        return self.instances.get(key) if key else None
