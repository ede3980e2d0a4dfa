"""OAuth2 client-credentials authentication as an `httpx.Auth` flow.

The token is cached and refreshed shortly before it expires; concurrent requests share one
refresh. A 401 from any API call refreshes once and replays the request once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable

import httpx

from ._config import CXoneConfig
from ._exceptions import CXoneAuthError, CXoneInvalidResponse, CXoneServerError
from ._session import server_message
from ._tokens import TokenCache, token_key
from ._transport import REPLAY_SAFE_EXTENSION

TOKEN_PATH = "/api/v2/oauth/token"


class ClientCredentialsAuth(httpx.Auth):
    """Adds `Authorization: Bearer <token>` to each request.

    Args:
        config: the tenant's settings (client id and secret, scopes, refresh margin).
        send: sends the token request; the client passes its rate-limited, retrying transport.
        clock: monotonic seconds, injectable for tests.
        cache: tokens shared with other clients of the same credentials (none by default).
    """

    requires_response_body = True

    def __init__(
        self,
        config: CXoneConfig,
        send: Callable[[httpx.Request], Awaitable[httpx.Response]],
        clock: Callable[[], float] = time.monotonic,
        cache: TokenCache | None = None,
    ):
        self._config = config
        self._send = send
        self._clock = clock
        self._cache = cache
        self._key = token_key(
            config.base_url,
            config.client_id,
            config.client_secret.get_secret_value(),
            config.scopes,
        )
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def sync_auth_flow(self, request):
        raise RuntimeError("ClientCredentialsAuth supports httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._token_for(stale=None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {await self._token_for(stale=token)}"
            yield request

    async def _token_for(self, stale: str | None) -> str:
        """A valid token; `stale` is one the server just refused, so never return it again."""
        async with self._lock:
            fresh = self._token is not None and self._clock() < self._refresh_at
            if not fresh or self._token == stale:
                shared = self._cache.get(self._key, self._clock()) if self._cache else None
                if shared is not None and shared[0] != stale:
                    self._token, self._refresh_at = shared
                else:
                    await self._refresh()
                    if self._cache is not None:
                        self._cache.put(self._key, self._token, self._refresh_at)
            return self._token

    async def _refresh(self) -> None:
        config = self._config
        url = f"{config.base_url}{TOKEN_PATH}"
        request = httpx.Request(
            "POST",
            url,
            data={
                "grant_type": "client_credentials",
                "client_id": config.client_id,
                "client_secret": config.client_secret.get_secret_value(),
                "scope": config.scopes,
            },
            headers={"Accept": "application/json"},
            extensions={
                REPLAY_SAFE_EXTENSION: True,  # asking for a token twice changes nothing
                "timeout": httpx.Timeout(config.timeout_seconds).as_dict(),
            },
        )
        try:
            response = await self._send(request)
        except httpx.TransportError as exc:
            raise CXoneServerError(
                f"token request to {url} failed: {type(exc).__name__}", url=url
            ) from None
        await response.aread()
        if response.status_code != 200:
            status = response.status_code
            error = CXoneServerError if status >= 500 else CXoneAuthError
            reason = self._scrub(server_message(response))
            raise error(
                f"token request to {url} was refused with {status}"
                + (f": {reason}" if reason else ""),
                status_code=status,
                url=url,
            )
        try:
            body = response.json()
            token, expires_in = body["access_token"], float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            raise CXoneInvalidResponse(
                f"token response from {url} is not the expected JSON with access_token", url=url
            ) from None
        # A short-lived token must not be refreshed on every request: cap the margin at half.
        margin = min(config.token_refresh_margin_seconds, expires_in / 2)
        self._token = token
        self._refresh_at = self._clock() + expires_in - margin
        self.refresh_count += 1

    def _scrub(self, text: str) -> str:
        """Never let the secret reach an exception, even if a server echoes it."""
        return text.replace(self._config.client_secret.get_secret_value(), "**********")
