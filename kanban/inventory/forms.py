"""Input shapes of the card-count pages. Rules of the domain stay in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from production.models import Location, ProductionLine


class CountStartForm(forms.Form):
    line = forms.ModelChoiceField(
        queryset=ProductionLine.objects.all(),
        to_field_name="code",
        required=False,
        label=_("Line"),
        error_messages={"invalid_choice": _("There is no such line.")},
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.all(),
        to_field_name="code",
        required=False,
        label=_("or a location"),
        error_messages={"invalid_choice": _("There is no such location.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and bool(data.get("line")) == bool(data.get("location")):
            raise ValidationError(_("Choose a line or a location (one of them)."))
        return data


class CountScanForm(forms.Form):
    code = forms.CharField(
        max_length=200,
        label=_("Card code"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": _("Nothing was scanned.")},
    )


class CardIdsField(forms.Field):
    """Card ids ticked on the count's list (`card=1&card=2`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = [str(v) for v in (value or [])]
        if not values:
            raise ValidationError(_("Tick at least one card."), code="required")
        if not all(v.isascii() and v.isdigit() and len(v) <= 18 for v in values):
            raise ValidationError(_("Card ids are whole numbers."), code="invalid")
        return [int(v) for v in values]


class CountTickForm(forms.Form):
    card = CardIdsField(label=_("Cards"))


class CountCloseForm(forms.Form):
    version = forms.IntegerField(min_value=1, required=False)
