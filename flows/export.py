"""Flow: export a contact list into dialable and suppressed segments."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
from prefect import get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Completed

import dial_lists
from blocks import DEFAULT_LEDGER, clock, load_credentials
from cxone import CONSENTED_QUERY, PlatformId
from dial_lists import (
    DEFAULT_DIRS,
    ForDay,
    campaign_day,
    check_output_dir,
    iana_zone,
    open_source,
    write_run_marker,
)
from tasks.contacts import fetch_contacts
from tasks.dial_lists import judge_contacts, load_rule_tables
from tasks.ledger import read_ledger

from . import _cli
from ._checked import checked_flow
from ._run_names import for_day_run_name
from ._suppressed import first_suppressed, publish_reasons, publish_suppressed_file
from ._user_errors import fails_cleanly

ALL_CONTACTS_QUERY = "true"
DEFAULT_OUTPUT_DIR = DEFAULT_DIRS["export"]


def check_settings(
    contact_list_id: str,
    output_dir: str = DEFAULT_OUTPUT_DIR,
    *,
    at: dt.datetime | None = None,
    for_day: ForDay = None,
    zone: str = "America/New_York",
    **_: object,
) -> None:
    """Everything about an export's settings that can be checked before its run exists.

    Raises:
        ValueError: The first bad setting, named: a blank contact list, both `at` and
            `for_day`, a naive `at`, a bad zone or day, an output directory this flow must
            not use (`OutputDirError`).
    """
    if not str(contact_list_id).strip():
        raise ValueError("contact_list_id must name the contact list")
    if at is not None and for_day is not None:
        raise ValueError("give at most one of for_day (a day list) and at (an instant)")
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"`at` must be timezone-aware, got naive {at.isoformat()}")
    iana_zone(zone)
    campaign_day(for_day, zone, clock.now())
    check_output_dir(output_dir, "export")


@checked_flow(
    check=check_settings,
    name="export-segmented-contacts",
    flow_run_name=for_day_run_name("export", "contact_list_id"),
    timeout_seconds=3 * 3600,
)
@fails_cleanly
async def export_segmented_contacts(
    contact_list_id: PlatformId,
    output_dir: str = DEFAULT_OUTPUT_DIR,
    credentials_block: str = "cxone",
    at: dt.datetime | None = None,
    for_day: ForDay = None,
    zone: str = "America/New_York",
    ledger: str | None = DEFAULT_LEDGER,
) -> State[Any]:
    """Fetch a contact list and split it into who may be dialled at `at` (or on `for_day`)
    and who may not.

    Every fetched contact lands in exactly one of `dialable.csv` and `suppressed.csv` (Parquet
    copies beside them), written with mode 0600, by the same engine as the dial-list sync
    (`dial_lists.build_dial_files`): a number or person DNC or revoked on any contact is
    suppressed on every contact carrying it, a later contact of an id or number already in
    the list is a `duplicate`, and cells a spreadsheet would run as formulas are made inert
    in the CSV files. Suppressed contacts carry the reason and a detail. Bad records are
    suppressed, never fatal; text that is not valid Unicode is repaired and counted.

    The previous run's files are removed before anything is fetched, and `run.json` (this
    summary) is written after the files: a failed run leaves no segment file, never the last
    good run's looking current.

    Args:
        contact_list_id: The contact list to export.
        output_dir: This flow's directory for the segment files (created 0700 if missing;
            a directory holding other files is refused).
        credentials_block: Name of the saved CXoneCredentials block.
        at: The instant the list is evaluated for (timezone-aware); default now, unless
            `for_day` is given.
        for_day: Build a day list for this date in `zone` instead ("today": the date there
            when the run starts): a contact is dialable when it has a legal window that day
            at or after the run's start, with `callable_from` and `callable_until` (UTC and
            local); a suppressed one gets `next_callable_at` when time cures its reason.
        zone: The campaign's IANA time zone, for `for_day`.
        ledger: The attempts ledger whose attempts and opt-outs count too (see
            `sync_dial_list`); None: the contacts' own attempts only.

    Returns:
        A `Completed` state whose data (what a call returns) has `fetched`, `dialable`,
        `suppressed` counts (`fetched == dialable + suppressed`),
        `by_reason`, `dialable_path`, `suppressed_path`, the Parquet paths, `text_repairs`
        (cells repaired), `query` with `fell_back` telling whether the server-side consent
        query returned nothing, and `marker_path`.

    Raises:
        ValueError: a bad setting, named (before the run when called from Python).

    Example:
        ```python
        import asyncio
        from flows.export import export_segmented_contacts

        summary = asyncio.run(export_segmented_contacts("CL-DEMO", output_dir="exports"))
        ```
    """
    logger = get_run_logger()
    load_rule_tables()  # while the contacts are fetched
    now = clock.now()
    check_settings(contact_list_id, output_dir, at=at, for_day=for_day, zone=zone)
    for_day = campaign_day(for_day, zone, now)
    at = at if at is not None or for_day is not None else now
    directory = dial_lists.prepare_output_dir(output_dir, "export")
    credentials = await load_credentials(credentials_block, "contact_export")

    query = CONSENTED_QUERY
    contacts, repaired = await fetch_contacts(credentials, contact_list_id, query)
    fell_back = contacts.empty
    if fell_back:
        logger.warning(
            "The server-side consent query %r returned no contacts for list %s; fetching "
            "every contact and filtering consent client-side instead",
            query,
            contact_list_id,
        )
        query = ALL_CONTACTS_QUERY
        contacts, repaired = await fetch_contacts(credentials, contact_list_id, query)

    source = open_source(pa.Table.from_pandas(contacts, preserve_index=False))
    del contacts  # the table holds them now
    view, ledger_shown = await read_ledger(ledger, now)
    files = await judge_contacts(
        source, directory, for_day=for_day, at=at, now=now, zone=zone, owner="export", ledger=view
    )
    del view
    when = f"for {for_day} ({zone})" if for_day else f"at {at.isoformat()}"
    await publish_reasons(
        files.by_reason,
        files.read,
        key="contact-suppression",
        description=f"List {contact_list_id} {when}: {files.dialable} dialable, "
        f"{files.suppressed} suppressed",
    )
    await publish_suppressed_file(
        files.suppressed_parquet_path, files.suppressed, files.suppressed_path
    )
    for row in first_suppressed(files.suppressed_parquet_path, "invalid_phone", 5):
        logger.info("Suppressed %s: %s (%s)", row["contact_id"], row["phone"], row["detail"])
    summary = {
        "fetched": files.read,
        "dialable": files.dialable,
        "suppressed": files.suppressed,
        "by_reason": files.by_reason,
        "dialable_path": files.dialable_path,
        "suppressed_path": files.suppressed_path,
        "dialable_parquet_path": files.dialable_parquet_path,
        "suppressed_parquet_path": files.suppressed_parquet_path,
        "text_repairs": repaired,
        "query": query,
        "fell_back": fell_back,
        "at": at.isoformat() if at and not for_day else None,
        "for_day": for_day.isoformat() if for_day else None,
        "zone": zone,
        "ledger": ledger_shown,
    }
    summary["marker_path"] = str(write_run_marker(directory, summary))
    logger.info("Export of %s: %s", contact_list_id, json.dumps(files.by_reason, sort_keys=True))
    message = (
        f"{files.dialable:,} dialable, {files.suppressed:,} suppressed of {files.read:,} {when}"
    )
    return Completed(message=message, data=summary)


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.export", export_segmented_contacts.__doc__.splitlines()[0])
    cli.add_argument("contact_list_id", help="the contact list to export")
    cli.add_argument(
        "--output-dir", default=DEFAULT_OUTPUT_DIR, help="this flow's directory for its files"
    )
    _cli.credentials_option(cli)
    cli.add_argument(
        "--at",
        type=_cli.aware_instant,
        help="the instant to evaluate for, ISO-8601 with a UTC offset, e.g. "
        "2026-11-30T15:00:00-05:00 (default: now, unless --for-day)",
    )
    cli.add_argument(
        "--for-day", help="build a day list for this date (YYYY-MM-DD) or 'today' in --zone"
    )
    cli.add_argument("--zone", default="America/New_York", help="the campaign's IANA time zone")
    args = cli.parse_args(argv)
    options = _cli.options(args)
    check = _cli.checks(export_segmented_contacts, options, "contact_export")
    _cli.run(args, lambda: export_segmented_contacts(**options), check=check)


if __name__ == "__main__":
    main()
