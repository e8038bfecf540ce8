"""Running one check and classifying what it saw.

Error types (``CheckResult.error_type``):

- ``timeout``: no complete answer within the monitor's timeout (or, for a push monitor,
  no ping within its interval plus grace).
- ``dns_error``: the host name did not resolve.
- ``connection_error``: the connection was refused, reset or closed early.
- ``tls_error``: the TLS handshake or certificate failed, or the certificate expires
  sooner than ``tls_days_min`` days.
- ``http_error``: an answer with an unexpected status code, or an invalid HTTP exchange.
- ``keyword_mismatch``: the keyword is missing (or present when it must be absent).
- ``json_mismatch``: the body is not JSON, or the value at the JSON path differs.
- ``condition_failed``: one of the monitor's conditions (``conditions.py``) does not hold;
  the message names the first that failed and what was found.

A successful check slower than ``degraded_ms`` is ``degraded``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time
from datetime import datetime
from urllib.parse import urlsplit

import aiohttp

from kpiwatch.watch import conditions, jsonpath
from kpiwatch.watch.spec import CheckResult, MonitorSpec
from kpiwatch.watch.tracing import Timings

DEFAULT_EXPECTED = range(200, 300)


def classify_exception(exc: BaseException) -> tuple[str, str]:
    """The error type and a message for an exception raised while checking."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        return "timeout", "no answer within the timeout"
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return "dns_error", message
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError | ssl.CertificateError):
        return "tls_error", message
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return "connection_error", message
    return "http_error", message


def classify(
    spec: MonitorSpec,
    at: datetime,
    elapsed_ms: float,
    *,
    status_code: int | None = None,
    error: tuple[str, str] | None = None,
    timings: dict[str, float] | None = None,
) -> CheckResult:
    """The result of a check that got an answer: down with ``error``, else up or degraded."""
    error_type: str | None = None
    message: str | None = None
    if error is not None:
        status, (error_type, message) = "down", error
    elif elapsed_ms > spec.degraded_ms:
        status, message = "degraded", f"took {elapsed_ms:.0f} ms, over {spec.degraded_ms} ms"
    else:
        status = "up"
    return CheckResult(
        monitor_id=spec.id,
        at=at,
        status=status,
        status_code=status_code,
        response_ms=round(elapsed_ms, 3),
        error_type=error_type,
        error_message=message,
        timings=timings,
    )


def _down(
    spec: MonitorSpec,
    at: datetime,
    error: tuple[str, str],
    timings: dict[str, float] | None = None,
) -> CheckResult:
    return CheckResult(
        monitor_id=spec.id,
        at=at,
        status="down",
        error_type=error[0],
        error_message=error[1],
        timings=timings,
    )


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _content_error(spec: MonitorSpec, text: str) -> tuple[str, str] | None:
    if spec.keyword is not None:
        found = spec.keyword in text
        if found and spec.keyword_absent:
            return "keyword_mismatch", f"keyword {spec.keyword!r} is present"
        if not found and not spec.keyword_absent:
            return "keyword_mismatch", f"keyword {spec.keyword!r} not found"
    if spec.json_path is not None:
        try:
            document = json.loads(text)
        except ValueError:
            return "json_mismatch", "the body is not JSON"
        try:
            value = jsonpath.lookup(document, jsonpath.parse(spec.json_path))
        except jsonpath.Missing:
            return "json_mismatch", f"nothing at {spec.json_path}"
        if spec.json_expected is not None and jsonpath.as_text(value) != spec.json_expected:
            return (
                "json_mismatch",
                f"{spec.json_path} is {jsonpath.as_text(value)[:200]}, "
                f"expected {spec.json_expected}",
            )
    return None


def _condition_error(spec: MonitorSpec, seen: conditions.Observed) -> tuple[str, str] | None:
    for index, condition in enumerate(spec.conditions, start=1):
        failed = condition.failure(seen)
        if failed is not None:
            return "condition_failed", f"condition {index} failed: {failed}"
    return None


def _certificate_expires_ms(response: aiohttp.ClientResponse, at: datetime) -> float | None:
    connection = response.connection
    transport = connection.transport if connection is not None else None
    certificate = transport.get_extra_info("peercert") if transport is not None else None
    if not certificate or "notAfter" not in certificate:
        return None
    expires = ssl.cert_time_to_seconds(str(certificate["notAfter"]))
    return (expires - at.timestamp()) * 1000


