"""Access, refresh and id tokens of the stand-in, shared by its issuer and its ACD API.

Access and id tokens are JWTs carrying the claims clients read (`tenantId`, `tenant`,
`icBUId`, `icClusterId`, `iss`, `exp`). Access tokens expire on the simulator's clock after
`token_ttl_seconds`; the ACD API answers 401 for an unknown or expired one.

Refresh tokens are single use: refreshing answers a new pair and retires the old refresh
token (rotation; the platform's policy was not found, so the stricter reading). They do not
expire on their own and only a reset clears them: the `expire_tokens` fault expires access
tokens only, leaving a client able to refresh, as the platform's 401-then-refresh advice
expects.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from datetime import timedelta

from ..clock import Clock
from .config import AdminConfig
from .errors import AdminError
from .jwt import encode_jwt

_BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
# One user owns the access key; its id is fixed so claims are stable across runs.
USER_ID = "11e2b7a4-5c3d-4e6f-8a9b-0c1d2e3f4a5b"


class AdminTokens:
    def __init__(self, config: Callable[[], AdminConfig], clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._access: dict[str, float] = {}  # token -> expiry, epoch seconds
        self._refresh: set[str] = set()

    def clear(self) -> None:
        self._access.clear()
        self._refresh.clear()

    def issue(self, issuer_url: str, audience: str) -> dict:
        """A fresh token response for the access key's user, issued by `issuer_url`."""
        config = self._config()
        now = self._clock.now()
        expires = now + timedelta(seconds=config.token_ttl_seconds)
        claims = {
            "iss": issuer_url,
            "sub": f"user:{USER_ID}",
            "aud": audience,
            "iat": int(now.timestamp()),
            "exp": math.ceil(expires.timestamp()),
            "tenantId": config.tenant_id,
            "tenant": config.tenant_name,
            "icBUId": config.business_unit_id,
            "icClusterId": config.cluster,
            "role": {"legacyId": "Administrator"},
        }
        access_token = encode_jwt({**claims, "jti": secrets.token_hex(8)}, self._key)
        refresh_token = secrets.token_urlsafe(32)
        self._access[access_token] = expires.timestamp()
        self._refresh.add(refresh_token)
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": math.ceil(config.token_ttl_seconds),
            "refresh_token": refresh_token,
            "id_token": encode_jwt(claims, self._key),
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        }

    def refresh(self, refresh_token: str, issuer_url: str, audience: str) -> dict:
        """Trade a live refresh token for a new pair; 401 invalid_grant for any other."""
        if refresh_token not in self._refresh:
            raise AdminError(401, "invalid_grant", "the refresh token is not valid")
        self._refresh.discard(refresh_token)
        return self.issue(issuer_url, audience)

    def expire_all(self) -> None:
        """Expire every access token issued so far (refresh tokens stay usable)."""
        now = self._clock.now().timestamp()
        # A copy: the issuer's thread may add tokens while the API's thread expires them.
        for token, expiry in list(self._access.items()):
            self._access[token] = min(expiry, now)

    def check(self, authorization: str | None) -> None:
        """Raise 401 for a missing, unknown or expired bearer token."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AdminError(401, "invalid_token", "missing bearer token", _BEARER_CHALLENGE)
        expiry = self._access.get(value.strip())
        if expiry is None:
            raise AdminError(401, "invalid_token", "unknown access token", _BEARER_CHALLENGE)
        if expiry <= self._clock.now().timestamp():
            raise AdminError(401, "invalid_token", "access token expired", _BEARER_CHALLENGE)
