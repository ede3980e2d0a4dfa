"""The FastAPI app: routes, error format, and the /api/ middlewares in their order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .config import SimulatorConfig
from .errors import install_error_handlers
from .faults import FaultMiddleware
from .ratelimit import ThrottleMiddleware
from .requestlog import RequestLogMiddleware
from .routes_api import router as api_router
from .routes_control import router as control_router
from .state import SimState


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    """A simulator with its own fresh state (on `app.state.sim`)."""
    state = SimState(config or SimulatorConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await state.webhooks.aclose()  # no delivery outlives the server

    app = FastAPI(title="CXone simulator", lifespan=lifespan)
    app.state.sim = state
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(control_router)
    # Added innermost first. The log sees every request (dropped ones too); a fault wins over
    # the rate limit; the throttle only delays or refuses what reaches the handlers.
    app.add_middleware(ThrottleMiddleware, state=state)
    app.add_middleware(FaultMiddleware, faults=state.faults)
    app.add_middleware(RequestLogMiddleware, log=state.requests)
    return app
