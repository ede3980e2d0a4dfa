"""What every flow's command line shares: help with defaults, JSON out, clean errors.

An error the user can fix (a bad spec, a missing block, wrong credentials, an unknown
campaign) prints its message alone and exits with status 2; `--debug` shows the traceback.
Whatever a command line can check (the settings, a source file and its header, the blocks it
names and what their platform can do) is checked before a flow run exists, with Prefect's
console lines held back: a mistake made on the command line starts no run.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import datetime as dt
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from blocks import load_credentials
from cxone import Operation

from ._checked import CheckedFlow
from ._user_errors import USER_ERRORS, describe, is_user_error


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


class _Console(logging.Filter):
    """The console without tracebacks (a user error is one line; `--debug` shows them), and
    silent while `quiet`: while the command line checks its arguments (Prefect's temporary
    server starting), and as the process ends after a user error."""

    def __init__(self) -> None:
        super().__init__()
        self.quiet = True

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return not self.quiet


def _hush(handlers: list[logging.Handler]) -> None:
    for handler in handlers:
        handler.addFilter(_Console())


def checks(flow: Any, options: dict[str, Any], *needs: Operation) -> Callable[[], Awaitable[None]]:
    """The check of a command that runs `flow` with `options`: the flow's own checks (a
    `CheckedFlow`'s), then its credentials, with `needs` (`blocks.load_credentials`)."""

    async def check() -> None:
        if isinstance(flow, CheckedFlow):
            flow.check_call(**options)
        await load_credentials(options["credentials_block"], *needs)

    return check


def run(
    args: argparse.Namespace,
    call: Callable[[], Awaitable[Any]],
    errors: tuple[type[BaseException], ...] = (),
    check: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Check what the command line can (`check`), run the flow, print its result as JSON; or
    print a user error alone and exit 2.

    `check` runs before any flow run exists (a block that is missing, a source file that is
    not there), with Prefect's console lines held back; the run's own lines show as usual.
    """
    known = USER_ERRORS + errors
    console = _Console()
    handlers = [] if args.debug else list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(console)

    async def checked_then_called() -> Any:
        if check is not None:
            await check()
        console.quiet = False
        return await call()

    try:
        result = asyncio.run(checked_then_called())
    except known as exc:
        if args.debug or not (is_user_error(exc) or isinstance(exc, errors)):
            raise
        # Prefect logs as the process ends (its temporary server stopping, events still
        # queued): exit handlers run last registered first, so this one runs before those.
        atexit.register(_hush, handlers)
        print(f"error: {describe(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        for handler in handlers:
            handler.removeFilter(console)
    print(json.dumps(result, indent=2, default=str))
