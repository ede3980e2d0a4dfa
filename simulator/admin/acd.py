"""Conventions every ACD API request goes through (Admin and Reporting share them).

- Base path `/inContactAPI/services/v{N}.0/`, matched case-insensitively (clients write both
  `/inContactAPI/` and `/incontactapi/`). Versions v1.0 to v33.0 exist (33 is the newest the
  sources name); any other version is 404. Operations that need a version check it.
- `Accept` must list `application/json`. Without it (also with only `*/*`, which one source
  suggests the platform would take: the strict reading) the answer is 406 with the plain-text
  body "No known way to render data". 406 because the server cannot produce what was asked
  for; the real status was not found, and a non-JSON body makes a careless client fail.
- A bearer token the issuer issued, still live on the simulator's clock; 401 otherwise.
- Checked in that order (version, Accept, token), before the operation reads its body.
- Paging with `skip` (default 0) and `top` (default 50, at most 100: a larger `top` is
  quietly cut to 100, so a client must page by `totalRecords`).
- An empty result is 204 with no body. Operations the sources type without an answer
  (start, stop, deletes, parameter updates, DNC skill wiring) answer 202 with no body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import AdminError, bad_request
from .state import admin_state

BASE_PATH = "/inContactAPI/services"
NEWEST_VERSION = 33
DEFAULT_TOP = 50
MAX_TOP = 100
NOT_ACCEPTABLE_TEXT = "No known way to render data"
_VERSION = re.compile(r"(\d+)\.0")


class NotAcceptable(Exception):
    """The request does not accept JSON, the only thing the API renders."""


class CanonicalBasePath:
    """Rewrites any spelling of the base path to `BASE_PATH` before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.lower().startswith(BASE_PATH.lower() + "/"):
            scope = {**scope, "path": BASE_PATH + path[len(BASE_PATH) :]}
        await self.app(scope, receive, send)


def accepts_json(accept: str | None) -> bool:
    """Whether an Accept header lists application/json (with a non-zero q).

    >>> accepts_json("application/json"), accepts_json("text/html, application/json;q=0.9")
    (True, True)
    >>> accepts_json(None), accepts_json("*/*"), accepts_json("application/json;q=0")
    (False, False, False)
    """
    for media_range in (accept or "").split(","):
        media_type, *params = (part.strip().lower() for part in media_range.split(";"))
        if media_type == "application/json" and "q=0" not in params:
            return True
    return False


async def acd_request(request: Request, version: str) -> None:
    """The checks before any ACD operation: version, Accept, token; then due jobs finish."""
    match = _VERSION.fullmatch(version)
    if not match or not 1 <= int(match[1]) <= NEWEST_VERSION:
        raise AdminError(404, "NotFound", f"there is no API version v{version}")
    request.state.api_version = int(match[1])
    if not accepts_json(request.headers.get("accept")):
        raise NotAcceptable
    state = admin_state(request)
    state.tokens.check(request.headers.get("authorization"))
    state.settle()


def api_version(request: Request) -> int:
    return request.state.api_version


def install_not_acceptable_handler(app: FastAPI) -> None:
    async def not_acceptable(_: Request, __: NotAcceptable) -> PlainTextResponse:
        return PlainTextResponse(NOT_ACCEPTABLE_TEXT, status_code=406)

    app.add_exception_handler(NotAcceptable, not_acceptable)


async def json_body(request: Request) -> object:
    """The parsed JSON body; 400 when it is missing or not JSON."""
    try:
        return json.loads(await request.body())
    except ValueError:
        raise bad_request("the body must be JSON") from None


def query_flag(request: Request, name: str, default: bool = False) -> bool:
    """A `true`/`false` query parameter (any case); 400 for anything else."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false"):
        raise bad_request(f"{name} must be true or false (got {raw!r})")
    return raw.lower() == "true"


def query_int(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise bad_request(f"{name} must be an integer of at least {minimum} (got {raw!r})")
    return int(raw)


def no_content() -> Response:
    return Response(status_code=204)


def accepted() -> Response:
    return Response(status_code=202)


def page_of(request: Request, items: list) -> list:
    """The slice of `items` that the request's `skip` and `top` select."""
    skip = query_int(request, "skip", 0, minimum=0)
    top = min(query_int(request, "top", DEFAULT_TOP, minimum=1), MAX_TOP)
    return items[skip : skip + top]


def paged(request: Request, items: list, render: Callable[[list, int], dict]) -> Response:
    """The page of `items` rendered with the total, or 204 when the page is empty."""
    page = page_of(request, items)
    if not page:
        return no_content()
    return JSONResponse(render(page, len(items)))
