"""What every flow's command line shares: help with defaults, JSON out, clean errors.

An error the user can fix (a bad spec, a missing block, wrong credentials, an unknown
campaign) prints its message alone and exits with status 2; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from prefect.exceptions import ParameterTypeError
from pydantic import ValidationError

from blocks import MissingBlock
from cxone import (
    CampaignSpecMismatch,
    CXoneAuthError,
    CXoneNotFound,
    CXoneUnsupported,
    CXoneValidationError,
)
from tasks.campaigns import ProvisionedCampaignGone

# Errors whose message tells the user what to fix; anything else is a bug or an outage.
USER_ERRORS: tuple[type[BaseException], ...] = (
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
)


class _HelpWithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" where there is a default the help does not already explain."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser whose help shows every option's default."""
    made = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=_HelpWithDefaults
    )
    made.add_argument("--debug", action="store_true", help="show full tracebacks of errors")
    return made


def credentials_option(cli: argparse.ArgumentParser) -> None:
    """`--credentials-block`, as every flow takes it."""
    cli.add_argument(
        "--credentials-block",
        default="cxone",
        help="the saved credentials: NAME of a CXoneCredentials block, or TYPE-SLUG/NAME, "
        "e.g. cxone-access-key/prod for NICE CXone",
    )


def options(args: argparse.Namespace) -> dict[str, Any]:
    """The flow's keyword arguments: the parsed options but the command line's own."""
    return {key: value for key, value in vars(args).items() if key not in ("command", "debug")}


def aware_instant(text: str) -> dt.datetime:
    """An ISO-8601 instant with its UTC offset (a local time alone names no instant).

    Example:
        >>> aware_instant("2026-11-30T15:00:00-05:00").isoformat()
        '2026-11-30T15:00:00-05:00'
    """
    try:
        instant = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 instant such as 2026-11-30T15:00:00-05:00"
        ) from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; add one, e.g. {text}-05:00 or {text}Z"
        )
    return instant


def json_object(text: str) -> dict[str, Any]:
    """A JSON object given inline, or read from a file named `@PATH`."""
    source = text
    if text.startswith("@"):
        try:
            source = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"cannot read {text[1:]}: {exc.strerror}") from None
    try:
        value = json.loads(source)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, {...}")
    return value


class _NoTracebacks(logging.Filter):
    """Keep Prefect's log lines about a failed run, without their tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


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
    count = len(lines)
    return f"{count} problem{'s' if count > 1 else ''}:\n" + "\n".join(lines)


def run(
    args: argparse.Namespace,
    call: Callable[[], Awaitable[Any]],
    errors: tuple[type[BaseException], ...] = (),
) -> None:
    """Run the flow, print its result as JSON, or print a user error and exit 2."""
    known = USER_ERRORS + errors
    if not args.debug:
        for handler in logging.getLogger("prefect").handlers:
            handler.addFilter(_NoTracebacks())
    try:
        result = asyncio.run(call())
    except known as exc:
        if args.debug:
            raise
        print(f"error: {describe(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    print(json.dumps(result, indent=2, default=str))
