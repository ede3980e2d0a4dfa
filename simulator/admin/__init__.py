"""A local stand-in for NICE CXone's real APIs (SPEC.md section 4).

Two apps share one state: the **issuer** (OIDC discovery, the password and refresh-token
grants at `/auth/token`, the access-key route, tenant discovery) and the **API** (the ACD
Admin and Reporting API under `/inContactAPI/services/v{N}.0/`, plus the `/_sim/admin/`
control API). Each module's docstring says what it plays and which choices it made where
the public sources are silent.

- `create_admin_apps(config=None, clock=None, api_url=...)` -> `AdminApps(issuer, api,
  state)`, for in-process tests through `simulator.asgi_transport`.
- `serve_admin_in_thread(apps=None, host="127.0.0.1", api_port=0, issuer_port=0)` yields
  `AdminUrls(issuer, api)` with both apps on loopback sockets and tenant discovery answering
  the API's real URL.
- `AdminConfig`: default credentials are the access key `sim-access-key` /
  `sim-access-secret` and the app `sim-app` / `sim-app-secret`, for one tenant whose id is
  `DEFAULT_TENANT_ID`.
"""

from .app import AdminApps, create_admin_apps
from .config import DEFAULT_TENANT_ID, AdminConfig
from .server import AdminUrls, serve_admin_in_thread

__all__ = [
    "DEFAULT_TENANT_ID",
    "AdminApps",
    "AdminConfig",
    "AdminUrls",
    "create_admin_apps",
    "serve_admin_in_thread",
]
