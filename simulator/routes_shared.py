"""Control endpoints every simulator has, mounted under its own prefix.

`{prefix}` is `/_sim` on the described API and `/_sim/admin` on the NICE CXone stand-in:

- `POST {prefix}/reset`: back to a fresh start under the current config.
- `GET {prefix}/config`, `PATCH {prefix}/config` (any subset of the patchable fields): the
  config without its secrets.
- `POST {prefix}/faults` (a `FaultSpec`), `GET {prefix}/faults`, `DELETE {prefix}/faults`.
- `GET {prefix}/requests`, `DELETE {prefix}/requests`: the API request log.
- `GET {prefix}/clock` -> `{"now", "adjustable"}`; `POST {prefix}/clock/advance`
  `{"seconds": n}` moves a `FakeClock` forward (409 on the system clock).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .clock import Clock, FakeClock, iso
from .errors import ApiError, invalid, pydantic_problems
from .faults import Faults, FaultSpec


class _ExpiringTokens(Protocol):
    def expire_all(self) -> None: ...


class _PublicConfig(Protocol):
    def public(self) -> dict: ...

    def model_dump(self) -> dict: ...


class ControlledState(Protocol):
    config: _PublicConfig
    clock: Clock
    faults: Faults
    requests: deque[dict]
    tokens: _ExpiringTokens

    def reset(self) -> None: ...

    def set_config(self, config: BaseModel) -> None: ...


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0)


async def _validated(request: Request, model: type[BaseModel], what: str) -> BaseModel:
    try:
        return model.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        raise invalid(what, pydantic_problems(exc.errors())) from None


def control_router(
    prefix: str,
    state_of: Callable[[Request], ControlledState],
    config_type: type[BaseModel],
    patch_type: type[BaseModel],
) -> APIRouter:
    """The shared control endpoints for the state `state_of(request)` returns."""
    router = APIRouter(prefix=prefix)

    @router.post("/reset")
    async def reset(request: Request) -> JSONResponse:
        state_of(request).reset()
        return JSONResponse({"reset": True})

    @router.get("/config")
    async def get_config(request: Request) -> JSONResponse:
        return JSONResponse(state_of(request).config.public())

    @router.patch("/config")
    async def patch_config(request: Request) -> JSONResponse:
        state = state_of(request)
        patch = await _validated(request, patch_type, "config patch")
        merged = {**state.config.model_dump(), **patch.model_dump(exclude_unset=True)}
        try:
            config = config_type.model_validate(merged)
        except ValidationError as exc:
            raise invalid("config", pydantic_problems(exc.errors())) from None
        state.set_config(config)
        return JSONResponse(state_of(request).config.public())

    @router.post("/faults", status_code=201)
    async def add_fault(request: Request) -> JSONResponse:
        state = state_of(request)
        spec = await _validated(request, FaultSpec, "fault")
        if spec.kind == "expire_tokens":
            # Takes effect now, on every token issued so far; nothing left to consume later.
            state.tokens.expire_all()
            spec = spec.model_copy(update={"count": 0})
        return JSONResponse(state.faults.add(spec), status_code=201)

    @router.get("/faults")
    async def list_faults(request: Request) -> JSONResponse:
        return JSONResponse({"faults": state_of(request).faults.all()})

    @router.delete("/faults", status_code=204)
    async def clear_faults(request: Request) -> Response:
        state_of(request).faults.clear()
        return Response(status_code=204)

    @router.get("/requests")
    async def list_requests(request: Request) -> JSONResponse:
        return JSONResponse({"requests": list(state_of(request).requests)})

    @router.delete("/requests", status_code=204)
    async def clear_requests(request: Request) -> Response:
        state_of(request).requests.clear()
        return Response(status_code=204)

    @router.get("/clock")
    async def read_clock(request: Request) -> JSONResponse:
        clock = state_of(request).clock
        return JSONResponse({"now": iso(clock.now()), "adjustable": isinstance(clock, FakeClock)})

    @router.post("/clock/advance")
    async def advance_clock(request: Request) -> JSONResponse:
        clock = state_of(request).clock
        step = await _validated(request, ClockAdvance, "clock advance")
        if not isinstance(clock, FakeClock):
            raise ApiError(409, "this simulator runs on the system clock; pass a FakeClock")
        return JSONResponse({"now": iso(clock.advance(step.seconds)), "adjustable": True})

    return router
