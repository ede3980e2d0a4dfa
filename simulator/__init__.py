"""A local CXone for tests and the demo; imports no project package.

An in-memory implementation of the server side of the described API (SPEC.md section 1),
with a /_sim/ control API for faults, metrics and seeded contact lists, and a dialer that
places seeded calls over the clock (`dialing`, `outcomes`; not in the tutorial).

Beside it, under `/api/rnd/v1`, a stand-in of the FCC's Reassigned Numbers Database as a
reseller would serve it (a shape of ours; see `simulator.rnd`), with `/_sim/rnd/` controls.

`simulator.admin` is a stand-in for NICE CXone's real APIs beside it (SPEC.md section 4):
`create_admin_apps`, `serve_admin_in_thread` and `AdminConfig`; see its docstring.

`create_app(config, clock=...)` reads one clock for token expiry, rate limiting and every
timestamp: the system clock by default, or a `FakeClock` that tests move with `advance()` (or
`POST /_sim/clock/advance`) instead of sleeping.
"""

from .admin import (
    DEFAULT_TENANT_ID,
    AdminApps,
    AdminConfig,
    AdminUrls,
    create_admin_apps,
    serve_admin_in_thread,
)
from .app import create_app
from .auth import SCOPES
from .clock import Clock, FakeClock, SystemClock
from .config import DEV_WEBHOOK_SECRET, SimulatorConfig
from .contacts import ZONES, generate_contacts
from .faults import ConnectionDropped
from .server import serve_in_thread
from .transport import SimulatorTransport, asgi_transport
from .webhooks import EVENT_TYPES, METRICS_UPDATE, STATE_CHANGE

__all__ = [
    "DEFAULT_TENANT_ID",
    "DEV_WEBHOOK_SECRET",
    "EVENT_TYPES",
    "METRICS_UPDATE",
    "SCOPES",
    "STATE_CHANGE",
    "ZONES",
    "AdminApps",
    "AdminConfig",
    "AdminUrls",
    "Clock",
    "ConnectionDropped",
    "FakeClock",
    "SimulatorConfig",
    "SimulatorTransport",
    "SystemClock",
    "asgi_transport",
    "create_admin_apps",
    "create_app",
    "generate_contacts",
    "serve_admin_in_thread",
    "serve_in_thread",
]
