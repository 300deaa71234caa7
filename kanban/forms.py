"""Input shapes of the shop-floor pages. Rules of the domain stay in the services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kanban.models import CardStatus, HoldReason
from kanban.scanning import NEXT_STEP, SCAN_MODES


class CardMoveForm(forms.Form):
    to = forms.ChoiceField(choices=CardStatus.choices)
    version = forms.IntegerField(min_value=1, required=False)
    wip_override_reason = forms.CharField(max_length=300, required=False, strip=True)


class ScanForm(forms.Form):
    code = forms.CharField(
        max_length=200,
        label=_("Card code"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}
        ),
    )
    mode = forms.ChoiceField(
        choices=[(mode.value, mode.label) for mode in SCAN_MODES.values()],
        required=False,
        label=_("What a scan does"),
    )
    wip_override_reason = forms.CharField(
        max_length=300, required=False, strip=True, label=_("Reason for the WIP override")
    )

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or NEXT_STEP


def default_lost_days() -> int:
    return int(settings.PULLBOARD.get("LOST_CARD_DAYS", 14))


class LostCardsForm(forms.Form):
    days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        label=_("Not seen for (days)"),
        error_messages={
            "invalid": _("Days: give a whole number of days, from 1 to 3650."),
            "min_value": _("Days: give a whole number of days, from 1 to 3650."),
            "max_value": _("Days: give a whole number of days, from 1 to 3650."),
        },
    )
    line = forms.CharField(max_length=40, required=False)

    def clean_days(self) -> int:
        return self.cleaned_data.get("days") or default_lost_days()


class PrintForm(forms.Form):
    PAPERS = (("a4", "A4"), ("letter", "Letter"))
    line = forms.CharField(max_length=40, required=False)
    loop = forms.IntegerField(min_value=1, required=False)
    card = forms.RegexField(
        regex=r"^[0-9]{1,18}(,[0-9]{1,18}){0,199}$",
        required=False,
        error_messages={"invalid": _("Cards: card ids separated by commas.")},
    )
    paper = forms.ChoiceField(choices=PAPERS, required=False)

    def clean_paper(self) -> str:
        return self.cleaned_data.get("paper") or "a4"

    def clean_card(self) -> list[int]:
        """Single cards (a reprint), by id: `?card=12,13`."""
        raw = self.cleaned_data.get("card") or ""
        return [int(part) for part in raw.split(",") if part]


class BoardOrderForm(forms.Form):
    """Start or finish a push work order from the board: the version the board showed."""

    version = forms.IntegerField(min_value=1, required=False)


class SignalsForm(forms.Form):
    """The plant-wide list of waiting signals: narrowed to a line or a product."""

    line = forms.SlugField(max_length=40, required=False)
    q = forms.CharField(max_length=60, required=False, strip=True)


class HoldForm(forms.Form):
    reason = forms.ChoiceField(choices=HoldReason.choices, label=_("Why"))
    note = forms.CharField(max_length=200, required=False, strip=True, label=_("Note"))


class OneTimeCardForm(forms.Form):
    reason = forms.CharField(max_length=200, strip=True, label=_("Why (the demand spike)"))
