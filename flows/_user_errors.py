"""Errors the user can fix, and how a flow run ends on one: a failed state saying what to
fix, with no traceback in the run's log.

Prefect logs an exception raised by a flow with its traceback, before the run's state: for
a bad setting, a missing block or a refused request that buries the one line that matters.
`fails_cleanly` makes such an error the run's `Failed` state instead (its message the error's
own; the error itself is what a caller gets, as it would have been raised). The traceback
stays available at the DEBUG log level. Anything else (a bug, an outage) is raised as before.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec
from zoneinfo import ZoneInfoNotFoundError

from prefect import get_run_logger
from prefect.exceptions import ParameterTypeError
from prefect.states import Failed
from pydantic import ValidationError

from blocks import BackupInUse, MissingBlock
from cxone import (
    CampaignSpecMismatch,
    CXoneAuthError,
    CXoneNotFound,
    CXoneUnsupported,
    CXoneValidationError,
)
from tasks.campaigns import ProvisionedCampaignGone

from ._words import plural


class UserError(Exception):
    """A flow's own error whose message tells the user what to fix (a refused restore)."""


# Errors whose message tells the user what to fix; anything else is a bug or an outage.
USER_ERRORS: tuple[type[BaseException], ...] = (
    UserError,
    ValidationError,
    ParameterTypeError,
    ValueError,
    LookupError,
    MissingBlock,
    CXoneAuthError,
    CXoneNotFound,
    CXoneValidationError,
    CXoneUnsupported,
    CampaignSpecMismatch,
    ProvisionedCampaignGone,
    BackupInUse,  # two pairs share a backup: give one a backup of its own
)
# LookupErrors that are bugs rather than something the user named that does not exist.
_BUGS: tuple[type[BaseException], ...] = (KeyError, IndexError)
_NAMED: tuple[type[BaseException], ...] = (ZoneInfoNotFoundError,)  # a KeyError, and the user's

P = ParamSpec("P")


def is_user_error(exc: BaseException) -> bool:
    """Whether `exc` tells the user what to fix (see `USER_ERRORS`).

    Example:
        >>> is_user_error(MissingBlock("no block")), is_user_error(KeyError("x"))
        (True, False)
        >>> is_user_error(ZoneInfoNotFoundError("No time zone found with key Mars/Base"))
        True
    """
    return isinstance(exc, USER_ERRORS) and (not isinstance(exc, _BUGS) or isinstance(exc, _NAMED))


def describe(exc: BaseException) -> str:
    """The error's message; a validation error as one line per violation.

    Example:
        >>> from cxone import CampaignSpec
        >>> try:
        ...     CampaignSpec(name="", contact_list_id="CL-1", settings={"queue": "q"})
        ... except ValidationError as exc:
        ...     print(describe(exc))
        2 problems:
          name: String should have at least 1 character
          settings.queue: unknown key 'queue'; did you mean 'queue_id'?
    """
    if not isinstance(exc, ValidationError):
        return str(exc)
    lines = [
        f"  {'.'.join(str(part) for part in error['loc']) or 'input'}: {error['msg']}"
        for error in exc.errors()
    ]
    return f"{plural(len(lines), 'problem')}:\n" + "\n".join(lines)


def fails_cleanly(fn: Callable[P, Awaitable[Any]]) -> Callable[P, Awaitable[Any]]:
    """A flow body whose user errors end its run as a `Failed` state with the error's message
    (and the error as the state's data: a caller gets it raised); put it under `@flow`.

    Raises:
        Exception: Whatever `fn` raises that is not a user error (`is_user_error`).
    """

    @functools.wraps(fn)
    async def body(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:
            if not is_user_error(exc):
                raise
            message = describe(exc)
            get_run_logger().debug("The user error's traceback:", exc_info=exc)
            return Failed(message=message, data=exc)

    # Prefect resolves the annotations in the globals of the function it is given, this
    # module's: give it them resolved in the flow's module instead.
    body.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return body
