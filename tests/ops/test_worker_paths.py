"""A real `celery worker`: its lines are JSON and carry the id of the request that queued
its task; `manage.py health_worker` answers for it by name."""

from __future__ import annotations

import json
import socket
import uuid

import pytest
from django.core.management import call_command

from production.models import DemandEvent
from tests.api.conftest import token_client
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_request_id_follows_a_demand_event_into_the_workers_task(  # type: ignore[no-untyped-def]
    start_worker, integration_user, plant
):
    worker = start_worker(concurrency=1, queues="demand")
    request_id = uuid.uuid4().hex
    response = token_client(integration_user).post(
        "/api/v1/demand-events/",
        {"external_id": "SO-42", "product": "F-100", "quantity": "2"},
        format="json",
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == request_id
    wait_for(
        lambda: not DemandEvent.objects.filter(processed_at__isnull=True).exists(),
        timeout=60,
        what="the worker to process the event",
    )

    def task_lines() -> list[dict[str, object]]:
        lines = [
            json.loads(line)
            for line in worker.log.read_text().splitlines()
            if line.startswith("{")  # Celery's start-up banner is printed, not logged
        ]
        return [line for line in lines if line.get("request_id") == request_id]

    wait_for(lambda: bool(task_lines()), timeout=20, what="the task's log line")
    (line,) = task_lines()
    assert line["task"] == "production.tasks.demand_process_task"
    assert "succeeded" in str(line["message"])
    assert line["level"] == "INFO"


def test_health_worker_answers_for_a_running_worker_and_not_for_another(start_worker) -> None:  # type: ignore[no-untyped-def]
    start_worker(concurrency=1)
    call_command("health_worker", "--name", f"test0@{socket.gethostname()}")  # no exit: healthy
    with pytest.raises(SystemExit) as nobody:
        call_command("health_worker", "--name", f"nobody@{socket.gethostname()}")
    assert nobody.value.code == 1
