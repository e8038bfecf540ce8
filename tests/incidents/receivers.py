"""Real receivers on loopback for the notification tests: an aiohttp webhook endpoint and
an aiosmtpd SMTP server, each on a thread of its own so any app (or two) can reach them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from kpiwatch.core.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        """What a receiver does: HMAC-SHA256 of the raw body, compared in constant time."""
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("X-Kpiwatch-Signature", ""))


def _wait(found: list[Any], count: int, timeout: float, what: str) -> list[Any]:
    deadline = time.monotonic() + timeout
    while len(found) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} {what} arrived: {found}"
        time.sleep(0.02)
    return list(found)


class WebhookReceiver:
    """Answers each POST with the next of ``answers`` (then 200) after ``delay_s``;
    ``received`` keeps the requests it accepted, ``refused`` the others."""

    def __init__(self) -> None:
        self.port = free_port()
        self.answers: list[int] = []
        self.delay_s = 0.0
        self.received: list[Received] = []
        self.refused: list[Received] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.answers.pop(0) if self.answers else 200
        seen = Received(request.path, dict(request.headers), body)
        (self.received if status == 200 else self.refused).append(seen)
        return web.Response(status=status, text="ok" if status == 200 else "try later")

    async def _start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        found: list[Received] = _wait(self.received, count, timeout, "webhook requests")
        return found

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a fixed loopback port; ``start``/``stop`` simulate an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = _Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[list[str], EmailMessage]]:
        found: list[tuple[list[str], EmailMessage]] = _wait(
            self.mailbox.messages, count, timeout, "mails"
        )
        return found


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A running SMTP server (``smtp.stop()`` takes it down, ``smtp.start()`` back up)."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def notify_settings(database_url: str, smtp_port: int | None = None, **changes: Any) -> Settings:
    """Settings for the notification tests: a quick-polling worker, loopback targets
    allowed, mail to the local SMTP server without TLS."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": None,
        "scheduler_enabled": False,
        "public_url": "http://status.test",
        "notify_poll_s": 0.05,
        "notify_allow_private_targets": True,
        "smtp_host": "127.0.0.1" if smtp_port else None,
        "smtp_port": smtp_port or 25,
        "smtp_security": "none",
        "smtp_from": "Status <status@example.com>",
    }
    return Settings(**(values | changes))


def wait_for_deliveries(
    client: TestClient,
    auth: dict[str, str],
    incident_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 10,
) -> dict[str, Any]:
    """``GET /api/incidents/{id}/deliveries`` until ``done`` holds for its answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/incidents/{incident_id}/deliveries", headers=auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if done(body):
            return body
        assert time.monotonic() < deadline, f"deliveries never got there: {body}"
        time.sleep(0.05)


def text_of(mail: EmailMessage) -> str:
    """A received mail's text with the wire's CRLF line ends made plain."""
    return str(mail.get_content()).replace("\r\n", "\n")
