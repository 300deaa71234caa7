"""Configuration from the environment: a deployment without its own secret key does not
start, the reconciler's timing is set there, and the image's collectstatic step works."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from production.models import DemandEvent
from production.reconcile import reconcile
from production.services import demand_record

ROOT = Path(__file__).resolve().parent.parent


def run_django(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh process with exactly this environment (no test-session markers)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PULLBOARD_", "PYTEST_"))
        and k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "config.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SERVICES = {"DATABASE_URL": "postgres://pullboard@db:5432/pullboard", "REDIS_URL": "redis://r:6379"}


def test_a_deployment_without_a_secret_key_refuses_to_start() -> None:
    refused = run_django("print('started')", SERVICES)
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "DJANGO_SECRET_KEY" in refused.stderr
    assert "started" not in refused.stdout

    given = run_django(
        "from django.conf import settings; print(settings.SECRET_KEY)",
        SERVICES | {"DJANGO_SECRET_KEY": "from-the-environment"},
    )
    assert given.returncode == 0 and given.stdout.strip() == "from-the-environment"


@pytest.mark.parametrize(
    "env", [{}, SERVICES | {"DJANGO_DEBUG": "true"}], ids=["embedded", "debug"]
)
def test_the_embedded_profile_and_debug_still_start_without_a_key(env: dict[str, str]) -> None:
    started = run_django("from django.conf import settings; print(bool(settings.SECRET_KEY))", env)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "True"


def test_the_reconcilers_interval_comes_from_the_environment() -> None:
    code = (
        "from django.conf import settings; "
        "print(settings.CELERY_BEAT_SCHEDULE['reconcile-pull-engine']['schedule'].total_seconds(),"
        " settings.PULLBOARD['RECONCILE_STALE_SECONDS'])"
    )
    default = run_django(code, {})
    assert default.stdout.split() == ["300.0", "30"], default.stderr
    tuned = run_django(
        code,
        {"PULLBOARD_RECONCILE_EVERY_SECONDS": "60", "PULLBOARD_RECONCILE_STALE_SECONDS": "5"},
    )
    assert tuned.stdout.split() == ["60.0", "5"], tuned.stderr


def test_the_reconciler_requeues_demand_older_than_the_stale_age(plant, settings, monkeypatch):  # type: ignore[no-untyped-def]
    from production import tasks

    queued: list[bool] = []
    monkeypatch.setattr(tasks.demand_process_task, "delay", lambda: queued.append(True))
    monkeypatch.setattr(tasks, "demand_processing_kick", lambda: None)
    demand_record(product=plant.finished, quantity=1, external_id="old")
    DemandEvent.objects.update(created_at=timezone.now() - timedelta(seconds=20))

    settings.PULLBOARD = {**settings.PULLBOARD, "RECONCILE_STALE_SECONDS": 60}
    assert reconcile()["requeued_events"] == 0 and queued == []
    settings.PULLBOARD = {**settings.PULLBOARD, "RECONCILE_STALE_SECONDS": 10}
    assert reconcile()["requeued_events"] == 1 and queued == [True]


def test_the_images_collectstatic_step_works_with_its_storage(tmp_path: Path) -> None:
    """The Dockerfile's own `collectstatic` line, with the storage its ENV names."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    storage = re.search(r"STATICFILES_BACKEND=(\S+)", dockerfile)
    step = re.search(r"^RUN (.*python manage\.py collectstatic[^&\\\n]*)", dockerfile, re.M)
    assert storage and step, "the Dockerfile collects static files at build time"
    command = step.group(1).replace("python manage.py", f"{sys.executable} manage.py")
    if not (ROOT / "static" / "vendor" / "chart.umd.min.js").exists():
        pytest.fail("static/vendor is missing: run `make setup-dev` (scripts/vendor.sh)")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PULLBOARD_", "PYTEST_"))
        and k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    env |= {"STATICFILES_BACKEND": storage.group(1), "DJANGO_STATIC_ROOT": str(tmp_path)}
    result = subprocess.run(
        ["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "vendor/chart.umd.min.js" in manifest and "css/pullboard.css" in manifest
    assert (tmp_path / manifest["vendor/chart.umd.min.js"]).with_suffix(".js.gz").exists()
