"""One exception per way a CXone call can fail, under one base class.

Messages name the method, URL and status; they never include credentials or tokens.
"""

from __future__ import annotations

from typing import Any


class CXoneError(Exception):
    """Base class for every error raised by the CXone client."""

    def __init__(self, message: str, *, status_code: int | None = None, url: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.url = url


class CXoneAuthError(CXoneError):
    """401 or 403: bad credentials, an expired token that could not be refreshed, a missing scope.

    `missing_scope` is set when the server names the scope it wanted.
    """

    def __init__(self, message: str, *, missing_scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.missing_scope = missing_scope


class CXoneNotFound(CXoneError):
    """404: the campaign, contact list or path does not exist."""


class CXoneConflict(CXoneError):
    """409: the request conflicts with the resource's state (e.g. already in that status)."""


class CXoneValidationError(CXoneError):
    """400 or 422: the server rejected the request body; `server_message` says why."""

    def __init__(self, message: str, *, server_message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.server_message = server_message


class CXoneRateLimited(CXoneError):
    """429 after every retry was spent."""


class CXoneServerError(CXoneError):
    """5xx, a timeout or a dropped connection that could not be (or was not safe to be) retried."""


class CXoneInvalidResponse(CXoneError):
    """The server answered 2xx with a body that is not the JSON the API describes."""


class CXoneExportIncomplete(CXoneError):
    """A contact export could not account for every contact the server reported."""


class CXoneUnsupported(CXoneError):
    """The platform has no such operation (say, calling-list upload on the described API)."""


class CXoneUploadFailed(CXoneError):
    """A calling-list upload job was cancelled, or did not complete within its time limit."""
