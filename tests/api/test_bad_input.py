"""Bad input gets a clear 4xx in the API's error format, never a 500 or an HTML page."""

from __future__ import annotations

import base64
import json

import pytest

from production.models import DemandEvent
from tests.api.conftest import problem_fields

LISTS = ["/api/v1/cards/", "/api/v1/work-orders/", "/api/v1/demand-events/", "/api/v1/stock/"]


@pytest.fixture
def erp_500s_as_responses(erp):
    erp.raise_request_exception = False
    return erp


def forged(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "cursor", ["abc", forged("p=abc"), forged("p=1e999&r=1"), forged("r=x"), "%%%", "٣"]
)
def test_a_forged_cursor_is_a_400_naming_it(url, cursor, erp_500s_as_responses, plant):
    response = erp_500s_as_responses.get(url, {"cursor": cursor})
    assert response.status_code == 400, response.content[:300]
    assert problem_fields(response) == {"cursor"}


def test_a_cursor_the_api_gave_still_works(erp, plant):
    first = erp.get("/api/v1/cards/", {"page_size": 2}).json()
    assert erp.get(first["next"]).status_code == 200


@pytest.mark.parametrize("page_size", ["lots", "0", "-1", "1001", "2.5", "", "٣"])
def test_an_invalid_page_size_is_a_400_not_ignored(page_size, erp, plant):
    response = erp.get("/api/v1/cards/", {"page_size": page_size})
    assert response.status_code == 400
    assert problem_fields(response) == {"page_size"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cards/abc/",
        "/api/v1/cards/1.5/",
        "/api/v1/cards/99999999999999999999999/",
        "/api/v1/work-orders/abc/release/",
        "/api/v1/push-orders/abc/explanation/",
        "/api/v1/forecast-runs/%D9%A3/",
        "/api/v1/webhook-deliveries/-1/",
    ],
)
def test_a_non_integer_id_in_a_path_is_a_404_problem(path, planner_api, plant):
    planner_api.raise_request_exception = False
    method = planner_api.post if path.endswith("release/") else planner_api.get
    response = method(path)
    assert response.status_code == 404, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"


def test_json_nested_2000_deep_is_a_400(erp, plant):
    deep = "[" * 2000 + "]" * 2000
    response = erp.post("/api/v1/demand-events/", deep, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_10_mb_body_is_a_413_problem(erp, plant):
    body = json.dumps({"external_id": "x", "product": "F-100", "quantity": 1, "pad": "x" * 10**7})
    response = erp.post("/api/v1/demand-events/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert not DemandEvent.objects.exists()


def test_a_100_000_item_list_is_refused_as_a_problem(erp, plant):
    items = [{"external_id": f"e{i}", "product": "F-100", "quantity": 1} for i in range(100_000)]
    response = erp.post("/api/v1/demand-events/", items, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    small = erp.post("/api/v1/demand-events/", [{}] * 100_000, format="json")
    assert small.status_code == 400 and small["Content-Type"] == "application/problem+json"
    assert not DemandEvent.objects.exists()


def test_an_oversized_body_on_any_write_is_a_413_problem(planner_api, plant):
    body = json.dumps({"name": "x" * 3_000_000})
    response = planner_api.patch("/api/v1/lines/assembly/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("page_size", ["lots", "0", "1001", "2.5"])
def test_an_invalid_page_size_of_the_forecasts_list_is_a_400(page_size, planner_api, plant):
    """The forecasts list pages by number (SKU order), not by cursor: the same rule holds."""
    response = planner_api.get("/api/v1/forecasts/", {"page_size": page_size})
    assert response.status_code == 400
    assert problem_fields(response) == {"page_size"}
