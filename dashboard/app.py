"""The FastAPI app: webhook intake, campaign health, the page and its data.

`app` is built at import without reading anything; the settings come from the environment
when the app starts. Its lifespan starts the background work (the pair listing, the event
pipeline, the poller and the name reader) and stops it; a server must run the lifespan
(uvicorn does by default), and until it has, the data routes answer 503.

Every route but the signed webhooks and `GET /livez` needs the dashboard's token (see
`dashboard.access`); the lifespan refuses to start without one unless
`CXONE_DASHBOARD_AUTH=localhost`. There are no `/docs` or `/redoc` pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prefect.events import emit_event

from blocks.ids import CAMPAIGN_ID_PATTERN
from blocks.ledger import embedded_path
from ledger import ledger_url

from .access import Access, RequireAccess, resolve_access
from .clients import PlatformClients
from .events import Emit, EventSender
from .favicon import FAVICON
from .health import (
    CampaignHealth,
    CampaignNotFound,
    HealthReader,
    HealthUnavailable,
    TooManyLookups,
)
from .names import CampaignNames
from .overview import Overview, overview
from .page import CONTENT_SECURITY_POLICY, PAGE
from .pairs import PairCache
from .poller import MetricsPoller
from .readings import ReadingPipeline
from .records import HistoryCache
from .revocations import RevocationReceiver
from .security import SecurityHeaders
from .settings import DashboardSettings
from .store import CampaignStore, utc_now
from .webhooks import WebhookReceiver, WebhookRejected

logger = logging.getLogger(__name__)

# Far above any metrics message; stops a caller from making the app buffer a huge body.
MAX_BODY_BYTES = 64 * 1024
# How long shutdown waits for a last pair listing, so that waiting readings still get checked.
SHUTDOWN_LISTING_SECONDS = 5.0


# Statuses read within this many poll rounds hold back the low events of a failed-over pair
# (`ReadingPipeline`): a round reads them all, so two rounds leave room for a slow one.
FRESH_STATUS_ROUNDS = 2


def fresh_statuses(poll_seconds: float) -> dt.timedelta | None:
    """How recent the statuses that hold back a failed-over pair's low events must be (None
    when nothing is polled: a webhook platform pushes a status only when it changes).

    Example:
        >>> fresh_statuses(15.0), fresh_statuses(0)
        (datetime.timedelta(seconds=30), None)
    """
    return dt.timedelta(seconds=FRESH_STATUS_ROUNDS * poll_seconds) if poll_seconds else None


@dataclass
class Dashboard:
    """The parts one running app shares between its routes and background tasks."""

    settings: DashboardSettings
    store: CampaignStore
    pairs: PairCache
    readings: ReadingPipeline
    receiver: WebhookReceiver
    clients: PlatformClients
    history: HistoryCache
    health: HealthReader
    names: CampaignNames
    poller: MetricsPoller
    revocations: RevocationReceiver
    tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    def build(
        cls, settings: DashboardSettings, emit: Emit | None, clock: Callable[[], dt.datetime]
    ) -> Dashboard:
        store = CampaignStore(settings.history_points)
        pairs = PairCache(settings.pair_cache_seconds)
        readings = ReadingPipeline(
            store,
            pairs,
            EventSender(emit),
            settings.event_queue_capacity,
            fresh_statuses=fresh_statuses(settings.poll_seconds),
            now=clock,
            metrics_event_seconds=settings.metrics_event_seconds,
        )
        receiver = WebhookReceiver(settings, store, readings, clock)
        clients = PlatformClients()
        history = HistoryCache(settings.history_cache_seconds)
        return cls(
            settings=settings,
            store=store,
            pairs=pairs,
            readings=readings,
            receiver=receiver,
            clients=clients,
            history=history,
            health=HealthReader(settings, store, pairs, clients, history, clock),
            names=CampaignNames(
                clients,
                lambda cid: pairs.credentials_for(cid, settings.credentials_block),
                settings.name_cache_seconds,
            ),
            poller=MetricsPoller(
                pairs,
                clients,
                readings,
                store,
                settings.poll_seconds,
                settings.poll_concurrency,
                clock,
            ),
            revocations=RevocationReceiver(
                settings.revocation_secret.get_secret_value()
                if settings.revocation_secret
                else None,
                settings.ledger_url or ledger_url(embedded_path()),
                emit or emit_event,
                clock,
                settings.replay_capacity,
            ),
        )

    async def start(self) -> None:
        """List the pairs once (so the first readings find them), then start the tasks."""
        if self.receiver.config_error:
            logger.error("webhook intake disabled: %s", self.receiver.config_error)
        await self.pairs.refresh()
        background: list[Coroutine[Any, Any, None]] = [
            self.pairs.run(),
            self.readings.run(),
            self.names.run(),
        ]
        if self.settings.poll_seconds > 0:
            background.append(self.poller.run())
        self.tasks = [asyncio.create_task(work) for work in background]

    async def stop(self) -> None:
        """Stop the tasks, then emit what is still queued and check what still waits."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.readings.drain()
        if self.readings.pending():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SHUTDOWN_LISTING_SECONDS):
                    await self.pairs.refresh()
        await self.clients.aclose()


