"""Where webhooks may be sent: the guard against server-side request forgery.

A subscription's URL is checked when it is stored and again before every attempt
(a name may resolve elsewhere by then), and the connection of every attempt checks
the address it reached (`checked_session`, against DNS rebinding). Loopback, link-local (cloud metadata at
169.254.169.254), multicast, unspecified and reserved addresses are always refused,
also in their IPv4-mapped IPv6 form. A plant's private network is allowed unless
`WEBHOOK_ALLOW_PRIVATE_NETWORKS` is off; loopback only when `WEBHOOK_ALLOW_LOOPBACK`
is on (development, tests).

The URL is parsed with urllib3, as `requests` parses it when it sends, so the host
checked is the host connected to (`urllib.parse` reads `http://127.0.0.1\\@a.example/`
as host `a.example`; requests connects to 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from production.errors import DomainError
from production.webhooks import deadline

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services outside the link-local range (AWS over IPv6, Alibaba Cloud):
# refused even where private networks are allowed.
CLOUD_METADATA = frozenset(
    {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
)


def check_destination(url: str) -> None:
    """Raise `DomainError` (field `url`) unless webhooks may be POSTed to `url`."""
    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise DomainError("Enter a valid URL.", field="url", code="invalid_url") from None
    if parsed.scheme not in ("http", "https"):
        raise DomainError(
            "Only http and https URLs can receive webhooks.", field="url", code="unsupported_scheme"
        )
    if parsed.auth is not None:
        raise DomainError(
            "Put no user name or password in the URL; receivers check the webhook-signature.",
            field="url",
            code="credentials_in_url",
        )
    host = (parsed.host or "").strip("[]")
    if not host:
        raise DomainError("The URL names no host.", field="url", code="missing_host")
    literal = _ip_literal(host)
    for address in [literal] if literal else _resolve(host, parsed.port):
        kind = _refused_kind(address)
        if kind is not None:
            # A name's addresses are not shown: the API must not become a view of internal DNS.
            what = f"{address}: it is" if literal else f"{host}: it resolves to"
            raise DomainError(
                f"Webhooks cannot be sent to {what} {_article(kind)} address.",
                field="url",
                code="blocked_destination",
            )


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int | None) -> list[IPAddress]:
    """Every address `host` resolves to (a name may have several; each must be allowed)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DomainError(
            f"Could not resolve host {host}.", field="url", code="unresolvable_host"
        ) from None
    addresses = {ipaddress.ip_address(str(answer[4][0]).split("%")[0]) for answer in answers}
    return sorted(addresses, key=lambda a: (a.version, int(a)))


def _refused_kind(address: IPAddress) -> str | None:
    """The kind of network that makes `address` refused, or None if it is allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in CLOUD_METADATA:
        return "cloud metadata"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return None if settings.WEBHOOK_ALLOW_LOOPBACK else "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    # Not global adds the shared 100.64.0.0/10 (carrier NAT, overlay VPNs) to is_private.
    if address.is_private or not address.is_global:
        return None if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS else "private-network"
    return None


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


# --- Sending: the address connected to is the address checked -------------------------
# `check_destination` resolves the name, and the HTTP client would resolve it again to
# connect: a name served with a zero TTL could answer a public address to the first and
# 127.0.0.1 to the second (DNS rebinding). So the socket's peer itself is checked, once
# connected and before a byte is sent.


class BlockedDestination(OSError):
    """The connection reached an address webhooks may not be sent to (nothing was sent)."""


def _check_peer(sock: socket.socket) -> None:
    address = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
    kind = _refused_kind(address)
    if kind is not None:
        sock.close()
        raise BlockedDestination(f"Webhooks cannot be sent to {address}: {_article(kind)} address.")


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        # Sent (on a new or a reused connection): its answer is read under the deadline.
        deadline.register(self.sock)


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        deadline.register(self.sock)


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


@cache
def checked_session() -> requests.Session:
    """A session whose every connection is checked where it lands (see above).

    Proxies from the environment are not used: through a proxy the peer would be the
    proxy, and the check would see nothing of the destination.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = _CheckedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
