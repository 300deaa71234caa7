"""One ERP client cannot reach another's webhooks; the signing secret is shown once."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from production.webhooks.models import WebhookDelivery, WebhookSubscription
from production.webhooks.services import webhook_subscription_create
from tests.api.conftest import token_client
from tests.factories import UserFactory

URL = "https://erp-a.example/hooks"


@pytest.fixture
def other_erp(db):
    return token_client(UserFactory(username="erp-b", roles=["integration"]))


@pytest.fixture
def subscription(integration_user) -> WebhookSubscription:
    sub = webhook_subscription_create(
        url=URL, event_types=["demand.received"], actor_id=integration_user.pk
    )
    WebhookDelivery.objects.create(subscription=sub, event_type="demand.received", body="{}")
    return sub


def test_another_client_cannot_list_read_change_or_delete_a_subscription(
    erp, other_erp, subscription
):
    path = f"/api/v1/webhooks/{subscription.pk}/"
    assert [s["id"] for s in erp.get("/api/v1/webhooks/").json()["results"]] == [subscription.pk]
    assert other_erp.get("/api/v1/webhooks/").json()["results"] == []
    assert other_erp.get(path).status_code == 404
    assert other_erp.patch(path, {"url": "https://evil.example/"}, format="json").status_code == 404
    assert other_erp.delete(path).status_code == 404
    assert other_erp.post(f"{path}rotate-secret/").status_code == 404
    subscription.refresh_from_db()
    assert subscription.url == URL


def test_another_client_cannot_see_or_redeliver_the_deliveries(erp, other_erp, subscription):
    delivery = subscription.deliveries.get()
    assert len(erp.get("/api/v1/webhook-deliveries/").json()["results"]) == 1
    assert other_erp.get("/api/v1/webhook-deliveries/").json()["results"] == []
    assert other_erp.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").status_code == 404
    redeliver = f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/"
    assert other_erp.post(redeliver).status_code == 404


def test_an_admin_sees_every_subscription(api_for, admin_user, subscription):
    admin = api_for(admin_user)
    assert [s["id"] for s in admin.get("/api/v1/webhooks/").json()["results"]] == [subscription.pk]
    assert len(admin.get("/api/v1/webhook-deliveries/").json()["results"]) == 1


def test_the_secret_is_shown_once_at_creation_and_can_be_rotated(erp):
    created = erp.post(
        "/api/v1/webhooks/", {"url": URL, "event_types": ["demand.received"]}, format="json"
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    path = f"/api/v1/webhooks/{created.json()['id']}/"
    assert "secret" not in erp.get(path).json()
    assert "secret" not in erp.get("/api/v1/webhooks/").json()["results"][0]
    assert "secret" not in erp.patch(path, {"is_active": False}, format="json").json()

    rotated = erp.post(f"{path}rotate-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != secret
    stored = WebhookSubscription.objects.get()
    assert stored.secret == new_secret
    Webhook(new_secret)  # a valid Standard Webhooks secret
    assert "secret" not in erp.get(path).json()


def test_subscriptions_made_before_owners_belong_to_their_creator_or_to_admins_only(
    integration_user, erp, api_for, admin_user
):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("production.migrations.0006_webhook_owner")
    mine = WebhookSubscription.objects.create(
        url=URL, event_types=["demand.received"], created_by=integration_user
    )
    orphan = WebhookSubscription.objects.create(url=URL, event_types=["demand.received"])
    migration.owners_from_creators(apps, None)
    assert [s["id"] for s in erp.get("/api/v1/webhooks/").json()["results"]] == [mine.pk]
    admin = api_for(admin_user)
    listed = {s["id"] for s in admin.get("/api/v1/webhooks/").json()["results"]}
    assert listed == {mine.pk, orphan.pk}


def test_the_admin_shows_the_secret_once_and_rotates_it(client, admin_user, integration_user):
    client.force_login(admin_user)
    added = client.post(
        "/admin/production/webhooksubscription/add/",
        {
            "url": URL,
            "event_types": ["demand.received"],
            "is_active": "on",
            "owner": integration_user.pk,
        },
        follow=True,
    )
    sub = WebhookSubscription.objects.get()
    assert sub.owner == integration_user
    assert sub.secret in added.content.decode()
    change_page = client.get(f"/admin/production/webhooksubscription/{sub.pk}/change/")
    assert sub.secret not in change_page.content.decode()

    old = sub.secret
    rotated = client.post(
        "/admin/production/webhooksubscription/",
        {"action": "rotate_secret", "_selected_action": [sub.pk]},
        follow=True,
    )
    sub.refresh_from_db()
    assert sub.secret != old and sub.secret in rotated.content.decode()
