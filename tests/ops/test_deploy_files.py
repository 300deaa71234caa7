"""deploy/: the Grafana dashboard and the Prometheus rules parse, and every metric they
name is one GET /metrics serves; docker-compose's health checks use the health commands
and endpoints, and the services wait for each other's readiness."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from production.tasks import reconcile_task
from tests.test_deployment import compose_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\b(pullboard_[a-z0-9_]+)\b")


def served_names(settings) -> set[str]:  # type: ignore[no-untyped-def]
    settings.PULLBOARD_METRICS_TOKEN = "t"
    reconcile_task()  # the reconciler's families appear once it has run
    Client().get("/health/live")
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    names.update(re.findall(r"^# TYPE (\S+)", text, flags=re.M))  # families without samples
    return names


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    assert dashboard["panels"] and dashboard["uid"] == "pullboard"
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def alert_rules() -> list[dict[str, str]]:
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_the_alert_rules_parse_and_cover_what_the_issue_asks(db) -> None:  # type: ignore[no-untyped-def]
    rules = alert_rules()
    assert all({"alert", "expr", "labels", "annotations"} <= set(rule) for rule in rules)
    names = {rule["alert"] for rule in rules}
    assert {
        "PullboardDemandProcessingStalled",
        "PullboardWebhookDeliveriesFailing",
        "PullboardDatabaseNotReady",
    } <= names
    scrape = yaml.safe_load((DEPLOY / "prometheus-scrape.yml").read_text())
    assert scrape["scrape_configs"][0]["authorization"]["type"] == "Bearer"


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_metric_named_in_deploy_is_served(source, db, settings) -> None:  # type: ignore[no-untyped-def]
    exprs = dashboard_exprs() if source == "dashboard" else [r["expr"] for r in alert_rules()]
    named = {name for expr in exprs for name in METRIC.findall(expr)}
    assert named
    assert named - served_names(settings) == set()


def test_compose_health_checks_use_the_health_commands() -> None:
    services = compose_config({})["services"]
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "/health/ready" in web
    for name in ("worker", "worker-background", "worker-planning"):
        assert services[name]["healthcheck"]["test"][-1] == "health_worker", name
    assert services["beat"]["healthcheck"]["test"][-1] == "health_beat"
    assert services["beat"]["environment"]["PULLBOARD_BEAT_HEARTBEAT_FILE"]
    assert services["beat"]["depends_on"]["worker-background"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]


def test_promtool_accepts_the_alert_rules() -> None:
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is Debian's `prometheus` package (.ci/run installs it)")
    checked = subprocess.run(
        [promtool, "check", "rules", str(DEPLOY / "prometheus-alerts.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in checked.stdout
