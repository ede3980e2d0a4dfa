"""One HTTP session to a CXone API, whichever platform: pacing, retries, authentication,
deadlines and typed errors. Both clients send every request through it.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Literal, Self

import httpx

from ._exceptions import (
    CXoneAuthError,
    CXoneConflict,
    CXoneError,
    CXoneInvalidResponse,
    CXoneNotFound,
    CXoneRateLimited,
    CXoneServerError,
    CXoneUnsupported,
    CXoneValidationError,
)
from ._ratelimit import BucketRegistry, Limiter, RateLimit
from ._transport import ResilientTransport, RetryPolicy

SCOPE_PATTERN = re.compile(r"\b[a-z]+(?::[a-z]+)+\b")
Send = Callable[[httpx.Request], Awaitable[httpx.Response]]


def server_message(response: httpx.Response) -> str:
    """The human part of an error body (`message`, `error_description` or `error`), or ''.

    Example:
        >>> server_message(httpx.Response(400, json={"error": "x", "error_description": "y"}))
        'y'
    """
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("message", "error_description", "errorDescription", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value
    return ""


def error_for(response: httpx.Response) -> CXoneError:
    """The typed exception for an error response; messages carry method, URL and status."""
    request, status = response.request, response.status_code
    where, url = f"{request.method} {request.url}", str(request.url)
    detail = server_message(response)
    message = f"{where} answered {status}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        scope = SCOPE_PATTERN.search(detail) if status == 403 else None
        return CXoneAuthError(
            message, missing_scope=scope and scope.group(0), status_code=status, url=url
        )
    if status == 404:
        return CXoneNotFound(message, status_code=status, url=url)
    if status == 409:
        return CXoneConflict(message, status_code=status, url=url)
    if status in (400, 422):
        return CXoneValidationError(message, server_message=detail, status_code=status, url=url)
    if status == 429:
        return CXoneRateLimited(message + " (retries exhausted)", status_code=status, url=url)
    if status >= 500:
        return CXoneServerError(message, status_code=status, url=url)
    return CXoneError(message, status_code=status, url=url)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building one costs ~50 ms of CPU (it loads the CA bundle); a task opens a client each time.
    return httpx.create_ssl_context()


def network_transport() -> httpx.AsyncHTTPTransport:
    """A socket transport that reuses the process's one TLS context."""
    return httpx.AsyncHTTPTransport(verify=_tls_context())


class ApiSession:
    """Paces, retries, authenticates and bounds every request to one API.

    Args:
        requests_per_minute: at most this many requests in any trailing 60 s, tokens
            included; bursts up to all of them.
        requests_per_second: also pace to this many a second (a token bucket); None: no
            per-second pace.
        burst: the per-second bucket's size; default one second's worth of requests.
        timeout_seconds: deadline of one attempt (connect, send and the whole answer).
        deadline_seconds: deadline of one call, every retry and wait included.
        policy: retry count and backoff (tests inject a fake sleep).
        auth: builds the `httpx.Auth` from the paced, retrying send it must use.
        transport: what sits below the retry layer; default real sockets.
        headers: sent with every request.
        limiter: the pacing shared with other sessions to the same tenant, if any (it then
            replaces the three rate settings).
    """

    def __init__(
        self,
        *,
        requests_per_minute: float,
        requests_per_second: float | None = None,
        burst: float | None = None,
        timeout_seconds: float,
        deadline_seconds: float,
        policy: RetryPolicy,
        auth: Callable[[Send], httpx.Auth],
        transport: httpx.AsyncBaseTransport | None = None,
        headers: dict[str, str] | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.limiter = limiter or RateLimit(
            requests_per_minute, requests_per_second, burst, sleep=policy.sleep
        )
        self.transport = ResilientTransport(
            transport or network_transport(), self.limiter, policy, timeout_seconds
        )
        self.auth = auth(self.transport.handle_async_request)
        self._deadline = deadline_seconds
        self._http = httpx.AsyncClient(
            transport=self.transport,
            auth=self.auth,
            timeout=timeout_seconds,
            headers={"Accept": "application/json", **(headers or {})},
        )

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
        finally:
            await self.limiter.aclose()

    async def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; return the successful response or raise its `CXoneError`.

        The whole call, retries and waits included, ends within the session's deadline.
        """
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._http.request(method, url, **kwargs)
        except TimeoutError:
            raise CXoneServerError(
                f"{method} {url} did not complete within its {self._deadline:g}s deadline",
                url=url,
            ) from None
        except httpx.TimeoutException:
            raise CXoneServerError(f"{method} {url} timed out", url=url) from None
        except httpx.TransportError as exc:
            raise CXoneServerError(
                f"{method} {url} lost its connection ({type(exc).__name__})", url=url
            ) from None
        if response.is_error:
            raise error_for(response)
        return response


def json_of(response: httpx.Response) -> Any:
    """The response's JSON body.

    Raises:
        CXoneInvalidResponse: the body is not JSON.
    """
    try:
        return response.json()
    except ValueError:
        request = response.request
        raise CXoneInvalidResponse(
            f"{request.method} {request.url} answered {response.status_code} with a body that "
            f"is not JSON (content-type {response.headers.get('content-type', 'missing')!r})",
            status_code=response.status_code,
            url=str(request.url),
        ) from None


# What a platform may lack: calling lists, upload jobs and DNC groups; exporting a contact
# list's contacts with their consent; a metrics webhook.
Operation = Literal["dial_lists", "contact_export", "metrics_webhook"]


class SessionClient:
    """What both platform clients share: one `ApiSession` from their config, and the async
    context manager that closes it.

    Args:
        config: the platform's settings (rates, burst, timeouts, retry timing).
        auth: builds the platform's `httpx.Auth` from the session's paced send.
        transport: what sits below the retry layer; default real HTTP.
        retry_policy: override the retry timing (tests inject a fake sleep).
        rate: a registry of rate limits shared per tenant, and this client's key in it; None
            paces this client alone.
    """

    # The operations the platform lacks, each with the message saying what to use instead.
    lacks: ClassVar[Mapping[Operation, str]] = {}

    def check_supports(self, operation: Operation) -> None:
        """Say, without a call, whether the platform has `operation`.

        Raises:
            CXoneUnsupported: it does not; the message says what to use instead.
        """
        if operation in self.lacks:
            raise CXoneUnsupported(self.lacks[operation])

    def __init__(
        self,
        config: Any,
        auth: Callable[[Send], httpx.Auth],
        transport: httpx.AsyncBaseTransport | None,
        retry_policy: RetryPolicy | None,
        rate: tuple[BucketRegistry, str] | None = None,
    ) -> None:
        self.config = config
        limits = (config.requests_per_minute, config.requests_per_second, config.burst)
        limiter = None
        if rate is not None:
            registry, key = rate
            limiter = registry.rate_limit(key, *limits)
        self._session = ApiSession(
            limiter=limiter,
            requests_per_minute=limits[0],
            requests_per_second=limits[1],
            burst=limits[2],
            timeout_seconds=config.timeout_seconds,
            deadline_seconds=config.deadline_seconds,
            policy=retry_policy or config.retry_policy(),
            auth=auth,
            transport=transport,
        )
        self.auth = self._session.auth

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()
