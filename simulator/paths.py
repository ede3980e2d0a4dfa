"""Which requests are the described API (shaped, faulted, logged) rather than /_sim/ control."""

from starlette.types import Scope

API_PREFIX = "/api/"


def is_api_request(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["path"].startswith(API_PREFIX)
