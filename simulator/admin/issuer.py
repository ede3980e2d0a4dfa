"""The issuer app: OIDC discovery, both token routes, and tenant discovery.

- `GET /.well-known/openid-configuration`: `issuer`, `token_endpoint`, ... (no auth).
- `POST /auth/token`, form-urlencoded only. `grant_type=password` with `username` = access
  key id and `password` = access key secret, or `grant_type=refresh_token` with
  `refresh_token`. Both need the app's client authentication: HTTP Basic
  `client_id:client_secret` or both fields in the body (not both ways at once).
  `client_credentials` is not a grant here (400 `unsupported_grant_type`).
- `POST /authentication/v1/token/access-key`, JSON `{accessKeyId, accessKeySecret}`, no
  client id. Only JSON is accepted (a stricter reading: one public client posts a form).
- `GET /.well-known/cxone-configuration?tenantId=`: `api_endpoint` (the API app's base URL)
  and the tenant's area, cluster and domains; 404 for an unknown tenant (no auth).

Errors are OAuth-style `{error, error_description}`. Wrong client credentials answer 401
`invalid_client`, a wrong access key or refresh token 401 `invalid_grant`; neither echoes a
secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .errors import AdminError
from .state import admin_state

router = APIRouter()

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _issuer_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _same(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """The client id and secret from HTTP Basic or from the form, never from both."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    in_body = "client_id" in form or "client_secret" in form
    if scheme.lower() == "basic":
        if in_body:
            raise AdminError(400, "invalid_request", "use one client authentication method")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AdminError(401, "invalid_client", "malformed Basic credentials") from None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    if not in_body:
        raise AdminError(401, "invalid_client", "client authentication is required")
    return form.get("client_id", ""), form.get("client_secret", "")


@router.get("/.well-known/openid-configuration")
async def openid_configuration(request: Request) -> JSONResponse:
    issuer = _issuer_url(request)
    return JSONResponse(
        {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/auth/token",
            "authorization_endpoint": f"{issuer}/auth/authorize",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "grant_types_supported": ["password", "refresh_token"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "claims_supported": ["sub", "iss", "tenantId", "tenant", "icBUId", "icClusterId"],
        }
    )


@router.post("/auth/token")
async def token(request: Request) -> JSONResponse:
    state = admin_state(request)
    config = state.config
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        raise AdminError(400, "invalid_request", f"the token request must be {_FORM}")
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    client_id, client_secret = _client_credentials(request, form)
    # Both compared whatever the first gives, so a wrong id costs as long as a wrong secret.
    id_ok = _same(client_id, config.client_id)
    secret_ok = _same(client_secret, config.client_secret)
    if not (id_ok and secret_ok):
        raise AdminError(401, "invalid_client", "client authentication failed")
    grant = form.get("grant_type")
    if grant == "password":
        key_ok = _same(form.get("username"), config.access_key_id)
        secret_ok = _same(form.get("password"), config.access_key_secret)
        if not (key_ok and secret_ok):
            raise AdminError(401, "invalid_grant", "the access key is not valid")
        answer = state.tokens.issue(_issuer_url(request), config.client_id)
    elif grant == "refresh_token":
        answer = state.tokens.refresh(
            form.get("refresh_token", ""), _issuer_url(request), config.client_id
        )
    else:
        raise AdminError(
            400, "unsupported_grant_type", f"grant_type {grant!r} is not supported here"
        )
    return JSONResponse(answer, headers=_NO_STORE)


@router.post("/authentication/v1/token/access-key")
async def access_key_token(request: Request) -> JSONResponse:
    state = admin_state(request)
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise AdminError(400, "invalid_request", "the body must be JSON with accessKeyId")
    key_ok = _same(body.get("accessKeyId"), state.config.access_key_id)
    secret_ok = _same(body.get("accessKeySecret"), state.config.access_key_secret)
    if not (key_ok and secret_ok):
        raise AdminError(401, "invalid_grant", "the access key is not valid")
    return JSONResponse(state.tokens.issue(_issuer_url(request), "access-key"), headers=_NO_STORE)


@router.get("/.well-known/cxone-configuration")
async def cxone_configuration(request: Request) -> JSONResponse:
    state = admin_state(request)
    config = state.config
    tenant_id = request.query_params.get("tenantId")
    if not tenant_id:
        raise AdminError(400, "invalid_request", "tenantId is required")
    if tenant_id != config.tenant_id:
        raise AdminError(404, "not_found", "no tenant has that id")
    return JSONResponse(
        {
            "private": False,
            "ui_endpoint": f"https://{config.tenant_name}.cxone.invalid",
            "auth_endpoint": _issuer_url(request),
            "api_endpoint": state.api_url,
            "area": config.area,
            "cluster": config.cluster,
            "domain": "niceincontact.com",
            "acdDomain": "nice-incontact.com",
            "uhDomain": "nice-incontact.com",
            "globaldomain": "niceincontact.com",
            "tenantId": config.tenant_id,
        }
    )
