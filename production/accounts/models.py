"""A user's own settings. Registered in the `production` app by `ProductionConfig`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pullboard_settings"
    )
    language = models.CharField(
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the user's pages; empty: the browser's."),
    )
    # A planner's scope: who is told of a late replenishment. Empty both: the whole plant.
    lines = models.ManyToManyField(
        "production.ProductionLine",
        blank=True,
        related_name="+",
        help_text=_("The lines this planner answers for (late alerts); none: every line."),
    )
    suppliers = models.ManyToManyField(
        "production.Supplier",
        blank=True,
        related_name="+",
        help_text=_("The suppliers this planner answers for (late alerts); none: every one."),
    )

    class Meta:
        verbose_name = _("user settings")
        verbose_name_plural = _("user settings")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'}"
