"""The FastAPI app: webhook intake, campaign health, the page and its data.

`app` is built at import without reading anything; the settings come from the environment
when the app starts (or on its first request, for servers that skip the lifespan).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from .events import Emit, EventSender
from .health import CampaignHealth, CampaignNotFound, HealthReader, HealthUnavailable
from .overview import Overview, overview
from .page import PAGE
from .pairs import PairDirectory
from .settings import DashboardSettings
from .store import CampaignStore
from .webhooks import WebhookReceiver, WebhookRejected

logger = logging.getLogger(__name__)

# Far above any metrics message; stops a caller from making the app buffer a huge body.
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Dashboard:
    """The parts one app shares between its routes."""

    store: CampaignStore
    receiver: WebhookReceiver
    health: HealthReader

    @classmethod
    def build(cls, settings: DashboardSettings, emit: Emit | None) -> Dashboard:
        store = CampaignStore(settings.history_points)
        pairs = PairDirectory(settings.pair_cache_seconds)
        receiver = WebhookReceiver(settings, store, pairs, EventSender(emit))
        if receiver.config_error:
            logger.error("webhook intake disabled: %s", receiver.config_error)
        return cls(store, receiver, HealthReader(settings, store, pairs))


def _error(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status_code)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it grows past MAX_BODY_BYTES."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: DashboardSettings | None = None, emit: Emit | None = None) -> FastAPI:
    """Build a dashboard app.

    Args:
        settings: the configuration; default `DashboardSettings.from_env()`, read when the
            app starts or first serves a request.
        emit: called like `prefect.events.emit_event` for every event; default that function.
            Tests pass a recorder.
    """

    @functools.cache
    def dashboard() -> Dashboard:
        return Dashboard.build(settings or DashboardSettings.from_env(), emit)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        dashboard()  # reads the settings now, so a missing secret is logged at startup
        yield

    app = FastAPI(
        title="CXone campaign dashboard",
        summary="Receives CXone metrics webhooks, emits Prefect events, shows campaign health.",
        lifespan=lifespan,
    )

    @app.post("/webhooks/cxone", summary="Receive a signed CXone webhook delivery")
    async def receive_webhook(request: Request) -> JSONResponse:
        body = await _read_body(request)
        if body is None:
            return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            receipt = await dashboard().receiver.receive(body, request.headers)
        except WebhookRejected as exc:
            return _error(exc.status_code, str(exc))
        return JSONResponse({"status": receipt})

    @app.get("/dashboard/health", response_model=CampaignHealth, summary="One campaign's health")
    async def campaign_health(
        # The id becomes part of an API path: no slashes or other surprises.
        campaign_id: str = Query(pattern=r"^[\w.:-]{1,200}$"),
    ) -> CampaignHealth | JSONResponse:
        try:
            return await dashboard().health.read(campaign_id)
        except CampaignNotFound as exc:
            return _error(404, str(exc))
        except HealthUnavailable as exc:
            return _error(503, str(exc))

    @app.get("/api/campaigns", response_model=Overview, summary="The page's data")
    async def campaigns() -> Overview:
        return await overview(dashboard().store)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
