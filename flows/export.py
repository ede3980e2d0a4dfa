"""Flow: export a contact list into dialable and suppressed segments."""

from __future__ import annotations

import datetime as dt
import json

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.states import Completed

import compliance
from blocks import load_credentials
from cxone import CONSENTED_QUERY, PlatformId
from dial_lists import ForDay, campaign_day, prepare_output_dir, write_run_marker
from tasks.contacts import evaluate_contacts, fetch_contacts, write_segments
from tasks.masking import mask_phone

from . import _cli
from ._run_names import for_day_run_name
from ._suppressed import publish_suppressed

ALL_CONTACTS_QUERY = "true"


@flow(
    name="export-segmented-contacts",
    flow_run_name=for_day_run_name("export", "contact_list_id"),
    timeout_seconds=3 * 3600,
)
async def export_segmented_contacts(
    contact_list_id: PlatformId,
    output_dir: str = "exports",
    credentials_block: str = "cxone",
    at: dt.datetime | None = None,
    for_day: ForDay = None,
    zone: str = "America/New_York",
) -> dict:
    """Fetch a contact list and split it into who may be dialled at `at` (or on `for_day`)
    and who may not.

    Every fetched contact lands in exactly one of `dialable.csv` and `suppressed.csv` (Parquet
    copies beside them), written with mode 0600. Suppressed contacts carry the reason:
    invalid number, DNC, revoked or missing consent, frequency cap, unknown time zone, a
    state's closed day, or outside the called party's local calling hours. Bad records are
    suppressed, never fatal; text that is not valid Unicode is repaired and counted.

    The previous run's files are removed before anything is fetched, and `run.json` (this
    summary) is written after the files: a failed run leaves no segment file, never the last
    good run's looking current.

    Args:
        contact_list_id: The contact list to export.
        output_dir: Directory for the segment files (created 0700 if missing).
        credentials_block: Name of the saved CXoneCredentials block.
        at: The instant the list is evaluated for (timezone-aware); default now, unless
            `for_day` is given.
        for_day: Build a day list for this date in `zone` instead ("today": the date there
            when the run starts): a contact is dialable when it has a legal window that day,
            with `callable_from` and `callable_until` (UTC and local); a suppressed one gets
            `next_callable_at` when time cures its reason.
        zone: The campaign's IANA time zone, for `for_day`.

    Returns:
        `fetched`, `dialable`, `suppressed` counts (`fetched == dialable + suppressed`),
        `by_reason`, `dialable_path`, `suppressed_path`, the Parquet paths, `text_repairs`
        (cells repaired), `query` with `fell_back` telling whether the server-side consent
        query returned nothing, and `marker_path`.

    Example:
        ```python
        import asyncio
        from flows.export import export_segmented_contacts

        summary = asyncio.run(export_segmented_contacts("CL-DEMO", output_dir="exports"))
        ```
    """
    logger = get_run_logger()
    for_day = campaign_day(for_day, zone)
    if at is not None and for_day is not None:
        raise ValueError("give at most one of for_day (a day list) and at (an instant)")
    if at is None and for_day is None:
        at = dt.datetime.now(dt.UTC)
    elif at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"`at` must be timezone-aware, got naive {at.isoformat()}")
    directory = prepare_output_dir(output_dir)
    credentials = await load_credentials(credentials_block)

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

    evaluated = evaluate_contacts(contacts, at, for_day, zone)
    paths = write_segments(evaluated, str(directory))
    dialable = int(evaluated["dialable"].sum())
    by_reason = {str(k): int(v) for k, v in evaluated["reason"].value_counts().items()}
    for row in evaluated[evaluated["reason"] == "invalid_phone"].head(5).itertuples():
        logger.info("Suppressed %s: unusable number %s", row.contact_id, mask_phone(row.phone))

    when = f"for {for_day} ({zone})" if for_day else f"at {at.isoformat()}"
    await acreate_table_artifact(
        key="contact-suppression",
        table=compliance.suppression_report(evaluated),
        description=(
            f"List {contact_list_id} {when}: {dialable} dialable, "
            f"{len(evaluated) - dialable} suppressed"
        ),
    )
    suppressed = evaluated[~evaluated["dialable"]]
    await publish_suppressed(suppressed, len(suppressed), paths["suppressed_csv"])
    summary = {
        "fetched": len(contacts),
        "dialable": dialable,
        "suppressed": len(evaluated) - dialable,
        "by_reason": by_reason,
        "dialable_path": paths["dialable_csv"],
        "suppressed_path": paths["suppressed_csv"],
        "dialable_parquet_path": paths["dialable_parquet"],
        "suppressed_parquet_path": paths["suppressed_parquet"],
        "text_repairs": repaired,
        "query": query,
        "fell_back": fell_back,
        "at": at.isoformat() if at else None,
        "for_day": for_day.isoformat() if for_day else None,
        "zone": zone,
    }
    summary["marker_path"] = str(write_run_marker(directory, summary))
    logger.info("Export of %s: %s", contact_list_id, json.dumps(by_reason, sort_keys=True))
    message = (
        f"{dialable:,} dialable, {summary['suppressed']:,} suppressed of {len(contacts):,} {when}"
    )
    return Completed(message=message, data=summary)


def main(argv: list[str] | None = None) -> None:
    cli = _cli.parser("python -m flows.export", export_segmented_contacts.__doc__.splitlines()[0])
    cli.add_argument("contact_list_id", help="the contact list to export")
    cli.add_argument("--output-dir", default="exports", help="directory for the segment files")
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
    _cli.run(args, lambda: export_segmented_contacts(**_cli.options(args)))


if __name__ == "__main__":
    main()
