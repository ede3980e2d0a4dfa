"""Security headers: a few on every answer, and the page's Content Security Policy."""

from __future__ import annotations

import base64
import hashlib

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Every answer: no MIME sniffing, never framed (clickjacking), no referrer to other sites.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def inline_source(text: str) -> str:
    """The CSP source that allows exactly this inline `<style>` or `<script>` content.

    Example:
        >>> inline_source("")
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(style: str, script: str) -> str:
    """A policy for a self-contained page: its one inline style and script, requests to its
    own origin, images from its origin, nothing else, and no framing."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {inline_source(script)}",
            f"style-src {inline_source(style)}",
            "connect-src 'self'",
            "img-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """ASGI middleware that adds `COMMON_HEADERS` to every HTTP answer (unless the route set
    them). Plain ASGI rather than `BaseHTTPMiddleware`, which would add a task per request.

    Args:
        app: the application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
