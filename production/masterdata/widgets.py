"""Cell readers that fail with a message naming what is wrong, never with a traceback.

django-import-export files a `ValueError` raised while reading a cell under that cell's
column; anything else would fail the whole row without naming the column.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext
from import_export import widgets


class QuantityWidget(widgets.DecimalWidget):
    """A decimal number; "abc", "NaN" or "Infinity" is refused by name."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        if self.is_empty(value):
            return None
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(gettext("'%(value)s' is not a number.") % {"value": value}) from None
        if not number.is_finite():
            raise ValueError(gettext("'%(value)s' is not a number.") % {"value": value})
        return number


class WholeNumberWidget(widgets.IntegerWidget):
    """A whole number; 2.5 or "two" is refused by name."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        number = QuantityWidget().clean(value)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ValueError(gettext("'%(value)s' is not a whole number.") % {"value": value})
        return int(number)


class CodeWidget(widgets.ForeignKeyWidget):
    """A reference by code (a SKU, a location's code): an unknown code is named.

    The codes are read once per sheet, in one query, and remembered; rows made earlier in
    the same import (a product created two sheets before its BOM) are found by a second
    query for the codes the first one did not know.
    """

    def __init__(self, model: type[Model], field: str, **kwargs: Any) -> None:
        super().__init__(model, field=field, **kwargs)
        self._known: dict[str, Model] | None = None

    def _load(self, codes: list[str] | None = None) -> dict[str, Model]:
        queryset = self.model._default_manager.all()
        if codes is not None:
            queryset = queryset.filter(**{f"{self.field}__in": codes})
        return {str(getattr(obj, self.field)): obj for obj in queryset}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Model | None:
        if value is None or str(value).strip() == "":
            return None
        code = str(value).strip()
        if self._known is None:
            self._known = self._load()
        if code not in self._known:
            self._known.update(self._load([code]))
        if code not in self._known:
            raise ValueError(
                gettext("Unknown %(kind)s '%(code)s'.")
                % {"kind": self.model._meta.verbose_name, "code": code}
            )
        return self._known[code]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(getattr(value, self.field))
