"""The errors kpiwatch raises, and the HTTP answer each one becomes.

- ``NotFound`` (404): the object does not exist *in the caller's tenant*.
- ``Conflict`` (409): the request clashes with current state (a taken name, the last admin).
- ``InvalidInput`` (422): a value is wrong. For a request's fields the detail lists
  ``{loc, msg, type}`` items in FastAPI's own format; for a bulk body it names the lines.
- ``NotAuthenticated`` (401): no valid credentials where some are needed.
- ``PermissionDenied`` (403): valid credentials, insufficient role.
- ``RateLimited`` (429): too many attempts; ``retry_after`` seconds until the next one counts.
- ``PayloadTooLarge`` (413): the body is over the configured limit.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class KpiwatchError(Exception):
    status_code = 500

    def __init__(self, detail: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str] | None:
        return None


class NotFound(KpiwatchError):
    status_code = 404


class Conflict(KpiwatchError):
    status_code = 409


class NotAuthenticated(KpiwatchError):
    status_code = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class PermissionDenied(KpiwatchError):
    status_code = 403


class PayloadTooLarge(KpiwatchError):
    status_code = 413


class RateLimited(KpiwatchError):
    status_code = 429

    def __init__(self, detail: Any, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class InvalidInput(KpiwatchError):
    status_code = 422

    def __init__(self, detail: list[dict[str, Any]] | dict[str, Any]) -> None:
        super().__init__(detail)

    @classmethod
    def field(cls, loc: tuple[str | int, ...], msg: str, kind: str = "value_error") -> InvalidInput:
        return cls([{"loc": list(loc), "msg": msg, "type": kind}])


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KpiwatchError)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers())


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KpiwatchError, _handle)
