"""What every flow's command line shares: help with defaults, JSON out, clean errors.

An error the user can fix (a bad spec, a missing block, wrong credentials, an unknown
campaign) prints its message alone and exits with status 2; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

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


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser whose help shows every option's default."""
    made = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    made.add_argument("--debug", action="store_true", help="show full tracebacks of errors")
    return made


class _NoTracebacks(logging.Filter):
    """Keep Prefect's log lines about a failed run, without their tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


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
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(json.dumps(result, indent=2, default=str))
