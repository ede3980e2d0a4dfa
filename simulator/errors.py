"""Every error leaves the simulator as JSON with a `message`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class ApiError(Exception):
    """Raised by handlers; becomes `{"message": ..., **extra}` with the given status."""

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **extra: object
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        self.extra = extra

    def response(self) -> JSONResponse:
        return error_response(self.status, self.message, self.headers, **self.extra)


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=status, headers=headers)


def invalid(what: str, problems: list[str]) -> ApiError:
    """One 400 that names every problem of a payload."""
    return ApiError(400, f"invalid {what}: " + "; ".join(problems), errors=problems)


def pydantic_problems(errors: list[dict]) -> list[str]:
    return [f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in errors]


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), exc.headers)

    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid("request", pydantic_problems(exc.errors())).response()

    async def crash(_: Request, exc: Exception) -> JSONResponse:
        return error_response(500, f"internal error: {type(exc).__name__}")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(Exception, crash)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
