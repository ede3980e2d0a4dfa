"""The stand-in's two apps, wired to one state: the issuer and the ACD API.

They are separate apps so that, served on separate ports, a client that guesses the API host
from the issuer's (or hard-codes one) fails: it must take `api_endpoint` from tenant
discovery.

Both apps log their requests and take faults from the one store the `/_sim/admin/` control
API fills (a fault's `path` picks the app: `/auth/token` or `/skills`). Latency and the rate
limit apply to the ACD API only: the sources say nothing of limits on the token endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, FastAPI

from ..clock import Clock, SystemClock
from ..errors import install_error_handlers
from ..faults import FaultMiddleware
from ..paths import RequestFilter, is_admin_api_request, is_issuer_request
from ..ratelimit import ThrottleMiddleware
from ..requestlog import RequestLogMiddleware
from ..routes_shared import control_router
from .acd import BASE_PATH, CanonicalBasePath, acd_request, install_not_acceptable_handler
from .config import AdminConfig, AdminConfigPatch
from .errors import handle_admin_errors, install_admin_error_handlers
from .issuer import router as issuer_router
from .routes_campaigns import router as campaigns_router
from .routes_control import router as admin_control_router
from .routes_dispositions import router as dispositions_router
from .routes_dnc import router as dnc_router
from .routes_lists import router as lists_router
from .routes_reporting import router as reporting_router
from .routes_skills import router as skills_router
from .state import AdminState, admin_state

DEFAULT_API_URL = "http://127.0.0.1:8766"


@dataclass(frozen=True)
class AdminApps:
    """The issuer app, the API app and the state they share."""

    issuer: FastAPI
    api: FastAPI
    state: AdminState


def _observe(app: FastAPI, state: AdminState, matches: RequestFilter) -> None:
    """The request log and fault injection for the requests `matches` picks. Added last, so
    they wrap everything else: the log sees every request (dropped ones too) and a fault
    wins over the rate limit."""
    app.add_middleware(FaultMiddleware, faults=state.faults, matches=matches)
    app.add_middleware(RequestLogMiddleware, log=state.requests, clock=state.clock, matches=matches)


def _issuer_app(state: AdminState) -> FastAPI:
    app = FastAPI(title="NICE CXone stand-in: issuer")
    app.state.admin = state
    install_admin_error_handlers(app)
    app.include_router(issuer_router)
    _observe(app, state, is_issuer_request)
    return app


def _acd_app(state: AdminState) -> FastAPI:
    app = FastAPI(title="NICE CXone stand-in: ACD API")
    app.state.admin = state
    install_admin_error_handlers(app)
    install_not_acceptable_handler(app)
    # Reporting first: its /skills/summary must win over /skills/{skill_id}.
    routers = (
        reporting_router,
        skills_router,
        campaigns_router,
        lists_router,
        dnc_router,
        dispositions_router,
    )
    for router in routers:
        app.include_router(router, prefix="/v{version}", dependencies=[Depends(acd_request)])
    return app


def _api_app(state: AdminState) -> FastAPI:
    app = FastAPI(title="NICE CXone stand-in: API")
    app.state.admin = state
    install_error_handlers(app)  # the control API answers like the described API's
    handle_admin_errors(app)
    app.include_router(control_router("/_sim/admin", admin_state, AdminConfig, AdminConfigPatch))
    app.include_router(admin_control_router)
    app.mount(BASE_PATH, _acd_app(state))
    app.add_middleware(CanonicalBasePath)
    app.add_middleware(ThrottleMiddleware, state=state, matches=is_admin_api_request)
    _observe(app, state, is_admin_api_request)
    return app


def create_admin_apps(
    config: AdminConfig | None = None,
    clock: Clock | None = None,
    api_url: str = DEFAULT_API_URL,
) -> AdminApps:
    """A stand-in with its own fresh state, reading `clock` (default: the system clock).

    `api_url` is the `api_endpoint` tenant discovery answers until `serve_admin_in_thread`
    sets the real one; in-process tests use it as the API client's base URL.
    """
    state = AdminState(config or AdminConfig(), clock or SystemClock(), api_url)
    return AdminApps(issuer=_issuer_app(state), api=_api_app(state), state=state)
