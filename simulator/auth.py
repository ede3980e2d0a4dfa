"""Client-credentials tokens: issue, expire, and check a bearer token for one scope."""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock
from .errors import ApiError

CAMPAIGNS_WRITE = "omnichannel:campaigns:write"
CAMPAIGNS_READ = "omnichannel:campaigns:read"
CONTACTLISTS_READ = "omnichannel:contactlists:read"
WEBHOOKS_WRITE = "omnichannel:webhooks:write"
ANALYTICS_READ = "analytics:read"
SCOPES = (CAMPAIGNS_WRITE, CAMPAIGNS_READ, CONTACTLISTS_READ, WEBHOOKS_WRITE, ANALYTICS_READ)
_BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass
class _Token:
    scopes: frozenset[str]
    expires_at: datetime


class TokenStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, _Token] = {}

    def clear(self) -> None:
        self._tokens.clear()

    def issue(self, form: dict[str, str], client_id: str, client_secret: str, ttl: float) -> dict:
        """The token response for a client-credentials form, or ApiError 400/401."""
        grant = form.get("grant_type")
        if grant != "client_credentials":
            raise ApiError(
                400,
                f"grant_type must be client_credentials (got {grant!r})",
                error="unsupported_grant_type",
            )
        # compare_digest on both, so a wrong id takes as long as a wrong secret
        id_ok = hmac.compare_digest(form.get("client_id", "").encode(), client_id.encode())
        secret_ok = hmac.compare_digest(
            form.get("client_secret", "").encode(), client_secret.encode()
        )
        if not (id_ok and secret_ok):
            raise ApiError(401, "client authentication failed", error="invalid_client")
        requested = form.get("scope", "").split()
        scopes = [scope for scope in SCOPES if scope in requested] if requested else list(SCOPES)
        token = secrets.token_urlsafe(32)
        self._tokens[token] = _Token(frozenset(scopes), self._clock.now() + timedelta(seconds=ttl))
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": math.ceil(ttl),
            "scope": " ".join(scopes),
        }

    def expire_all(self) -> None:
        now = self._clock.now()
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, now)

    def check(self, authorization: str | None, scope: str) -> None:
        """Raise 401 for a missing, unknown or expired token, 403 if it lacks `scope`."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(401, "missing bearer token", _BEARER_CHALLENGE)
        token = self._tokens.get(value.strip())
        if token is None:
            raise ApiError(401, "unknown access token", _BEARER_CHALLENGE)
        if token.expires_at <= self._clock.now():
            raise ApiError(401, "access token expired", _BEARER_CHALLENGE)
        if scope not in token.scopes:
            raise ApiError(403, f"the access token lacks the required scope {scope}", scope=scope)
