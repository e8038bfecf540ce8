"""Helpers of the analysis tests: counters uploaded as CSV, job polling, a loopback LLM.

``LlmServer`` is a real aiohttp server on 127.0.0.1 (its own thread and loop) that speaks
the OpenAI chat-completions format, or fails the way ``mode`` says: ``ok``, ``error``
(HTTP 500), ``garbage`` (200 with HTML), ``slow`` (answers after ``delay_s``) and ``hold``
(answers once ``release()`` is called, so a test can look at a job while it waits).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web
from fastapi.testclient import TestClient
from tests.conftest import password_of

Headers = Callable[[str], dict[str, str]]
HOUR = timedelta(hours=1)
N_MINUS_1_START = datetime(2026, 2, 28, 0, 0, tzinfo=UTC)
N_START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
N_MINUS_1 = "2026-02-28_00:00~2026-02-28_05:59"
N = "2026-03-01_00:00~2026-03-01_05:59"
ENDED = ("succeeded", "failed", "cancelled")


def login_headers(client: TestClient) -> Headers:
    """``headers(persona)`` for a client built by the test itself (not the fixture's)."""

    def auth(name: str) -> dict[str, str]:
        login = {"username": name, "password": password_of(name)}
        response = client.post("/api/auth/login", json=login)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return auth


def hourly_csv(series: dict[tuple[str, str, str], tuple[list[Any], list[Any]]]) -> bytes:
    """CSV of hourly counters: ``(ne, cell, counter) → (N-1 values, N values)``, six hours
    each from the starts above; ``None`` is a missing value."""
    lines = ["ne,object,period_end,gran_s,counter,value"]
    for (ne, cell, counter), periods in series.items():
        for start, values in zip((N_MINUS_1_START, N_START), periods, strict=True):
            for hour, value in enumerate(values):
                end = (start + (hour + 1) * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")
                shown = "" if value is None else str(value)
                lines.append(f"{ne},{cell},{end},3600,{counter},{shown}")
    return ("\n".join(lines) + "\n").encode()


def upload(client: TestClient, headers: Headers, persona: str, content: bytes) -> None:
    """Import counters through ``POST /api/pm/files``."""
    response = client.post(
        "/api/pm/files",
        files=[("files", ("counters.csv", content, "text/csv"))],
        headers=headers(persona),
    )
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 1, response.text


def start(
    client: TestClient, headers: Headers, persona: str = "bob", **body: Any
) -> dict[str, Any]:
    """Start an analysis of N-1 vs N above; ``body`` adds or overrides fields."""
    response = client.post(
        "/api/async-analysis/start",
        json={"n_minus_1": N_MINUS_1, "n": N, **body},
        headers=headers(persona),
    )
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def wait_for(
    client: TestClient,
    auth: dict[str, str],
    analysis_id: str,
    statuses: Iterable[str] = ENDED,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Poll the job until its status is one of ``statuses``."""
    wanted = set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/async-analysis/status/{analysis_id}", headers=auth)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in wanted:
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}: {job}"
        time.sleep(0.05)


def result_of(client: TestClient, auth: dict[str, str], analysis_id: str) -> dict[str, Any]:
    """The result of a succeeded job through ``GET /api/async-analysis/result/{id}``."""
    response = client.get(f"/api/async-analysis/result/{analysis_id}", headers=auth)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def rows_by(result: dict[str, Any], kpi: str) -> dict[str | None, dict[str, Any]]:
    """The result's rows of one KPI by cell (None: the network row)."""
    return {r["cell"]: r for r in result["peg_metrics"]["rows"] if r["kpi"] == kpi}


def chat_answer(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1772442000,
        "model": "local-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }


class LlmServer:
    """An OpenAI-compatible chat endpoint on loopback (``{url}/chat/completions``)."""

    def __init__(self, mode: str = "ok", text: str = "", delay_s: float = 0.0) -> None:
        self.mode = mode
        self.text = text
        self.delay_s = delay_s
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.port = 0
        self._released = threading.Event()
        self._runner: web.AppRunner | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def release(self) -> None:
        self._released.set()

    async def _chat(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), orjson.loads(await request.read())))
        if self.mode == "slow":
            await asyncio.sleep(self.delay_s)
        elif self.mode == "hold":
            await asyncio.get_running_loop().run_in_executor(None, self._released.wait, 30)
        elif self.mode == "error":
            return web.Response(status=500, text="model overloaded")
        elif self.mode == "garbage":
            return web.Response(text="<html>not json</html>", content_type="text/html")
        return web.json_response(chat_answer(self.text))

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def close(self) -> None:
        self._released.set()
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def __enter__(self) -> LlmServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
