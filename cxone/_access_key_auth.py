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

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from ._bearer import BearerAuth, Send
from ._config import AccessKeyConfig
from ._exceptions import CXoneAuthError, CXoneInvalidResponse
from ._tokens import TokenCache, token_key

ACCESS_KEY_PATH = "/authentication/v1/token/access-key"
OPENID_PATH = "/.well-known/openid-configuration"
TENANT_PATH = "/.well-known/cxone-configuration"

# issuer -> token endpoint; (issuer, tenant id) -> API endpoint. Both change rarely, if ever.
_token_endpoints: dict[str, str] = {}
_api_endpoints: dict[tuple[str, str], str] = {}
# credentials key -> tenant id, for clients that take a shared token instead of fetching one
# (an access token need not be a JWT).
_tenant_ids: dict[str, str] = {}


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without verifying it (only routing depends on them).

    Example:
        >>> body = base64.urlsafe_b64encode(b'{"tenantId": "t-1"}').decode().rstrip("=")
        >>> jwt_claims(f"x.{body}.y")["tenantId"]
        't-1'
    """
    try:
        payload = token.split(".")[1]
        claims: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        return claims
    except (IndexError, ValueError):
        return {}


class AccessKeyAuth(BearerAuth):
    """Adds `Authorization: Bearer <token>` (see `BearerAuth`) and finds the tenant's API.

    Args:
        config: the access key, the optional app registration, the issuer.
        send: sends the token and discovery requests through the client's paced transport.
        clock: monotonic seconds, injectable for tests.
        cache: tokens shared with other clients of the same credentials.
    """

    def __init__(
        self,
        config: AccessKeyConfig,
        send: Send,
        clock: Callable[[], float] = time.monotonic,
        cache: TokenCache | None = None,
    ):
        super().__init__(
            key=token_key(
                config.issuer,
                config.access_key_id,
                config.access_key_secret.get_secret_value(),
                config.client_id or "",
            ),
            send=send,
            clock=clock,
            cache=cache,
            refresh_margin=config.token_refresh_margin_seconds,
            timeout=config.timeout_seconds,
            secrets=(config.access_key_secret, config.client_secret),
        )
        self._config = config
        self._tenant_id: str | None = None

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
            url = f"{issuer}{TENANT_PATH}"
            request = self._request("GET", url, params={"tenantId": self._tenant_id})
            body = await self._exchange(request, "tenant discovery")
            endpoint = body.get("api_endpoint") if isinstance(body, dict) else None
            if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
                raise CXoneInvalidResponse(f"{url} gave no api_endpoint", url=url)
            _api_endpoints[key] = endpoint.rstrip("/")
        return _api_endpoints[key]

    def _adopted(self, token: str) -> None:
        self._tenant_id = self._tenant_id or _tenant_ids.get(self._key)

    async def _fetch(self) -> tuple[str, float]:
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
        body = await self._exchange(request, "token request", "access_token")
        token, expires_in = self._token_of(body, url)
        claims = jwt_claims(body.get("id_token") or "") or jwt_claims(token)
        self._tenant_id = claims.get("tenantId") or self._tenant_id
        if self._tenant_id:
            _tenant_ids[self._key] = self._tenant_id
        return token, expires_in

    async def _token_endpoint(self) -> str:
        issuer = self._config.issuer
        if issuer not in _token_endpoints:
            url = f"{issuer}{OPENID_PATH}"
            body = await self._exchange(self._request("GET", url), "OpenID discovery")
            endpoint = body.get("token_endpoint") if isinstance(body, dict) else None
            if not isinstance(endpoint, str):
                raise CXoneInvalidResponse(f"{url} gave no token_endpoint", url=url)
            _token_endpoints[issuer] = endpoint
        return _token_endpoints[issuer]
