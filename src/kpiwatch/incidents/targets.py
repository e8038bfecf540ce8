"""Where visitors' webhooks may point: public addresses only, unless the server allows more.

The public subscription form would otherwise let anyone make the server POST to its own
network (127.0.0.1, 10.0.0.0/8, the cloud metadata address…). A literal address or
``localhost`` is refused when the subscription is made; a host name is checked when it is
resolved for each delivery (``PublicResolver``), so a name re-pointed later is caught too.
Channels configured by admins are trusted and not filtered.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

REFUSED = "must point to a public address (not loopback, private or link-local)"


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refused_literal(url: str) -> str | None:
    """Why ``url`` may not be a visitor's webhook, judging by its host alone, or None."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return REFUSED
    try:
        return None if _public(host) else REFUSED
    except ValueError:
        return None  # a name: checked when resolved


class PublicResolver(AbstractResolver):
    """aiohttp's resolver, keeping public addresses only (none left: a connection error)."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [entry for entry in found if _public(entry["host"])]
        if not kept:
            raise OSError(f"{host} {REFUSED}")
        return kept

    async def close(self) -> None:
        await self._inner.close()
