"""Which requests are API traffic (shaped, faulted, logged) rather than /_sim/ control.

Each middleware takes one of these predicates, so the same fault injection, request log and
rate limit serve the described API and the NICE CXone stand-in.

>>> is_admin_api_request({"type": "http", "path": "/inContactAPI/services/v30.0/skills"})
True
>>> is_admin_api_request({"type": "http", "path": "/_sim/admin/skills"})
False
"""

from collections.abc import Callable

from starlette.types import Scope

API_PREFIX = "/api/"
# The real platform's base path; clients spell it /inContactAPI/ or /incontactapi/.
ADMIN_API_PREFIX = "/incontactapi/"
ISSUER_PREFIXES = ("/auth/", "/authentication/", "/.well-known/")

RequestFilter = Callable[[Scope], bool]


def is_api_request(scope: Scope) -> bool:
    """The described API (SPEC.md section 1)."""
    return scope["type"] == "http" and scope["path"].startswith(API_PREFIX)


def is_admin_api_request(scope: Scope) -> bool:
    """The stand-in's ACD API, whatever the case of its base path."""
    return scope["type"] == "http" and scope["path"].lower().startswith(ADMIN_API_PREFIX)


def is_issuer_request(scope: Scope) -> bool:
    """The stand-in's token and discovery endpoints."""
    return scope["type"] == "http" and scope["path"].startswith(ISSUER_PREFIXES)
