"""The FastAPI app: routes, error format, and the /api/ middlewares in their order.

Beside the described API it serves a stand-in of the Reassigned Numbers Database under
`/api/rnd/v1` (a shape of ours, see `rnd`), shaped and faulted like every `/api/` path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .clock import Clock, SystemClock
from .config import ConfigPatch, SimulatorConfig
from .errors import install_error_handlers
from .faults import FaultMiddleware
from .paths import is_api_request
from .ratelimit import ThrottleMiddleware
from .requestlog import RequestLogMiddleware
from .rnd import control_router as rnd_control_router
from .rnd import router as rnd_router
from .routes_api import router as api_router
from .routes_control import router as control_router
from .routes_shared import control_router as shared_control_router
from .state import SimState, sim


def create_app(config: SimulatorConfig | None = None, clock: Clock | None = None) -> FastAPI:
    """A simulator with its own fresh state (on `app.state.sim`) reading `clock` (default:
    the system clock) for token expiry, rate limiting and timestamps."""
    state = SimState(config or SimulatorConfig(), clock or SystemClock())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await state.webhooks.aclose()  # no delivery outlives the server

    app = FastAPI(title="CXone simulator", lifespan=lifespan)
    app.state.sim = state
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(shared_control_router("/_sim", sim, SimulatorConfig, ConfigPatch))
    app.include_router(control_router)
    app.include_router(rnd_router)
    app.include_router(rnd_control_router)
    # Added innermost first. The log sees every request (dropped ones too); a fault wins over
    # the rate limit; the throttle only delays or refuses what reaches the handlers.
    app.add_middleware(ThrottleMiddleware, state=state, matches=is_api_request)
    app.add_middleware(FaultMiddleware, faults=state.faults, matches=is_api_request)
    app.add_middleware(
        RequestLogMiddleware, log=state.requests, clock=state.clock, matches=is_api_request
    )
    return app