def answer_error(
    spec: MonitorSpec,
    status_code: int,
    text: str,
    elapsed_ms: float,
    certificate_ms: float | None = None,
) -> tuple[str, str] | None:
    """What is wrong with an http answer, in the order checked: the status code, the
    keyword and JSON path, the conditions. None when nothing is."""
    # With conditions and no expected codes, the conditions alone judge the status code.
    expected = spec.expected_status or (() if spec.conditions else DEFAULT_EXPECTED)
    if expected and status_code not in expected:
        return "http_error", f"status {status_code}"
    error = _content_error(spec, text)
    if error is None and spec.conditions:
        seen = conditions.Observed(status_code, elapsed_ms, text, certificate_ms)
        error = _condition_error(spec, seen)
    return error


async def check_http(
    session: aiohttp.ClientSession, spec: MonitorSpec, at: datetime, max_body: int
) -> CheckResult:
    assert spec.url is not None
    loop = asyncio.get_running_loop()
    timings = Timings(start=loop.time())
    certificate_ms: float | None = None
    try:
        async with asyncio.timeout(spec.timeout_s):
            async with session.request(
                spec.method,
                spec.url,
                headers=spec.headers,
                data=spec.body,
                allow_redirects=spec.follow_redirects,
                trace_request_ctx=timings,
                timeout=aiohttp.ClientTimeout(total=spec.timeout_s),
            ) as response:
                if conditions.needs_certificate(spec.conditions):
                    certificate_ms = _certificate_expires_ms(response, at)
                body = await _read_limited(response, max_body)
                end = loop.time()
                text = body.decode(response.charset or "utf-8", errors="replace")
                status_code = response.status
    except Exception as exc:  # every failure becomes a classified result
        return _down(spec, at, classify_exception(exc), timings=timings.as_ms(loop.time()))
    elapsed_ms = (end - timings.start) * 1000
    error = answer_error(spec, status_code, text, elapsed_ms, certificate_ms)
    return classify(
        spec, at, elapsed_ms, status_code=status_code, error=error, timings=timings.as_ms(end)
    )


def _host_port(spec: MonitorSpec) -> tuple[str, int]:
    if spec.host is not None and spec.port is not None:
        return spec.host, spec.port
    parts = urlsplit(spec.url or "")
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


async def check_tcp(spec: MonitorSpec, at: datetime, *, tls: bool = False) -> CheckResult:
    host, port = _host_port(spec)
    context = ssl.create_default_context() if tls else None
    started = time.perf_counter()
    try:
        async with asyncio.timeout(spec.timeout_s):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=host if tls else None
            )
        elapsed_ms = (time.perf_counter() - started) * 1000
        certificate = writer.get_extra_info("peercert") if tls else None
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    except Exception as exc:  # every failure becomes a classified result
        return _down(spec, at, classify_exception(exc))
    error = _certificate_error(spec, certificate, at) if tls else None
    return classify(spec, at, elapsed_ms, error=error)


def _certificate_error(
    spec: MonitorSpec, certificate: dict[str, object] | None, at: datetime
) -> tuple[str, str] | None:
    if not certificate or "notAfter" not in certificate:
        return "tls_error", "no certificate"
    expires = ssl.cert_time_to_seconds(str(certificate["notAfter"]))
    days_left = (expires - at.timestamp()) / 86400
    if spec.tls_days_min is not None and days_left < spec.tls_days_min:
        return "tls_error", f"certificate expires in {days_left:.1f} days"
    return None


def check_push(spec: MonitorSpec, at: datetime, last_push_at: datetime | None) -> CheckResult:
    reference = last_push_at or spec.created_at
    silent_s = (at - reference).total_seconds()
    if silent_s <= spec.interval_s + spec.grace_s:
        return CheckResult(monitor_id=spec.id, at=at, status="up")
    what = "no ping yet" if last_push_at is None else f"no ping for {silent_s:.0f} s"
    return _down(spec, at, ("timeout", what))


async def run_check(
    session: aiohttp.ClientSession,
    spec: MonitorSpec,
    at: datetime,
    max_body: int,
    last_push_at: datetime | None = None,
) -> CheckResult:
    if spec.type == "http":
        return await check_http(session, spec, at, max_body)
    if spec.type == "tcp":
        return await check_tcp(spec, at)
    if spec.type == "tls":
        return await check_tcp(spec, at, tls=True)
    return check_push(spec, at, last_push_at)
