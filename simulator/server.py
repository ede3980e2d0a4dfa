"""Run a simulator app on a real socket: in a background thread for tests, or in the CLI."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from .faults import ConnectionDropped

_STARTUP_TIMEOUT_SECONDS = 10.0


class _HideInjectedDrops(logging.Filter):
    """uvicorn logs any exception from the app; an injected drop is intended, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def quiet_injected_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideInjectedDrops) for f in logger.filters):
        logger.addFilter(_HideInjectedDrops())


@contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` with uvicorn on a background thread; yield its base URL once it accepts
    connections; stop it on exit. Port 0 picks a free port."""
    sock = socket.create_server((host, port))
    bound_host, bound_port = sock.getsockname()[:2]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, lifespan="on")
    )
    quiet_injected_drops()
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="simulator-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the simulator server stopped during startup")
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator server did not start in time")
            thread.join(0.01)
        netloc = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{netloc}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(_STARTUP_TIMEOUT_SECONDS)
        sock.close()
