"""A log of every API request, for tests that count calls or check retries."""

from __future__ import annotations

from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .clock import Clock, iso
from .faults import ConnectionDropped
from .paths import RequestFilter

# Bounded so a long demo cannot grow it without end; far above what any test reads.
MAX_LOGGED_REQUESTS = 100_000


def new_request_log() -> deque[dict]:
    return deque(maxlen=MAX_LOGGED_REQUESTS)


class RequestLogMiddleware:
    def __init__(
        self, app: ASGIApp, log: deque[dict], clock: Clock, matches: RequestFilter
    ) -> None:
        self.app = app
        self.log = log
        self.clock = clock
        self.matches = matches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.matches(scope):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        entry: dict = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "status": None,
            "idempotency_key": (
                headers[b"x-idempotency-key"].decode("latin-1")
                if b"x-idempotency-key" in headers
                else None
            ),
            "at": iso(self.clock.now()),
        }
        self.log.append(entry)

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        except ConnectionDropped:
            entry["status"] = "dropped"
            raise
