"""Flow: a revocation reaches the DNC group and leaves the calling lists at once, exactly once.

A person who revokes consent by text, web form or any other reasonable means must not be
called again; the FCC gives ten business days (47 CFR 64.1200(a)(10)), this flow takes about
a minute. The numbers come as a list, a file, or a batch the dashboard's signed
`POST /webhooks/revocations` recorded in the attempts ledger (`cxone.revocation.received`
events start this flow in the responder). Each revocation is kept in the ledger first (so
tomorrow's sync suppresses the number whatever the CRM file says), then added to the DNC
group (a set: only numbers it lacks), then every record holding the number leaves each named
list (NICE: the calling list by name; the described API: the contact list by id).

One exactly-once operation per set of numbers and targets (`blocks.operation`): a re-run or
a racing run of the same revocation applies nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import get_run_logger
from prefect.events import emit_event
from prefect.states import Completed

import compliance
import dial_lists
from blocks import (
    DEFAULT_LEDGER,
    PlatformCredentials,
    clock,
    ledger_for_writing,
    load_credentials,
    operation,
    register_block_types,
)
from ledger import REVOKED, OptOutRow, open_ledger
from tasks.dial_lists import add_dnc_numbers, find_dnc_group
from tasks.masking import mask_phone

from . import _cli
from ._checked import checked_flow
from ._user_errors import fails_cleanly
from ._words import plural

HOLDER_WAIT_SECONDS = 60.0
APPLIED_EVENT = "cxone.revocation.applied"
RECEIVED_EVENT = "cxone.revocation.received"


def read_numbers(source: str) -> list[str]:
    """The numbers of a revocation file: a CSV or Parquet file with a `phone` column, or a
    text file of one number per line.

    Example:
        >>> import tempfile
        >>> workdir = tempfile.TemporaryDirectory()
        >>> path = Path(workdir.name) / "stop.txt"
        >>> _ = path.write_text("(212) 555-0101\\n\\n+1 212 555 0102\\n")
        >>> read_numbers(str(path))
        ['(212) 555-0101', '+1 212 555 0102']
        >>> workdir.cleanup()

    Raises:
        ValueError: A CSV or Parquet file without a `phone` column.
    """
    path = Path(source)
    if path.suffix in (".csv", ".parquet"):
        frame = (
            pd.read_parquet(path)
            if path.suffix == ".parquet"
            else pd.read_csv(path, dtype=str, keep_default_na=False)
        )
        if "phone" not in frame:
            raise ValueError(f"{source} has no phone column (it has: {', '.join(frame.columns)})")
        return [str(v) for v in frame["phone"] if str(v).strip()]
    return [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]


def check_settings(
    numbers: list[str] | None = None,
    source: str | None = None,
    *,
    batch: str | None = None,
    revoked_at: dt.datetime | None = None,
    **_: object,
) -> None:
    """What can be checked before the run.

    Raises:
        ValueError: No numbers, file or batch; a file that is not there; a naive
            `revoked_at`.
    """
    if not numbers and not source and not batch:
        raise ValueError("give the revoked numbers, a file of them (source) or a ledger batch")
    if revoked_at is not None and (revoked_at.tzinfo is None or revoked_at.utcoffset() is None):
        raise ValueError(f"`revoked_at` must be timezone-aware, got {revoked_at.isoformat()}")
    if source:
        dial_lists.check_source_url(source)
        if not Path(source).is_file():
            raise ValueError(f"no file of numbers at {source}")


@checked_flow(
    check=check_settings,
    phones=("numbers",),
    name="apply-revocations",
    flow_run_name="apply revocations",
    timeout_seconds=900,
)
@fails_cleanly
async def apply_revocations(
    numbers: list[str] | None = None,
    source: str | None = None,
    credentials_block: str = "cxone",
    dnc_group: str | None = None,
    calling_lists: list[str] | None = None,
    ledger: str = DEFAULT_LEDGER,
    batch: str | None = None,
    revoked_at: dt.datetime | None = None,
    channel: str = "api",
) -> dict:
    """Put revoked numbers into the DNC group and take them out of the calling lists, once.

    Args:
        numbers: The numbers, in any common format.
        source: A file of numbers: CSV or Parquet with a `phone` column, or one per line.
        credentials_block: A CXoneCredentials name or '<block-type-slug>/<name>'.
        dnc_group: The DNC group the numbers go to (NICE).
        calling_lists: The lists the numbers leave: calling list names on NICE, contact list
            ids on the described API.
        ledger: The attempts ledger the revocations are kept in.
        batch: A batch of revocations the dashboard recorded in the ledger (its webhook id).
        revoked_at: When consent was revoked (default now).
        channel: How it was revoked (text, web form, call, email ...), kept with it.

    Returns:
        `numbers` (valid numbers revoked), `invalid` (entries that are no number),
        `kept` (new in the ledger), `added` and `already` (the DNC group), `removed` (records
        taken out of the lists) and `already_applied` when an earlier run did it.

    Raises:
        ValueError: No numbers given, or a bad setting.

    Example:
        ```python
        import asyncio
        from flows.revocations import apply_revocations

        asyncio.run(apply_revocations(["(212) 555-0101"], dnc_group="Internal DNC",
                                      calling_lists=["Renewals"]))
        ```
    """
    logger = get_run_logger()
    now = clock.now()
    check_settings(numbers, source, batch=batch, revoked_at=revoked_at)
    dnc_group = dnc_group or None  # a deployment's unset variable arrives as ""
    calling_lists = [name for name in calling_lists or [] if name.strip()]
    url, shown = await ledger_for_writing(ledger)
    given = [*(numbers or []), *(read_numbers(source) if source else [])]
    revoked_at = revoked_at or now
    async with open_ledger(url) as store:
        if batch:
            recorded = await store.batch(f"webhook:{batch}")
            given += [str(row.number) for row in recorded]
            revoked_at = min((row.at for row in recorded), default=revoked_at)
        national = compliance.national_numbers(pd.Series(given, dtype="string"))
        valid = sorted({int(n) for n in national if n})
        invalid = [text for text, n in zip(given, national, strict=True) if not n]
        kept = await store.add_optouts(
            OptOutRow(number, revoked_at, REVOKED, f"revocation: {channel}") for number in valid
        )
    for text in invalid[:20]:
        logger.warning("Not a number, not revoked: %s", mask_phone(text))
    await register_block_types()
    credentials = await load_credentials(credentials_block)
    digits = [str(number) for number in valid]
    identity = operation.OperationIdentity(
        "revocation",
        {
            "numbers": hashlib.sha256(",".join(digits).encode()).hexdigest(),
            "dnc_group": dnc_group or "",
            "calling_lists": ",".join(calling_lists or []),
            "credentials_block": credentials_block,
        },
    )
    steps = [*(["dnc"] if dnc_group else []), *(f"remove:{name}" for name in calling_lists or [])]

    async def work(held: operation.HeldOperation) -> dict[str, Any]:
        if dnc_group:
            await held.step("dnc", lambda _key: _to_group(credentials, dnc_group, digits))
        for name in calling_lists or []:
            await held.step(
                f"remove:{name}", lambda _key, name=name: _from_list(credentials, name, digits)
            )
        if not steps:
            await held.step("none", _nothing)
        return held.record.answers

    outcome = await operation.run_once(
        identity,
        steps or ["none"],
        f"revoke {plural(len(digits), 'number')}",
        work,
        max_wait=HOLDER_WAIT_SECONDS,
        backoff=False,
    )
    assert outcome.record is not None
    answers, already = outcome.record.answers, not outcome.held
    summary = {
        "numbers": len(valid),
        "invalid": len(invalid),
        "kept": kept,
        "ledger_path": shown,
        "added": (answers.get("dnc") or {}).get("added", 0),
        "already": (answers.get("dnc") or {}).get("already", 0),
        "removed": sum(
            (answers.get(f"remove:{name}") or {}).get("removed", 0) for name in calling_lists or []
        ),
        "already_applied": already,
    }
    # Named for the webhook's batch when there is one: the safety-net trigger waits for it.
    resource = batch or identity.subject["numbers"][:16]
    emit_event(
        event=APPLIED_EVENT,
        resource={"prefect.resource.id": f"cxone.revocation.{resource}"},
        payload={key: value for key, value in summary.items() if key != "ledger_path"},
    )
    message = (
        f"{plural(summary['numbers'], 'number')} revoked: {summary['added']} added to the DNC "
        f"group ({summary['already']} already there), {plural(summary['removed'], 'record')} "
        "removed"
        + (f"; {plural(summary['invalid'], 'entry', 'entries')} were no number" if invalid else "")
        + (" (already applied)" if already else "")
    )
    logger.info("%s", message)
    return Completed(message=message, data=summary)


async def _nothing(_key: str) -> dict:
    return {}


async def _to_group(credentials: PlatformCredentials, name: str, numbers: list[str]) -> dict:
    group_id = await find_dnc_group(credentials, name)
    return await add_dnc_numbers(credentials, group_id, numbers)


async def _from_list(credentials: PlatformCredentials, list_ref: str, numbers: list[str]) -> dict:
    async with credentials.get_client() as client:
        holding = await client.contacts_with_number(list_ref, numbers)
        ids = sorted({record for found in holding.values() for record in found})
        result = await client.remove_contacts(list_ref, ids) if ids else None
    removed = result.removed if result else 0
    return {"removed": removed, "failures": len(result.failures) if result else 0}


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.revocations", apply_revocations.__doc__.splitlines()[0])
    cli.add_argument("numbers", nargs="*", help="the revoked numbers, in any common format")
    cli.add_argument("--source", help="a file of numbers (CSV/Parquet phone column, or lines)")
    _cli.credentials_option(cli)
    cli.add_argument("--dnc-group", help="the DNC group the numbers go to")
    cli.add_argument("--calling-lists", nargs="+", help="the lists the numbers leave")
    cli.add_argument("--ledger", default=DEFAULT_LEDGER, help="the AttemptsLedger block")
    cli.add_argument("--channel", default="api", help="how consent was revoked")
    args = cli.parse_args(argv)
    options = _cli.options(args)
    _cli.run(
        args, lambda: apply_revocations(**options), check=_cli.checks(apply_revocations, options)
    )


if __name__ == "__main__":
    main()
