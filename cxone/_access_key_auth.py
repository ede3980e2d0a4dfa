"""NICE CXone access-key authentication and tenant discovery, as an `httpx.Auth` flow.

Two token routes exist (reference: cxone_admin_api.md section 1):

- with an app registration: `GET {issuer}/.well-known/openid-configuration` gives the
  `token_endpoint`; the password grant sends the access key id and secret as `username` and
  `password`, the app's client id and secret by HTTP Basic;
- without one: `POST {issuer}/authentication/v1/token/access-key` with JSON
  `{accessKeyId, accessKeySecret}`.

The tenant id is the `tenantId` claim of the `id_token` (or of the access token when there is
no id token); `GET {issuer}/.well-known/cxone-configuration?tenantId=` gives `api_endpoint`.
Tenants live on different clusters, so the API host is never guessed. Discoveries are cached
for the process; tokens are cached and shared like the described API's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import httpx

from ._config import AccessKeyConfig
from ._exceptions import CXoneAuthError, CXoneInvalidResponse, CXoneServerError
from ._session import server_message
from ._tokens import TokenCache, token_key
from ._transport import REPLAY_SAFE_EXTENSION

ACCESS_KEY_PATH = "/authentication/v1/token/access-key"
OPENID_PATH = "/.well-known/openid-configuration"
TENANT_PATH = "/.well-known/cxone-configuration"

# issuer -> token endpoint; (issuer, tenant id) -> API endpoint. Both change rarely, if ever.
_token_endpoints: dict[str, str] = {}
_api_endpoints: dict[tuple[str, str], str] = {}


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without verifying it (only routing depends on them).

    Example:
        >>> body = base64.urlsafe_b64encode(b'{"tenantId": "t-1"}').decode().rstrip("=")
        >>> jwt_claims(f"x.{body}.y")["tenantId"]
        't-1'
    """
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


class AccessKeyAuth(httpx.Auth):
    """Adds `Authorization: Bearer <token>` to each request; a 401 refreshes once and replays.

    Args:
        config: the access key, the optional app registration, the issuer.
        send: sends the token and discovery requests through the client's paced transport.
        clock: monotonic seconds, injectable for tests.
        cache: tokens shared with other clients of the same credentials.
    """

    requires_response_body = True

    def __init__(
        self,
        config: AccessKeyConfig,
        send: Callable[[httpx.Request], Awaitable[httpx.Response]],
        clock: Callable[[], float] = time.monotonic,
        cache: TokenCache | None = None,
    ):
        self._config = config
        self._send = send
        self._clock = clock
        self._cache = cache
        self._key = token_key(
            config.issuer,
            config.access_key_id,
            config.access_key_secret.get_secret_value(),
            config.client_id or "",
        )
        self._token: str | None = None
        self._refresh_at = 0.0
        self._tenant_id: str | None = None
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def sync_auth_flow(self, request):
        raise RuntimeError("AccessKeyAuth supports httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._token_for(stale=None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {await self._token_for(stale=token)}"
            yield request

    async def api_endpoint(self) -> str:
        """The tenant's API host: the override, or discovered once from the tenant id.

        Raises:
            CXoneAuthError: the token names no tenant, or the issuer does not know it.
        """
        if self._config.api_base_url:
            return self._config.api_base_url
        await self._token_for(stale=None)
        issuer = self._config.issuer
        if not self._tenant_id:
            raise CXoneAuthError(f"the token from {issuer} names no tenantId claim")
        key = (issuer, self._tenant_id)
        if key not in _api_endpoints:
            body = await self._discover(f"{issuer}{TENANT_PATH}", {"tenantId": self._tenant_id})
            endpoint = body.get("api_endpoint") if isinstance(body, dict) else None
            if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
                raise CXoneInvalidResponse(f"{issuer}{TENANT_PATH} gave no api_endpoint")
            _api_endpoints[key] = endpoint.rstrip("/")
        return _api_endpoints[key]

    async def _token_for(self, stale: str | None) -> str:
        async with self._lock:
            fresh = self._token is not None and self._clock() < self._refresh_at
            if not fresh or self._token == stale:
                shared = self._cache.get(self._key, self._clock()) if self._cache else None
                if shared is not None and shared[0] != stale:
                    self._token, self._refresh_at = shared
                    self._tenant_id = self._tenant_id or jwt_claims(shared[0]).get("tenantId")
                else:
                    await self._refresh()
            return self._token

    async def _refresh(self) -> None:
        config = self._config
        if config.client_id and config.client_secret:
            url = await self._token_endpoint()
            secret = config.client_secret.get_secret_value()
            basic = base64.b64encode(f"{config.client_id}:{secret}".encode()).decode()
            request = self._request(
                "POST",
                url,
                data={
                    "grant_type": "password",
                    "username": config.access_key_id,
                    "password": config.access_key_secret.get_secret_value(),
                },
                headers={"Authorization": f"Basic {basic}"},
            )
        else:
            url = f"{config.issuer}{ACCESS_KEY_PATH}"
            request = self._request(
                "POST",
                url,
                json={
                    "accessKeyId": config.access_key_id,
                    "accessKeySecret": config.access_key_secret.get_secret_value(),
                },
            )
        body = await self._exchange(request, "token request")
        try:
            token = body["access_token"]
            expires_in = float(body.get("expires_in") or 3600)  # sometimes a string
        except (KeyError, TypeError, ValueError):
            raise CXoneInvalidResponse(f"token response from {url} has no access_token") from None
        claims = jwt_claims(body.get("id_token") or "") or jwt_claims(token)
        self._tenant_id = claims.get("tenantId") or self._tenant_id
        margin = min(config.token_refresh_margin_seconds, expires_in / 2)
        self._token, self._refresh_at = token, self._clock() + expires_in - margin
        if self._cache is not None:
            self._cache.put(self._key, token, self._refresh_at)
        self.refresh_count += 1

    async def _token_endpoint(self) -> str:
        issuer = self._config.issuer
        if issuer not in _token_endpoints:
            body = await self._discover(f"{issuer}{OPENID_PATH}", None)
            endpoint = body.get("token_endpoint") if isinstance(body, dict) else None
            if not isinstance(endpoint, str):
                raise CXoneInvalidResponse(f"{issuer}{OPENID_PATH} gave no token_endpoint")
            _token_endpoints[issuer] = endpoint
        return _token_endpoints[issuer]

    async def _discover(self, url: str, params: dict | None) -> Any:
        return await self._exchange(self._request("GET", url, params=params), "discovery")

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Request:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        return httpx.Request(
            method,
            url,
            headers=headers,
            # Asking for a token or a discovery document twice changes nothing.
            extensions={
                REPLAY_SAFE_EXTENSION: True,
                "timeout": httpx.Timeout(self._config.timeout_seconds).as_dict(),
            },
            **kwargs,
        )

    async def _exchange(self, request: httpx.Request, what: str) -> Any:
        url = str(request.url.copy_with(query=None))
        try:
            response = await self._send(request)
        except httpx.TransportError as exc:
            raise CXoneServerError(f"{what} to {url} failed: {type(exc).__name__}") from None
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
            raise CXoneInvalidResponse(f"{what} to {url} did not answer JSON", url=url) from None

    def _scrub(self, text: str) -> str:
        """Never let a secret reach an exception, even if a server echoes it."""
        for secret in (self._config.access_key_secret, self._config.client_secret):
            if secret is not None:
                text = text.replace(secret.get_secret_value(), "**********")
        return text
