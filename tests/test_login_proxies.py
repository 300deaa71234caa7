"""Failed-login lockout behind a reverse proxy: a client cannot choose the address it is
locked on by sending its own X-Forwarded-For; only a configured proxy is believed.

The web command of docker-compose.yml is run for real (uvicorn, the test database), since
the address is settled there before Django sees the request."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from django.test import RequestFactory, override_settings

from config.proxies import client_ip
from tests.factories import UserFactory
from tests.support import free_port, subprocess_database_url

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pullboard-test-pw"  # tests.factories.UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """The server process checks passwords with the project's hashers: hash with those."""


def compose_web_command(port: int) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    script = compose["services"]["web"]["command"][-1]
    # After the set-up commands (the metrics folder), the server itself.
    script = script.replace("$${WEB_CONCURRENCY:-3}", "1").split("exec ", 1)[1]
    args = shlex.split(script)
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(port)
    return [sys.executable, "-m", *args]


def start_web(env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env_extra,
    }
    process = subprocess.Popen(compose_web_command(port), cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/login/", timeout=5)
            return process, url
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the web command did not start")
            time.sleep(0.2)


@pytest.fixture
def web() -> Iterator:
    started: list[subprocess.Popen[bytes]] = []

    def run(**env: str) -> str:
        process, url = start_web(env)
        started.append(process)
        return url

    yield run
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def log_in(url: str, username: str, password: str, forwarded_for: str) -> int:
    session = requests.Session()
    page = session.get(f"{url}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = session.post(
        f"{url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"X-Forwarded-For": forwarded_for, "Referer": f"{url}/login/"},
        allow_redirects=False,
        timeout=10,
    )
    return answer.status_code


@pytest.mark.django_db(transaction=True)
def test_a_spoofed_forwarded_for_does_not_escape_the_lockout(web):
    UserFactory(username="victim", roles=["operator"])
    url = web()  # no trusted proxy configured: the connection's address counts
    for attempt in range(6):
        assert log_in(url, "victim", "wrong", f"198.51.100.{attempt}") != 302
    # A fresh header each time changes nothing: the account is locked for this client.
    assert log_in(url, "victim", PASSWORD, "198.51.100.77") != 302


@pytest.mark.django_db(transaction=True)
def test_behind_a_configured_proxy_each_client_has_its_own_lockout(web):
    UserFactory(username="victim", roles=["operator"])
    url = web(TRUSTED_PROXIES="127.0.0.1")  # the test plays the reverse proxy
    for _ in range(6):
        assert log_in(url, "victim", "wrong", "198.51.100.1") != 302
    assert log_in(url, "victim", PASSWORD, "198.51.100.1") != 302  # locked there
    assert log_in(url, "victim", PASSWORD, "198.51.100.2") == 302  # not for another client


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not from the proxy: ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "1.1.1.1, 198.51.100.1", "198.51.100.1"),  # right-most untrusted hop
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"),  # a second trusted proxy
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_client_address(remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert client_ip(request) == expected


def test_no_deployment_believes_every_forwarded_header():
    for name in ("docker-compose.yml", "Dockerfile"):
        text = (ROOT / name).read_text()
        assert "--forwarded-allow-ips" not in text, name
