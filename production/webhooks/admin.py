"""Webhooks in the Django admin: subscriptions edited, deliveries read and redelivered."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from production.admin import ReadOnlyAdmin
from production.audit.admin import HistoryAdmin
from production.errors import DomainError
from production.webhooks.delivery import webhook_delivery_redeliver
from production.webhooks.destinations import check_destination
from production.webhooks.models import (
    IdempotencyKey,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from production.webhooks.services import (
    webhook_subscription_create,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "event_types", "description", "is_active", "owner"]

    def clean_url(self) -> str:
        """The services check it too; here a refused URL is shown on the form, not as an error page."""
        url: str = self.cleaned_data["url"]
        try:
            check_destination(url)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(HistoryAdmin):
    """The secret is never on the page: it is shown once, in a message, when the
    subscription is made or its secret rotated."""

    form = SubscriptionForm
    list_display = ["url", "event_types", "owner", "is_active", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["owner"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["owner"]
    actions = ["rotate_secret"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {
            k: form.cleaned_data[k] for k in ("url", "event_types", "description", "is_active")
        }
        owner = form.cleaned_data.get("owner")
        if change:
            webhook_subscription_update(
                subscription=obj, owner=owner, actor_id=request.user.pk, **values
            )
            return
        created = webhook_subscription_create(
            actor_id=request.user.pk, owner_id=owner.pk if owner else None, **values
        )
        obj.pk, obj.secret, obj.owner_id = created.pk, created.secret, created.owner_id
        self._show_secret(request, created)

    def _show_secret(self, request: HttpRequest, subscription: WebhookSubscription) -> None:
        self.message_user(
            request,
            _("Signing secret of %(url)s (shown this once, keep it): %(secret)s")
            % {"url": subscription.url, "secret": subscription.secret},
            messages.WARNING,
        )

    @admin.action(description=_("Rotate the signing secret (the new one is shown once)"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            webhook_subscription_rotate_secret(subscription=subscription)
            self._show_secret(request, subscription)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["attempted_at", "status_code", "duration_ms", "error", "response_body"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "message_id",
        "event_type",
        "subscription",
        "status",
        "attempt_count",
        "last_status_code",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["message_id"]
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Send again (same webhook-id)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            webhook_delivery_redeliver(delivery_id=delivery.pk)
        self.message_user(request, f"{queryset.count()} deliveries queued.", messages.SUCCESS)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ("attempted_at", "delivery", "status_code", "duration_ms", "error")
    list_filter = ("status_code",)
    list_select_related = ("delivery__subscription",)
    date_hierarchy = "attempted_at"
    show_full_result_count = False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "method", "path", "status_code", "completed_at")
    list_filter = ("method", "status_code")
    list_select_related = ("user",)
    search_fields = ("key", "path")
    date_hierarchy = "created_at"
    show_full_result_count = False
