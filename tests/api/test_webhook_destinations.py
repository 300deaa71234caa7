"""Where webhooks may go: no server-side request forgery through a subscription's URL."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from production.errors import DomainError
from production.services import work_order_create
from production.webhooks import delivery as sender
from production.webhooks.delivery import webhook_deliveries_queue_due
from production.webhooks.models import WebhookDelivery, WebhookSubscription
from production.webhooks.services import webhook_subscription_create
from tests.api.conftest import problem_fields
from tests.api.receiver import running_receiver

URL = "/api/v1/webhooks/"
EVENTS = ["work_order.created"]


def subscribe(client: Any, url: str) -> Any:
    return client.post(URL, {"url": url, "event_types": EVENTS}, format="json")


def refusal(response: Any) -> dict[str, str]:
    """The one error of a refused URL, after checking it is a 400 naming `url`."""
    assert response.status_code == 400, response.content
    assert problem_fields(response) == {"url"}
    [error] = response.json()["errors"]
    return error


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str] | None]) -> dict:
    """Answer for `names` (None: the name does not resolve); other hosts as before.

    The dict is returned so that a test can re-point a name, as a DNS change would.
    """
    resolve = socket.getaddrinfo

    def answer(host: Any, port: Any = None, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in names:
            return resolve(host, port, *args, **kwargs)
        addresses = names[host]
        if addresses is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port or 0, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    return names


@pytest.fixture
def no_loopback(settings: Any) -> None:
    """As deployed: the suite allows loopback for its receivers, production does not."""
    settings.WEBHOOK_ALLOW_LOOPBACK = False


def make_due() -> None:
    WebhookDelivery.objects.filter(status="pending").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8000/hooks", "loopback"),
        ("http://127.1.2.3/hooks", "loopback"),
        ("http://[::1]:8000/hooks", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/hooks", "link-local"),
        ("http://224.0.0.251/hooks", "multicast"),
        ("http://[ff02::1]/hooks", "multicast"),
        ("http://0.0.0.0:8000/hooks", "unspecified"),
        ("http://[::]:8000/hooks", "unspecified"),
        ("http://240.0.0.1/hooks", "reserved"),
        ("http://[::ffff:127.0.0.1]:8000/hooks", "loopback"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "link-local"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://100.100.100.200/latest/meta-data/", "cloud metadata"),
    ],
)
def test_blocked_networks_are_refused_and_nothing_is_stored(erp, no_loopback, url, kind):
    error = refusal(subscribe(erp, url))
    assert error["code"] == "blocked_destination"
    assert f"{kind} address" in error["message"]
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_cannot_be_pointed_at_a_blocked_address(erp, no_loopback):
    created = subscribe(erp, "https://erp.example/hooks")
    assert created.status_code == 201
    sub_id = created.json()["id"]
    patched = erp.patch(
        f"{URL}{sub_id}/", {"url": "http://169.254.169.254/latest/meta-data/"}, format="json"
    )
    assert refusal(patched)["code"] == "blocked_destination"
    assert WebhookSubscription.objects.get().url == "https://erp.example/hooks"


def test_loopback_is_allowed_only_when_turned_on(erp, settings):
    assert subscribe(erp, "http://127.0.0.1:8000/hooks").status_code == 201  # the suite's setting
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    assert "loopback" in refusal(subscribe(erp, "http://localhost:8000/hooks"))["message"]
    assert WebhookSubscription.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://10.20.0.5/hooks",
        "http://172.16.4.4:8080/hooks",
        "https://192.168.1.20/erp/hooks",
        "http://[fd12:3456::1]/hooks",
        "http://100.101.102.103/hooks",  # shared space (carrier NAT, overlay VPNs)
    ],
)
def test_private_networks_are_allowed_unless_turned_off(erp, settings, url):
    assert subscribe(erp, url).status_code == 201
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    assert "private-network address" in refusal(subscribe(erp, url))["message"]
    assert WebhookSubscription.objects.count() == 1


def test_a_public_name_is_allowed_with_private_networks_off(erp, settings, monkeypatch):
    fake_dns(monkeypatch, {"erp.plant.example": ["93.184.215.14", "2606:2800:21f:cb07::1"]})
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    assert subscribe(erp, "https://erp.plant.example/hooks").status_code == 201


@pytest.mark.parametrize(
    "url", ["https://erp:s3cret@erp.example/hooks", "https://token@erp.example/hooks"]
)
def test_credentials_in_the_url_are_refused(erp, url):
    assert refusal(subscribe(erp, url))["code"] == "credentials_in_url"
    assert not WebhookSubscription.objects.exists()


def test_only_http_and_https_are_accepted(erp, db):
    assert refusal(subscribe(erp, "ftp://erp.example/hooks"))["code"] == "unsupported_scheme"
    for url in ("file:///etc/passwd", "gopher://erp.example:70/_hooks"):
        with pytest.raises(DomainError) as refused:
            webhook_subscription_create(url=url, event_types=EVENTS)
        assert (refused.value.field, refused.value.code) == ("url", "unsupported_scheme")
    assert not WebhookSubscription.objects.exists()


def test_a_name_is_refused_if_any_of_its_addresses_is_blocked(erp, no_loopback, monkeypatch):
    fake_dns(
        monkeypatch,
        {
            "erp.plant.example": ["10.0.0.7", "127.0.0.1"],
            "metadata.google.internal": ["169.254.169.254"],
        },
    )
    error = refusal(subscribe(erp, "https://erp.plant.example/hooks"))
    assert error["message"] == (
        "Webhooks cannot be sent to erp.plant.example: it resolves to a loopback address."
    )
    assert "127.0.0.1" not in error["message"], "the API does not show internal DNS answers"
    error = refusal(subscribe(erp, "http://metadata.google.internal/computeMetadata/v1/"))
    assert "link-local address" in error["message"]
    assert not WebhookSubscription.objects.exists()


def test_a_name_that_does_not_resolve_is_refused(erp, monkeypatch):
    fake_dns(monkeypatch, {"erp.gone.example": None})
    error = refusal(subscribe(erp, "https://erp.gone.example/hooks"))
    assert error == {
        "field": "url",
        "message": "Could not resolve host erp.gone.example.",
        "code": "unresolvable_host",
    }
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/hooks",  # 127.0.0.1 as one number: the resolver reads it
        "http://127.0.0.1\\@erp.example/hooks",  # requests connects to 127.0.0.1
    ],
)
def test_other_spellings_of_loopback_are_refused(no_loopback, db, url):
    with pytest.raises(DomainError, match="loopback address"):
        webhook_subscription_create(url=url, event_types=EVENTS)
    assert not WebhookSubscription.objects.exists()


def test_the_admin_shows_a_refused_url_on_the_form(client, admin_user, no_loopback):
    client.force_login(admin_user)
    response = client.post(
        "/admin/production/webhooksubscription/add/",
        {"url": "http://169.254.169.254/latest/meta-data/", "event_types": EVENTS},
    )
    assert response.status_code == 200
    assert "it is a link-local address" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_destination_refused_at_send_time_is_a_failed_attempt_and_nothing_is_sent(
    plant, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PULLBOARD = {**settings.PULLBOARD, "WEBHOOKS": {"max_attempts": 2}}
    dns = fake_dns(monkeypatch, {"erp.plant.example": ["10.20.30.40"]})
    webhook_subscription_create(url="http://erp.plant.example/hooks", event_types=EVENTS)
    dns["erp.plant.example"] = ["169.254.169.254"]  # the name is re-pointed after subscribing
    sent: list[str] = []

    def post(url: str, **kwargs: Any) -> None:
        sent.append(url)
        raise sender.requests.ConnectionError("a refused destination was sent to")

    monkeypatch.setattr(sender.checked_session(), "post", post)

    with django_capture_on_commit_callbacks(execute=True):
        work_order_create(product=plant.component, quantity=Decimal("1"))
    assert sent == []
    delivery = WebhookDelivery.objects.get()
    attempt = delivery.attempts.get()
    assert attempt.status_code is None
    assert attempt.error == (
        "Not sent: Webhooks cannot be sent to erp.plant.example: "
        "it resolves to a link-local address."
    )
    assert delivery.last_error == attempt.error
    assert delivery.status == "pending" and delivery.attempt_count == 1
    assert delivery.next_attempt_at > timezone.now(), "retried after a backoff, like any failure"

    make_due()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliveries_queue_due()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempt_count == 2
    assert sent == []


def test_a_receiver_on_loopback_gets_nothing_once_loopback_is_turned_off(
    plant, settings, django_capture_on_commit_callbacks
):
    with running_receiver() as receiver:
        receiver.secret = webhook_subscription_create(url=receiver.url, event_types=EVENTS).secret
        settings.WEBHOOK_ALLOW_LOOPBACK = False
        with django_capture_on_commit_callbacks(execute=True):
            work_order_create(product=plant.component, quantity=Decimal("1"))
    assert receiver.received == []
    attempt = WebhookDelivery.objects.get().attempts.get()
    assert "it is a loopback address" in attempt.error and attempt.status_code is None


@contextmanager
def redirecting_to(location: str) -> Iterator[str]:
    """A receiver that answers every POST with a 307 (keep the method and body) to `location`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_not_followed(plant, django_capture_on_commit_callbacks):
    with running_receiver() as target, redirecting_to(target.url) as url:
        target.secret = webhook_subscription_create(url=url, event_types=EVENTS).secret
        with django_capture_on_commit_callbacks(execute=True):
            work_order_create(product=plant.component, quantity=Decimal("1"))
    assert target.received == [], "the redirect's target must not be reached"
    delivery = WebhookDelivery.objects.get()
    attempt = delivery.attempts.get()
    assert attempt.status_code == 307
    assert "Redirects are not followed" in attempt.error
    assert delivery.status == "pending" and delivery.attempt_count == 1  # a failure, retried


def test_a_name_rebound_to_loopback_between_check_and_connect_gets_nothing(
    plant, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the name answers a public address to every check and 127.0.0.1 when
    the client connects. The connection's own peer is checked, so nothing is sent."""
    with running_receiver() as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        url = f"http://rebind.example:{port}/hooks"
        real = socket.getaddrinfo
        public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        loopback = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        checks = {"n": 0}

        def rebinding(host: Any, *args: Any, **kwargs: Any) -> list[Any]:
            if host != "rebind.example":
                return real(host, *args, **kwargs)
            checks["n"] += 1
            return public if checks["n"] <= 2 else loopback  # subscribe, send-time check

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        settings.WEBHOOK_ALLOW_LOOPBACK = False
        receiver.secret = webhook_subscription_create(url=url, event_types=EVENTS).secret
        with django_capture_on_commit_callbacks(execute=True):
            work_order_create(product=plant.component, quantity=Decimal("1"))
    assert checks["n"] >= 3, "the client resolved the name again to connect"
    assert receiver.received == []
    attempt = WebhookDelivery.objects.get().attempts.get()
    assert attempt.status_code is None
    assert attempt.error == "Not sent: Webhooks cannot be sent to 127.0.0.1: a loopback address."
