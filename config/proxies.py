"""The client's address behind a reverse proxy, believed only from a configured proxy.

`X-Forwarded-For` is written by whoever sends the request; it names the client only when
the request reached us from one of `TRUSTED_PROXIES` (addresses or networks). Then the
right-most address in it that is not itself a trusted proxy is the client (each proxy
appends the address it was reached from). Used by django-axes to lock failed logins.

Written by hand: django-ipware's trusted-proxy check reads the header's own entries,
which the client can forge, rather than the address the connection came from.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _is_trusted(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Any) -> str | None:
    remote: str | None = request.META.get("REMOTE_ADDR")
    networks = trusted_networks(settings.TRUSTED_PROXIES)
    if remote is None or not _is_trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a header our proxy did not write: believe only the connection
        if not _is_trusted(hop, networks):
            return hop
    return remote
