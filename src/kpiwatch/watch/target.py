"""A scriptable HTTP service on loopback: the demo's monitored target and the tests'.

``mode`` decides every answer of ``/health``: ``up``, ``slow`` (answers after
``slow_s``), ``error`` (HTTP 500), ``hang`` (answers after ``hang_s``, past any sane
timeout), ``wrong_keyword`` (no "healthy" in the body), ``bad_json`` (HTML) and
``json_false`` (``data.ok`` is false).
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

BODIES = {
    "up": json.dumps({"status": "healthy", "data": {"ok": True}}),
    "wrong_keyword": json.dumps({"status": "sick", "data": {"ok": True}}),
    "json_false": json.dumps({"status": "healthy", "data": {"ok": False}}),
    "bad_json": "<html><body>healthy</body></html>",
}


class Target:
    def __init__(self, mode: str = "up", *, slow_s: float = 0.25, hang_s: float = 2.0) -> None:
        self.mode = mode
        self.slow_s = slow_s
        self.hang_s = hang_s
        self.hits = 0
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    async def _health(self, _request: web.Request) -> web.Response:
        self.hits += 1
        mode = self.mode
        if mode == "slow":
            await asyncio.sleep(self.slow_s)
        elif mode == "hang":
            await asyncio.sleep(self.hang_s)
        elif mode == "error":
            return web.Response(status=500, text="internal error")
        body = BODIES.get(mode, BODIES["up"])
        kind = "text/html" if mode == "bad_json" else "application/json"
        return web.Response(text=body, content_type=kind)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/health", self._health)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
