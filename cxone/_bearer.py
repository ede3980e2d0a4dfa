"""Bearer-token authentication as an `httpx.Auth` flow, whatever issues the token.

The token is cached and refreshed shortly before it expires (at most half its lifetime
early); concurrent requests share one refresh, and clients of the same credentials share the
token through a `TokenCache`. A 401 from any call refreshes once and replays the request
once. Subclasses say how a token is obtained; secrets never reach an exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any

import httpx
from pydantic import SecretStr

from ._exceptions import CXoneAuthError, CXoneInvalidResponse, CXoneServerError
from ._session import server_message
from ._tokens import TokenCache
from ._transport import REPLAY_SAFE_EXTENSION

Send = Callable[[httpx.Request], Awaitable[httpx.Response]]


class BearerAuth(httpx.Auth):
    """Adds `Authorization: Bearer <token>`; see the module docstring.

    Args:
        key: identifies the credentials in the shared cache (a digest, never a secret).
        send: sends token requests through the client's paced, retrying transport.
        clock: monotonic seconds, injectable for tests.
        cache: tokens shared with other clients of the same credentials.
        refresh_margin: refresh this many seconds before expiry (at most half the lifetime).
        timeout: deadline of one token request's attempt.
        secrets: values scrubbed from every error message.
    """

    requires_response_body = True

    def __init__(
        self,
        *,
        key: str,
        send: Send,
        clock: Callable[[], float],
        cache: TokenCache | None,
        refresh_margin: float,
        timeout: float,
        secrets: tuple[SecretStr | None, ...],
    ):
        self._key = key
        self._send = send
        self._clock = clock
        self._cache = cache
        self._margin = refresh_margin
        self._timeout = timeout
        self._secrets = tuple(s.get_secret_value() for s in secrets if s is not None)
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError(f"{type(self).__name__} supports httpx.AsyncClient only")

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
                    self._adopted(shared[0])
                else:
                    token, expires_in = await self._fetch()
                    # A short-lived token must not be refreshed on every request.
                    margin = min(self._margin, expires_in / 2)
                    self._token, self._refresh_at = token, self._clock() + expires_in - margin
                    self.refresh_count += 1
                    if self._cache is not None:
                        self._cache.put(self._key, token, self._refresh_at)
            assert self._token is not None
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        """Obtain a new token: (access token, lifetime in seconds)."""
        raise NotImplementedError

    def _adopted(self, token: str) -> None:
        """Called with a token taken from the shared cache instead of fetched."""

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Request:
        """A token or discovery request: asking twice changes nothing, so it may be retried."""
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        return httpx.Request(
            method,
            url,
            headers=headers,
            extensions={
                REPLAY_SAFE_EXTENSION: True,
                "timeout": httpx.Timeout(self._timeout).as_dict(),
            },
            **kwargs,
        )

    async def _exchange(self, request: httpx.Request, what: str, expecting: str = "") -> Any:
        """Send a token or discovery request; its JSON body, or the matching `CXoneError`.

        `expecting` names what the answer must hold, for the error when it is not JSON.
        """
        url = str(request.url.copy_with(query=None))
        try:
            response = await self._send(request)
        except httpx.TransportError as exc:
            raise CXoneServerError(
                f"{what} to {url} failed: {type(exc).__name__}", url=url
            ) from None
        await response.aread()
        if response.status_code != 200:
            status = response.status_code
            error = CXoneServerError if status >= 500 else CXoneAuthError
            reason = self._scrub(server_message(response))
            raise error(
                f"{what} to {url} was refused with {status}" + (f": {reason}" if reason else ""),
                status_code=status,
                url=url,
            )
        try:
            return response.json()
        except ValueError:
            wanted = f" with {expecting}" if expecting else ""
            raise CXoneInvalidResponse(
                f"{what} to {url} did not answer the expected JSON{wanted}", url=url
            ) from None

    @staticmethod
    def _token_of(body: Any, url: str) -> tuple[str, float]:
        """The access token and its lifetime (which may come as a string) from a token answer."""
        try:
            return body["access_token"], float(body.get("expires_in") or 3600)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CXoneInvalidResponse(
                f"token response from {url} is not the expected JSON with access_token", url=url
            ) from None

    def _scrub(self, text: str) -> str:
        """Never let a secret reach an exception, even if a server echoes it."""
        for secret in self._secrets:
            text = text.replace(secret, "**********")
        return text
