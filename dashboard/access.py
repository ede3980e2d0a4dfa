"""Who may read the dashboard: holders of its token, or (when so configured) loopback clients.

Every route needs the token except the signed webhook routes (their signature is their
authentication) and `GET /livez`, which answers only `ok`. The token comes as
`Authorization: Bearer <token>` or as the password of HTTP Basic auth with any user name, so
a browser's login prompt works. With `CXONE_DASHBOARD_AUTH=localhost` there is no token and
only loopback clients are answered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass

from prefect.blocks.system import Secret
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from blocks import read_block

from .settings import AUTH_ENV, TOKEN_BLOCK_ENV, DashboardSettings

# Routes that carry their own authentication (a signature), and the liveness probe.
OPEN_PATHS = frozenset({"/webhooks/cxone", "/webhooks/revocations", "/livez"})
CHALLENGE = 'Basic realm="cxone-dashboard"'
MIN_TOKEN_LENGTH = 16


class AccessNotConfigured(RuntimeError):
    """The dashboard has no token and is not limited to localhost; it must not start."""


@dataclass(frozen=True)
class Access:
    """How requests are let in.

    Attributes:
        token: the token every protected request must carry; None in localhost mode, where
            only loopback clients are answered.
    """

    token: SecretStr | None

    def refusal(self, scope: Scope) -> tuple[int, str, dict[str, str]] | None:
        """Why this request may not pass (status, message, headers), or None when it may."""
        if self.token is None:
            if _is_loopback(scope.get("client")):
                return None
            return 403, "this dashboard answers only clients on this machine", {}
        given = _presented_token(dict(scope["headers"]).get(b"authorization", b""))
        if given is not None and _same(given, self.token.get_secret_value()):
            return None
        return 401, "credentials required", {"WWW-Authenticate": CHALLENGE}


def _same(given: str, token: str) -> bool:
    """Constant time, and without revealing the token's length: compare digests."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(token.encode()).digest()
    )


def _presented_token(header: bytes) -> str | None:
    """The token of a Bearer header, or the password of a Basic one; None otherwise."""
    scheme, _, value = header.decode("latin-1").strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, colon, password = decoded.partition(":")
        return password if colon else None
    return None


def _is_loopback(client: tuple[str, int] | None) -> bool:
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


async def resolve_access(settings: DashboardSettings) -> Access:
    """The access rule `settings` ask for, reading the token from its Secret block if needed.

    Raises:
        AccessNotConfigured: neither a token nor localhost mode: the message names both
            options; or the block could not be read, or holds an unusable token.
    """
    if settings.auth == "localhost":
        return Access(token=None)
    if settings.token is not None:
        return Access(_usable(settings.token.get_secret_value(), "the given token"))
    name = settings.token_block
    try:
        block = await read_block(Secret, name)
    except Exception as exc:
        raise AccessNotConfigured(
            f"could not read the dashboard's token (Secret block {name!r}) from Prefect: "
            f"{type(exc).__name__}"
        ) from None
    if block is None:
        raise AccessNotConfigured(
            f"the dashboard needs credentials: save its token in a Prefect Secret block "
            f"named {name!r} (or name another one in {TOKEN_BLOCK_ENV}), or set "
            f"{AUTH_ENV}=localhost to serve only this machine without credentials"
        )
    value = block.get()
    return Access(_usable(value if isinstance(value, str) else json.dumps(value), repr(name)))


def _usable(token: str, where: str) -> SecretStr:
    if len(token) < MIN_TOKEN_LENGTH:
        raise AccessNotConfigured(
            f"the dashboard token in {where} is shorter than {MIN_TOKEN_LENGTH} characters; "
            "use a random one (python -c 'import secrets; print(secrets.token_urlsafe())')"
        )
    return SecretStr(token)


class RequireAccess:
    """ASGI middleware that answers 401 or 403 to requests `Access` refuses, and 503 to
    protected requests before the app has started (when the rule is not known yet).

    Args:
        app: the application to wrap.
        access: the current rule, None until the app has started.
    """

    def __init__(self, app: ASGIApp, access: Callable[[], Access | None]) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        access = self.access()
        if access is None:
            refusal: tuple[int, str, dict[str, str]] | None = (
                503,
                "the dashboard is not running (its server must run the lifespan)",
                {},
            )
        else:
            refusal = access.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message, headers = refusal
        body = json.dumps({"detail": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
