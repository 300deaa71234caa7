"""Tokens, roles, throttling and the one error format."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.conftest import problem_fields


def test_issue_token_prints_a_key_that_authenticates(integration_user, plant):
    out = StringIO()
    call_command("issue_token", "erp", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/products/F-100/")
    assert response.status_code == 200
    assert response.json()["sku"] == "F-100"


def test_issue_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("issue_token", "ghost", stdout=StringIO(), stderr=StringIO())


def test_no_token_is_401_problem(db):
    response = APIClient().get("/api/v1/products/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["type"]
    assert response["WWW-Authenticate"] == "Token"


def test_wrong_and_expired_tokens_are_refused(integration_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/products/").status_code == 401

    token, key = AuthToken.objects.create(user=integration_user, expiry=timedelta(days=1))
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/products/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_a_user_without_role_reads_nothing(nobody_api, plant):
    response = nobody_api.get("/api/v1/work-orders/")
    assert response.status_code == 403
    assert "roles" in response.json()["detail"]


def test_session_authentication_serves_the_browser(client, planner, plant):
    client.force_login(planner)
    response = client.get("/api/v1/lines/")
    assert response.status_code == 200
    assert {line["code"] for line in response.json()["results"]} == {"assembly", "fab"}


def test_throttling_is_per_token(integration_user, plant, settings):
    from rest_framework.settings import api_settings

    from production.api.common import TokenRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/minute"}
    old = TokenRateThrottle.THROTTLE_RATES
    TokenRateThrottle.THROTTLE_RATES = rates
    try:
        first, second = APIClient(), APIClient()
        for client in (first, second):
            _, key = AuthToken.objects.create(user=integration_user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        codes = [first.get("/api/v1/lines/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = first.get("/api/v1/lines/")
        assert limited["Content-Type"] == "application/problem+json"
        assert int(limited["Retry-After"]) > 0
        # Another token of the same user has its own budget.
        assert second.get("/api/v1/lines/").status_code == 200
    finally:
        TokenRateThrottle.THROTTLE_RATES = old


def test_bad_json_is_400_not_500(erp, plant):
    response = erp.post("/api/v1/demand-events/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_resource_is_404_problem(erp, plant):
    response = erp.get("/api/v1/products/NOPE-1/")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_validation_errors_name_the_fields(planner_api, plant):
    response = planner_api.post(
        "/api/v1/lines/", {"code": "x y", "name": "", "capacity_per_day": "-1"}, format="json"
    )
    assert response.status_code == 400
    assert problem_fields(response) >= {"code", "name", "capacity_per_day", "wip_limit"}


def test_an_unknown_api_path_is_a_problem_not_a_page(erp, db):
    assert APIClient().get("/api/v1/").status_code == 401  # nothing for anonymous callers
    for path in ("/api/v1/nothing/", "/api/v1/products/a/b/"):
        response = erp.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
