"""Per-phase timing of an HTTP check through aiohttp's ``TraceConfig``.

Each request passes a ``Timings`` object as ``trace_request_ctx``; the hooks stamp it.
``connect`` includes the TLS handshake (aiohttp reports them as one phase).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp


@dataclass
class Timings:
    start: float = 0.0
    dns_start: float | None = None
    dns_end: float | None = None
    connect_start: float | None = None
    connect_end: float | None = None
    first_byte: float | None = None

    def as_ms(self, end: float) -> dict[str, float]:
        def ms(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round((b - a) * 1000, 3)

        phases = {
            "dns": ms(self.dns_start, self.dns_end),
            "connect": ms(self.connect_start, self.connect_end),
            "first_byte": ms(self.start, self.first_byte),
            "total": ms(self.start, end),
        }
        return {k: v for k, v in phases.items() if v is not None}


def _stamp(attribute: str) -> Any:
    async def hook(_session: aiohttp.ClientSession, ctx: SimpleNamespace, _params: Any) -> None:
        timings = ctx.trace_request_ctx
        if isinstance(timings, Timings) and getattr(timings, attribute) is None:
            setattr(timings, attribute, asyncio.get_running_loop().time())

    return hook


def trace_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_dns_resolvehost_start.append(_stamp("dns_start"))
    config.on_dns_resolvehost_end.append(_stamp("dns_end"))
    config.on_connection_create_start.append(_stamp("connect_start"))
    config.on_connection_create_end.append(_stamp("connect_end"))
    config.on_request_end.append(_stamp("first_byte"))
    return config
