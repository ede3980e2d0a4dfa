"""Serve the stand-in's two apps on loopback sockets, each in a background thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..server import serve_in_thread
from .app import AdminApps, create_admin_apps


@dataclass(frozen=True)
class AdminUrls:
    """Base URLs of a served stand-in: its issuer, and its API (the `api_endpoint`)."""

    issuer: str
    api: str


@contextmanager
def serve_admin_in_thread(
    apps: AdminApps | None = None,
    host: str = "127.0.0.1",
    api_port: int = 0,
    issuer_port: int = 0,
) -> Iterator[AdminUrls]:
    """Serve the API app, then the issuer (whose tenant discovery answers the API's real
    URL); yield both URLs; stop both on exit. Port 0 picks a free port."""
    apps = apps or create_admin_apps()
    with serve_in_thread(apps.api, host, api_port) as api_url:
        apps.state.api_url = api_url
        with serve_in_thread(apps.issuer, host, issuer_port) as issuer_url:
            yield AdminUrls(issuer=issuer_url, api=api_url)
