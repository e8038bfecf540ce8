"""Password hashing, signed access tokens and opaque secrets (refresh tokens, API keys)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.bcrypt import BcryptHasher

_passwords = PasswordHash((BcryptHasher(),))
# Verifying against this keeps the time of a login for an unknown user equal to a real one.
_DUMMY_HASH = _passwords.hash(secrets.token_urlsafe(16))

JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "kpw_"


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _passwords.verify(password, _DUMMY_HASH)
        return False
    return _passwords.verify(password, password_hash)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class InvalidToken(Exception):
    """The token is malformed, badly signed, expired, or of the wrong kind."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str
    expires_at: int


def issue_access_token(
    key: str, *, user_id: int, session_id: str, now: datetime, ttl_s: int
) -> str:
    issued = int(now.timestamp())
    payload = {
        "sub": str(user_id),
        "sid": session_id,
        "typ": "access",
        "iat": issued,
        "exp": issued + ttl_s,
    }
    return jwt.encode(payload, key, algorithm=JWT_ALGORITHM)


def read_access_token(key: str, token: str, *, now: datetime) -> AccessClaims:
    """Check signature and expiry against ``now`` (the app clock, so tests can fix it)."""
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            options={"verify_exp": False, "require": ["sub", "sid", "exp", "typ"]},
        )
        claims = AccessClaims(int(payload["sub"]), str(payload["sid"]), int(payload["exp"]))
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise InvalidToken("invalid token") from exc
    if payload["typ"] != "access":
        raise InvalidToken("not an access token")
    if claims.expires_at <= now.timestamp():
        raise InvalidToken("token expired")
    return claims


def new_refresh_token(session_id: str) -> str:
    """``<session id>.<secret>``: the id finds the session, the secret proves possession."""
    return f"{session_id}.{secrets.token_urlsafe(32)}"


def split_refresh_token(token: str) -> tuple[str, str]:
    session_id, _, secret = token.partition(".")
    if not session_id or not secret:
        raise InvalidToken("malformed refresh token")
    return session_id, secret


def new_api_key() -> tuple[str, str]:
    """A new API key and its public prefix: ``kpw_<prefix>_<secret>``."""
    prefix = secrets.token_hex(6)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def api_key_prefix(key: str) -> str | None:
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, _ = key[len(API_KEY_PREFIX) :].partition("_")
    return prefix if sep and prefix else None


def expires(now: datetime, ttl_s: int) -> datetime:
    return now + timedelta(seconds=ttl_s)
