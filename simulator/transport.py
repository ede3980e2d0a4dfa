"""In-process httpx transport on which an injected drop looks like a network drop."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from .faults import ConnectionDropped


class SimulatorTransport(httpx.ASGITransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "server disconnected without sending a complete response", request=request
            ) from exc


def asgi_transport(app: ASGIApp) -> SimulatorTransport:
    """For `httpx.AsyncClient(transport=asgi_transport(app), base_url="http://sim")`."""
    return SimulatorTransport(app=app)
