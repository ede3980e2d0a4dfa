"""Injected faults for API requests, switched on from tests through a /_sim/ faults endpoint.

The middleware takes a predicate from `paths`, so one implementation serves the described API
and both apps of the NICE CXone stand-in.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response
from .paths import RequestFilter

FaultKind = Literal[
    "drop_after_commit",
    "drop",
    "server_error",
    "rate_limit",
    "slow",
    "slow_after_commit",
    "expire_tokens",
]


class FaultSpec(BaseModel):
    """Body of POST /_sim/faults. `count` is how many matching requests the fault affects."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    count: int = Field(1, ge=0)
    method: str | None = None
    path: str | None = None  # substring of the request path
    status: int = Field(503, ge=400, le=599)
    retry_after: int | None = Field(None, ge=0)
    delay_ms: float = Field(0, ge=0)


class ConnectionDropped(Exception):
    """Raised after a response has started so that the server cuts the connection."""


class Faults:
    def __init__(self) -> None:
        self._faults: list[dict] = []
        self._ids = itertools.count(1)

    def clear(self) -> None:
        self._faults.clear()

    def add(self, spec: FaultSpec) -> dict:
        fault = {"id": f"flt_{next(self._ids)}", **spec.model_dump()}
        if fault["method"]:
            fault["method"] = fault["method"].upper()
        self._faults.append(fault)
        return fault

    def all(self) -> list[dict]:
        """Faults in creation order; `count` is what is left of each."""
        return self._faults

    def take(self, method: str, path: str) -> dict | None:
        """Consume one use of the oldest fault that matches this request."""
        for fault in self._faults:
            if (
                fault["count"] > 0
                and fault["kind"] != "expire_tokens"
                and fault["method"] in (None, method)
                and (fault["path"] is None or fault["path"] in path)
            ):
                fault["count"] -= 1
                return fault
        return None


async def _drop(send: Send, start: Message) -> None:
    # Headers promise a body that never comes: uvicorn then closes the connection, and the
    # client sees a broken response (httpx.RemoteProtocolError) rather than an answer.
    await send(start)
    raise ConnectionDropped("connection dropped by an injected fault")


def _start_of_undelivered_answer() -> Message:
    body = json.dumps({"message": "connection dropped"}).encode()
    return {
        "type": "http.response.start",
        "status": 503,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
    }


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults, matches: RequestFilter) -> None:
        self.app = app
        self.faults = faults
        self.matches = matches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.matches(scope):
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["method"], scope["path"])
        kind = fault["kind"] if fault else None
        if kind == "drop":
            await _drop(send, _start_of_undelivered_answer())
        elif kind == "server_error":
            message = f"injected server error {fault['status']}"
            await error_response(fault["status"], message)(scope, receive, send)
        elif kind == "rate_limit":
            retry_after = fault["retry_after"]
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            await error_response(429, "rate limit exceeded (injected)", headers)(
                scope, receive, send
            )
        elif kind == "drop_after_commit":
            await self._commit_then_drop(scope, receive, send)
        elif kind == "slow_after_commit":
            await self._commit_then_wait(scope, receive, send, fault["delay_ms"] / 1000)
        else:
            if kind == "slow":
                await asyncio.sleep(fault["delay_ms"] / 1000)
            await self.app(scope, receive, send)

    async def _commit_then_wait(
        self, scope: Scope, receive: Receive, send: Send, seconds: float
    ) -> None:
        """Run the handler to completion (its effect is applied), then hold the answer back:
        a client that dies meanwhile never learns that its request took effect."""
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        await self.app(scope, receive, keep)
        await asyncio.sleep(seconds)
        for message in sent:
            await send(message)

    async def _commit_then_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the handler to completion (its effect and idempotent answer are stored), then
        send only the start of its response."""
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        await self.app(scope, receive, keep)
        await _drop(send, next(m for m in sent if m["type"] == "http.response.start"))
