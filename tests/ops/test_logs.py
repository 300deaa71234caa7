"""Log lines: one JSON object per line in the services profile, with the request id (taken
from a sane X-Request-ID or made, and echoed), who asked (user or token id, never the
key), and the same request id in the lines of the tasks the request queued."""

from __future__ import annotations

import copy
import io
import json
import logging.config
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_guid import get_guid, set_guid

from production.tasks import idempotency_keys_prune_task
from tests.api.conftest import token_client


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The settings' own LOGGING (JSON), with its console writing here."""
    assert settings.LOG_FORMAT == "json"  # the suite runs on the services profile
    config = copy.deepcopy(settings.LOGGING)
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]  # every line is JSON


def test_a_4xx_is_one_json_line_with_the_request_id_it_came_with(db, log_lines) -> None:  # type: ignore[no-untyped-def]
    request_id = str(uuid.uuid4())
    response = Client().get("/nowhere/", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 404
    assert response["X-Request-ID"] == request_id
    lines = [line for line in parsed(log_lines) if line.get("request_id") == request_id]
    assert len(lines) == 1, lines
    (line,) = lines
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert line["message"] == "Not Found: /nowhere/"
    assert "exc_info" not in line  # an expected condition: no traceback


def test_a_request_without_a_sane_id_gets_one_of_its_own(db, log_lines) -> None:  # type: ignore[no-untyped-def]
    made = Client().get("/health/live")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    odd = Client().get("/health/live", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert odd != "<script>" and len(odd) == 32
    assert "<script>" not in log_lines.getvalue()  # not even in the line that says so


def test_an_api_line_names_the_user_and_token_never_the_key(
    integration_user, plant, log_lines
) -> None:  # type: ignore[no-untyped-def]
    from knox.models import AuthToken

    erp = token_client(integration_user)
    key = erp._credentials["HTTP_AUTHORIZATION"].split()[1]
    digest = AuthToken.objects.get(user=integration_user).digest
    response = erp.post(
        "/api/v1/demand-events/",
        {"external_id": "SO-1", "product": "F-100", "quantity": "-3"},
        format="json",
    )
    assert response.status_code == 400
    (line,) = [line for line in parsed(log_lines) if line["logger"] == "django.request"]
    assert line["message"].startswith("Bad Request: /api/v1/demand-events/")
    assert line["user_id"] == integration_user.pk
    assert line["token_id"] == digest[:16]
    assert key not in log_lines.getvalue() and key[:8] not in log_lines.getvalue()


def test_a_line_logged_for_a_line_or_product_says_which(db, log_lines) -> None:  # type: ignore[no-untyped-def]
    from production.ops.logs import log_subject

    with log_subject(line="assembly", product="F-100"):
        logging.getLogger("production.test").warning("short of components")
    (line,) = [line for line in parsed(log_lines) if line["logger"] == "production.test"]
    assert line["line"] == "assembly" and line["product"] == "F-100"


def test_a_request_for_a_line_or_product_says_which_in_its_lines(planner, log_lines) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(planner)
    assert client.get("/dashboards/lines/no-such-line/").status_code == 404
    assert client.get("/planning/forecasts/NO-SUCH-SKU/").status_code == 404
    lines = {
        line["message"]: line for line in parsed(log_lines) if line["logger"] == "django.request"
    }
    assert lines["Not Found: /dashboards/lines/no-such-line/"]["line"] == "no-such-line"
    assert lines["Not Found: /planning/forecasts/NO-SUCH-SKU/"]["product"] == "NO-SUCH-SKU"


def test_a_task_run_in_process_keeps_the_request_id_it_runs_under(db) -> None:  # type: ignore[no-untyped-def]
    set_guid("a" * 32)
    try:
        idempotency_keys_prune_task.apply()
        assert get_guid() == "a" * 32  # neither replaced nor cleared by the task's signals
    finally:
        set_guid(None)  # type: ignore[arg-type]


def test_a_broker_away_when_queueing_deliveries_is_one_warning_line(
    db, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    from production.webhooks import dispatch
    from production.webhooks.tasks import webhook_deliver_task

    def broker_away(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(webhook_deliver_task, "delay", broker_away)
    with caplog.at_level(logging.WARNING):
        dispatch.queue_deliveries([1, 2])
    (record,) = [r for r in caplog.records if r.name == "production.webhooks.dispatch"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "Connection refused" in record.getMessage()
