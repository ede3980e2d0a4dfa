"""How the stand-in's issuer and ACD API answer errors.

Both answer OAuth-style bodies `{"error": <code>, "error_description": <text>}` and no
`message`: the sources show `{error, error_description}` from the token endpoint and clients
of the ACD API reading `error_description || message || error`, and a client that reads only
`message` (as the described API has it) must fail here. Gateway answers that come from the
shared middlewares (429 from the throttle, injected 5xx and 429) keep the simulator's
`{"message": ...}`, as a front proxy's would.

The one exception is a request without `Accept: application/json` on the ACD API: it gets
406 with the plain-text body "No known way to render data" (see `acd`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..errors import pydantic_problems

# Error codes of a 404 or 405 from routing, by status.
_ROUTING_CODES = {404: "NotFound", 405: "MethodNotAllowed"}


class AdminError(Exception):
    """Raised by handlers; becomes `{"error": code, "error_description": description}`."""

    def __init__(
        self, status: int, code: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.headers = headers

    def response(self) -> JSONResponse:
        body = {"error": self.code, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def bad_request(description: str) -> AdminError:
    return AdminError(400, "InvalidParameter", description)


def not_found(what: str) -> AdminError:
    return AdminError(404, "NotFound", f"{what} was not found")


def handle_admin_errors(app: FastAPI) -> None:
    """Answer an `AdminError` raised in `app` with its own body."""

    async def admin_error(_: Request, exc: AdminError) -> JSONResponse:
        return exc.response()

    app.add_exception_handler(AdminError, admin_error)


def install_admin_error_handlers(app: FastAPI) -> None:
    """Every error of `app`, routing and validation too, in the stand-in's format."""

    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = _ROUTING_CODES.get(exc.status_code, "Error")
        return AdminError(exc.status_code, code, str(exc.detail), exc.headers).response()

    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return bad_request("; ".join(pydantic_problems(exc.errors()))).response()

    async def crash(_: Request, exc: Exception) -> JSONResponse:
        return AdminError(500, "InternalServerError", type(exc).__name__).response()

    handle_admin_errors(app)
    app.add_exception_handler(Exception, crash)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
