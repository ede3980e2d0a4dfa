"""OAuth2 client-credentials authentication (the described API) as an `httpx.Auth` flow."""

from __future__ import annotations

import time
from collections.abc import Callable

from ._bearer import BearerAuth, Send
from ._config import CXoneConfig
from ._tokens import TokenCache, token_key

TOKEN_PATH = "/api/v2/oauth/token"


class ClientCredentialsAuth(BearerAuth):
    """Adds `Authorization: Bearer <token>` to each request (see `BearerAuth`).

    Args:
        config: the tenant's settings (client id and secret, scopes, refresh margin).
        send: sends the token request; the client passes its rate-limited, retrying transport.
        clock: monotonic seconds, injectable for tests.
        cache: tokens shared with other clients of the same credentials (none by default).
    """

    def __init__(
        self,
        config: CXoneConfig,
        send: Send,
        clock: Callable[[], float] = time.monotonic,
        cache: TokenCache | None = None,
    ):
        secret = config.client_secret
        super().__init__(
            key=token_key(
                config.base_url, config.client_id, secret.get_secret_value(), config.scopes
            ),
            send=send,
            clock=clock,
            cache=cache,
            refresh_margin=config.token_refresh_margin_seconds,
            timeout=config.timeout_seconds,
            secrets=(secret,),
        )
        self._config = config

    async def _fetch(self) -> tuple[str, float]:
        config = self._config
        url = f"{config.base_url}{TOKEN_PATH}"
        request = self._request(
            "POST",
            url,
            data={
                "grant_type": "client_credentials",
                "client_id": config.client_id,
                "client_secret": config.client_secret.get_secret_value(),
                "scope": config.scopes,
            },
        )
        return self._token_of(await self._exchange(request, "token request", "access_token"), url)
