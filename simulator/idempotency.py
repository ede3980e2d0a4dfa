"""X-Idempotency-Key: the first response to a key is stored and replayed for retries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request, Response

from .errors import ApiError

HEADER = "X-Idempotency-Key"


def _fingerprint(method: str, path: str, body: bytes) -> str:
    try:  # the same JSON with other key order or spacing is the same request
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


@dataclass(frozen=True)
class _Stored:
    method: str
    path: str
    fingerprint: str
    status: int
    body: bytes


class IdempotencyStore:
    def __init__(self) -> None:
        self._responses: dict[str, _Stored] = {}

    def clear(self) -> None:
        self._responses.clear()

    def run(self, request: Request, body: bytes, handler: Callable[[], Response]) -> Response:
        """Answer with `handler()`, or with the response stored for this request's key."""
        key = request.headers.get(HEADER)
        if not key:
            return _respond(handler)
        method, path = request.method, request.url.path
        fingerprint = _fingerprint(method, path, body)
        stored = self._responses.get(key)
        if stored is not None:
            if (stored.method, stored.path) != (method, path):
                raise ApiError(
                    422,
                    f"idempotency key {key!r} was already used for {stored.method} {stored.path}",
                )
            if stored.fingerprint != fingerprint:
                raise ApiError(
                    422, f"idempotency key {key!r} was reused with a different request body"
                )
            return Response(
                stored.body,
                stored.status,
                headers={"Idempotent-Replayed": "true"},
                media_type="application/json",
            )
        # Auth, throttling and faults answer before this point, so a retry after those gets a
        # fresh try; what is stored is the handler's own answer, success or validation error.
        response = _respond(handler)
        self._responses[key] = _Stored(
            method, path, fingerprint, response.status_code, bytes(response.body)
        )
        return response


def _respond(handler: Callable[[], Response]) -> Response:
    try:
        return handler()
    except ApiError as error:  # validation and conflict answers are stored like successes
        return error.response()
