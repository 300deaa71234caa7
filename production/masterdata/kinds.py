"""The kinds of master data a file can hold, in the order an import applies them.

A workbook's sheets (or the CSV files) are named by kind. The core's kinds are here;
`kanban` adds its loops when the app loads (it builds on production, never the reverse).
"""

from __future__ import annotations

from django.utils.translation import gettext

from production.errors import DomainError
from production.masterdata.resources import CORE_RESOURCES, MasterDataResource

_REGISTERED: list[type[MasterDataResource]] = []


def register_kind(resource_class: type[MasterDataResource]) -> None:
    """Add a kind after the core's and those registered before it: what a kind refers to
    is imported before it."""
    if all(known.kind != resource_class.kind for known in _REGISTERED):
        _REGISTERED.append(resource_class)


def kinds() -> dict[str, type[MasterDataResource]]:
    return {resource.kind: resource for resource in (*CORE_RESOURCES, *_REGISTERED)}


def kind(name: str) -> type[MasterDataResource]:
    known = kinds()
    if name not in known:
        raise DomainError(
            gettext("Unknown kind '%(name)s': a sheet or file is one of %(kinds)s.")
            % {"name": name, "kinds": ", ".join(known)},
            field="kind",
        )
    return known[name]
