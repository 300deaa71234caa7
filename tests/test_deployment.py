"""docker-compose.yml describes a whole deployment, and takes its secrets from the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose_config(env: dict[str, str]) -> dict[str, Any]:
    """The file as docker-compose resolves it (variables, anchors, merges)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POSTGRES_"))}
    result = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_describes_every_service_with_a_health_check() -> None:
    config = compose_config({})
    services = config["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("db", "redis", "web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in services["db"]["volumes"])
    assert "pgdata" in config["volumes"]
    assert "uvicorn" in " ".join(services["web"]["command"])
    assert "worker" in " ".join(services["worker"]["command"])
    assert "beat" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_secrets_come_only_from_the_environment() -> None:
    unset = compose_config({})["services"]["web"]["environment"]
    assert unset["DJANGO_SECRET_KEY"] == ""  # no default: Django refuses to start
    assert unset["DATABASE_URL"] == "postgres://pullboard:@db:5432/pullboard"

    given = compose_config(
        {
            "DJANGO_SECRET_KEY": "from-the-env",
            "POSTGRES_PASSWORD": "s3cret",
            "DJANGO_ALLOWED_HOSTS": "pullboard.example.com",
        }
    )["services"]
    for name in ("web", "worker", "beat", "migrate"):
        env = given[name]["environment"]
        assert env["DJANGO_SECRET_KEY"] == "from-the-env"
        assert env["DATABASE_URL"] == "postgres://pullboard:s3cret@db:5432/pullboard"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DJANGO_DEBUG"] == "false"
        assert env["DJANGO_SECURE_SSL_REDIRECT"] == "true"
    assert given["db"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"


def test_the_image_never_bakes_in_a_secret() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "ENV DJANGO_SECRET_KEY" not in dockerfile
    assert {".env", ".venv", "node_modules", "var", ".git"} <= set(ignored)