def _error(status_code: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status_code, headers=headers)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it grows past MAX_BODY_BYTES."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class NotStarted(Exception):
    """The app's lifespan has not run, so there is nothing to answer from."""


def create_app(
    settings: DashboardSettings | None = None,
    emit: Emit | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> FastAPI:
    """Build a dashboard app.

    Args:
        settings: the configuration; default `DashboardSettings.from_env()`, read when the
            app starts.
        emit: called like `prefect.events.emit_event` for every event; default that function.
            Tests pass a recorder.
        clock: UTC now, for timestamps and their tolerance; tests pass a fake one.

    The app's lifespan raises `AccessNotConfigured` (and the server does not start) when
    the settings give neither a token (its Secret block) nor localhost mode.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configured = settings or DashboardSettings.from_env()
        # Before anything starts: without credentials or localhost mode it must not serve.
        access = await resolve_access(configured)
        dashboard = Dashboard.build(configured, emit, clock)
        await dashboard.start()
        app.state.dashboard, app.state.access = dashboard, access
        try:
            yield
        finally:
            del app.state.dashboard, app.state.access
            await dashboard.stop()

    # No /docs or /redoc (they load assets from a CDN); /openapi.json needs the token.
    app = FastAPI(
        title="CXone campaign dashboard",
        summary="Receives CXone metrics webhooks, emits Prefect events, shows campaign health.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )

    def access() -> Access | None:
        return getattr(app.state, "access", None)

    app.add_middleware(RequireAccess, access=access)
    app.add_middleware(SecurityHeaders)  # the outer one: refusals carry the headers too

    def running() -> Dashboard:
        dashboard = getattr(app.state, "dashboard", None)
        if dashboard is None:
            raise NotStarted
        return dashboard

    @app.exception_handler(NotStarted)
    async def not_started(_: Request, __: NotStarted) -> JSONResponse:
        return _error(503, "the dashboard is not running (its server must run the lifespan)")

    @app.post("/webhooks/cxone", summary="Receive a signed CXone webhook delivery")
    async def receive_webhook(request: Request) -> JSONResponse:
        receiver = running().receiver
        body = await _read_body(request)
        if body is None:
            return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            receipt = receiver.receive(body, request.headers)
        except WebhookRejected as exc:
            return _error(exc.status_code, str(exc))
        return JSONResponse({"status": receipt})

    @app.post(
        "/webhooks/revocations",
        status_code=202,
        summary="Receive signed revocations: kept in the ledger, then applied",
    )
    async def receive_revocations(request: Request) -> JSONResponse:
        receiver = running().revocations
        body = await _read_body(request)
        if body is None:
            return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            answer = await receiver.receive(body, request.headers)
        except WebhookRejected as exc:
            return _error(exc.status_code, str(exc))
        return JSONResponse(answer, status_code=202 if answer["status"] == "accepted" else 200)

    @app.get("/dashboard/health", response_model=CampaignHealth, summary="One campaign's health")
    async def campaign_health(
        # The id becomes part of an API path: an id, never `..` or other path pieces.
        campaign_id: str = Query(pattern=CAMPAIGN_ID_PATTERN),
    ) -> CampaignHealth | JSONResponse:
        try:
            return await running().health.read(campaign_id)
        except CampaignNotFound as exc:
            return _error(404, str(exc))
        except HealthUnavailable as exc:
            return _error(503, str(exc))
        except TooManyLookups as exc:
            return _error(429, str(exc), **{"Retry-After": str(exc.retry_after)})

    @app.get("/api/campaigns", response_model=Overview, summary="The page's data")
    async def campaigns() -> Overview:
        dashboard = running()
        return await overview(dashboard.store, dashboard.pairs, dashboard.history, dashboard.names)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(
            FAVICON, media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/livez", response_class=PlainTextResponse, summary="Liveness (no credentials)")
    async def livez() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


app = create_app()
