"""The role matrix of the API, checked endpoint by endpoint."""

from __future__ import annotations

import pytest

from production.webhooks.models import WebhookSubscription

LISTS = [
    "/api/v1/products/",
    "/api/v1/lines/",
    "/api/v1/loops/",
    "/api/v1/cards/",
    "/api/v1/work-orders/",
    "/api/v1/demand-events/",
    "/api/v1/stock/",
    "/api/v1/stock/ledger/",
    "/api/v1/backorders/",
]


@pytest.mark.parametrize("url", LISTS)
def test_every_role_reads_and_a_user_without_role_does_not(
    url, plant, erp, planner_api, operator_api, nobody_api, django_assert_max_num_queries
):
    for client in (erp, planner_api, operator_api):
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        assert "results" in response.json()
    assert nobody_api.get(url).status_code == 403


@pytest.mark.parametrize("url", LISTS)
def test_bad_list_parameters_are_400_not_500(url, erp, plant):
    response = erp.get(url, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert erp.get(url, {"page_size": "lots"}).status_code == 400
    assert erp.get(url, {"ordering": "nonsense"}).status_code == 200


def test_webhooks_are_managed_by_integration_and_planners_only(erp, planner_api, operator_api, db):
    body = {"url": "https://erp.example/hooks", "event_types": ["work_order.completed"]}
    assert erp.post("/api/v1/webhooks/", body, format="json").status_code == 201
    assert planner_api.get("/api/v1/webhooks/").status_code == 200
    assert operator_api.post("/api/v1/webhooks/", body, format="json").status_code == 403
    assert operator_api.get("/api/v1/webhook-deliveries/").status_code == 403
    assert WebhookSubscription.objects.count() == 1


def test_the_admin_manages_subscriptions_and_shows_deliveries(client, admin_user, db):
    client.force_login(admin_user)
    response = client.post(
        "/admin/production/webhooksubscription/add/",
        {
            "url": "https://erp.example/hooks",
            "event_types": ["demand.received", "line.mode_changed"],
            "description": "ERP",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    sub = WebhookSubscription.objects.get()
    assert sub.event_types == ["demand.received", "line.mode_changed"]
    assert sub.secret.startswith("whsec_")
    assert client.get("/admin/production/webhookdelivery/").status_code == 200
