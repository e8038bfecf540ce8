"""Sending one notification: an HTTP POST (webhook, Slack) or a mail over SMTP.

Each send answers an ``outbox.Outcome`` and never raises for a failed delivery. An HTTP
receiver must answer 2xx; redirects are not followed (a webhook is an address, and a
redirect could lead a visitor's webhook into the internal network). Mail goes through
the standard library's ``smtplib`` in a thread. Error texts are cut to 300 characters
and have the caller's secrets (a Slack URL, say) replaced before they are stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import ssl
import time
from email.message import EmailMessage
from typing import Any

import aiohttp

from kpiwatch import __version__
from kpiwatch.core.config import Settings
from kpiwatch.incidents.outbox import Outcome
from kpiwatch.incidents.targets import PublicResolver

USER_AGENT = f"kpiwatch/{__version__} (+notifications)"
SIGNATURE_HEADER = "X-Kpiwatch-Signature"
TIMESTAMP_HEADER = "X-Kpiwatch-Timestamp"


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body with secret>``: the signature header's value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _scrub(text: str, hidden: dict[str, str]) -> str:
    for secret, shown in hidden.items():
        if secret:
            text = text.replace(secret, shown)
    return text[:300]


class Transports:
    """The HTTP sessions and SMTP settings of one worker; ``close`` when done."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    def _session(self, public_only: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(public_only)
        if session is None:
            connector = aiohttp.TCPConnector(
                resolver=PublicResolver() if public_only else None, limit=100
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.settings.notify_timeout_s),
                headers={"User-Agent": USER_AGENT},
            )
            self._sessions[public_only] = session
        return session

    async def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        public_only: bool,
        hidden: dict[str, str],
    ) -> Outcome:
        """POST ``body`` (JSON) to ``url``; ``public_only`` refuses private addresses."""
        started = time.perf_counter()
        try:
            async with self._session(public_only).post(
                url,
                data=body,
                headers={"Content-Type": "application/json", **headers},
                allow_redirects=False,
            ) as response:
                text = await response.text(errors="replace")
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return Outcome(False, _since(started), error=_scrub(error, hidden))
        if 200 <= status < 300:
            return Outcome(True, _since(started), status_code=status)
        error = f"HTTP {status}: {' '.join(text.split())[:200]}".rstrip(": ")
        return Outcome(False, _since(started), status_code=status, error=_scrub(error, hidden))

    def _smtp(self, message: EmailMessage) -> dict[str, Any]:
        settings = self.settings
        assert settings.smtp_host is not None
        timeout = settings.notify_timeout_s
        smtp: smtplib.SMTP
        if settings.smtp_security == "ssl":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
            refused: dict[str, Any] = smtp.send_message(message)
            return refused

    async def mail(self, message: EmailMessage) -> Outcome:
        """Send ``message`` through the configured SMTP server."""
        if not self.settings.smtp_host:
            return Outcome(
                False, 0, error="SMTP is not configured (KPIWATCH_SMTP_HOST)", permanent=True
            )
        started = time.perf_counter()
        try:
            refused = await asyncio.to_thread(self._smtp, message)
        except smtplib.SMTPResponseException as exc:
            detail = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            return Outcome(
                False,
                _since(started),
                status_code=exc.smtp_code,
                error=f"SMTP {exc.smtp_code}: {detail}"[:300],
            )
        except (smtplib.SMTPException, OSError) as exc:
            return Outcome(False, _since(started), error=f"{type(exc).__name__}: {exc}"[:300])
        if refused:
            # Some recipients were refused, the others accepted: retrying would send twice.
            return Outcome(
                True, _since(started), error=f"refused: {', '.join(sorted(refused))}"[:300]
            )
        return Outcome(True, _since(started))

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
