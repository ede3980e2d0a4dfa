"""Tasks of the segmented export: fetch contacts into a DataFrame, evaluate, write segments."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

import compliance
from blocks import PlatformCredentials
from cxone import Contact
from dial_lists import repair_text, write_private

from .errors import CXONE_TASK_OPTIONS

# Columns handed to the compliance engine, plus the names kept for the dialer's list, with
# compact dtypes: Arrow-backed text and nullable booleans hold a large list in a fraction of
# the memory Python objects would take. DNC, revocation and attempts are text: they carry a
# malformed value as it came (the engine blocks it, the suppressed file shows it).
CONTACT_COLUMNS = {
    "contact_id": "str",
    "phone": "str",
    "first_name": "str",
    "last_name": "str",
    "postal_code": "str",
    "state": "str",
    "consent_call": "boolean",
    "consent_revoked_at": "str",
    "dnc": "str",
    "attempts_24h": "str",
    "attempts_7d": "str",
}

CHUNK_ROWS = 5_000  # pages are turned into frames this many rows at a time


def _as_text(value: Any) -> str | None:
    """A cell as text: strings as they are, numbers and flags as Python writes them, else JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, default=str)


class FetchedContacts(NamedTuple):
    """A list's contacts as a frame, and how many text cells had to be repaired."""

    frame: pd.DataFrame
    text_repairs: int


def contacts_frame(contacts: Iterable[Contact]) -> FetchedContacts:
    """Flatten contact records into the compliance engine's input columns.

    Missing nested objects give None, never an error: the engine treats unknowns
    conservatively (no consent means not dialable). A malformed attempts object counts for
    both attempt columns. Text that cannot be stored (a lone surrogate: half an emoji, as a
    JSON escape can carry) is repaired and counted, never fatal (see `repair_text`).
    """
    columns: dict[str, list] = {name: [] for name in CONTACT_COLUMNS}
    for c in contacts:
        outbound = c.consent_flags.outbound if c.consent_flags else None
        # An attempts object that did not validate is kept raw: it stands for both counts.
        kept = c.attempts is not None and not hasattr(c.attempts, "last24h")
        attempts, odd_attempts = (None, c.attempts) if kept else (c.attempts, None)
        values = (
            c.id,
            c.phone_number,
            c.first_name,
            c.last_name,
            c.postal_code,
            c.state,
            outbound.call if outbound else None,
            _as_text(outbound.revoked_at) if outbound else None,
            _as_text(c.do_not_call),
            _as_text(attempts.last24h if attempts else odd_attempts),
            _as_text(attempts.last7d if attempts else odd_attempts),
        )
        for name, value in zip(CONTACT_COLUMNS, values, strict=True):
            columns[name].append(value)
    arrays, repaired = {}, 0
    for name, values in columns.items():
        try:
            arrays[name] = pd.array(values, dtype=CONTACT_COLUMNS[name])
        except UnicodeEncodeError:  # the rare bad cell: repair the column, not the fast path
            values, count = repair_text(values)
            arrays[name] = pd.array(values, dtype=CONTACT_COLUMNS[name])
            repaired += count
    return FetchedContacts(pd.DataFrame(arrays), repaired)


# Paced at the tenant's rate: at the default 100 requests a minute, a million contacts
# (10,000 pages) take 100 minutes.
@task(name="fetch-contacts", timeout_seconds=2 * 3600, **CXONE_TASK_OPTIONS)
async def fetch_contacts(
    credentials: PlatformCredentials, contact_list_id: str, query: str
) -> FetchedContacts:
    """Every contact of the list matching `query`, once each, as a DataFrame.

    Pages are converted to frames every few thousand rows, so the raw records of at most one
    chunk are held at a time.
    """
    logger = get_run_logger()
    chunks: list[FetchedContacts] = []
    pending: list[Contact] = []
    async with credentials.get_client() as client:
        async for page in client.iter_contacts(contact_list_id, query=query):
            pending.extend(page)
            if len(pending) >= CHUNK_ROWS:
                chunks.append(contacts_frame(pending))
                pending = []
    chunks.append(contacts_frame(pending))
    frame = pd.concat([chunk.frame for chunk in chunks], ignore_index=True)
    repaired = sum(chunk.text_repairs for chunk in chunks)
    logger.info("Fetched %d contacts of list %s with query %r", len(frame), contact_list_id, query)
    if repaired:
        logger.warning("Repaired %d text cells that were not valid Unicode", repaired)
    return FetchedContacts(frame, repaired)


@task(name="evaluate-contacts", timeout_seconds=1800, cache_policy=NO_CACHE)
def evaluate_contacts(
    contacts: pd.DataFrame,
    at: dt.datetime | None,
    for_day: dt.date | None = None,
    zone: str = "America/New_York",
) -> pd.DataFrame:
    """Run the compliance engine: one reason per contact, `ok` when dialable; a day list
    (`compliance.evaluate_day`) when `for_day` is given, else the instant `at`."""
    if for_day is not None:
        return compliance.evaluate_day(contacts, for_day, zone)
    return compliance.evaluate(contacts, at)


@task(name="write-segments", timeout_seconds=1800, cache_policy=NO_CACHE)
def write_segments(evaluated: pd.DataFrame, output_dir: str) -> dict[str, str]:
    """Write dialable and suppressed contacts as CSV and Parquet; returns the paths."""
    directory = Path(output_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    dialable = evaluated["dialable"].astype(bool)
    paths = {}
    for name, rows in (("dialable", dialable), ("suppressed", ~dialable)):
        frame = evaluated[rows]  # one segment at a time keeps the peak low
        if name == "dialable":
            frame = frame.drop(columns=["reason"])
        for fmt in ("csv", "parquet"):
            path = directory / f"{name}.{fmt}"
            write_private(frame, path, fmt)
            paths[f"{name}_{fmt}"] = str(path)
        del frame
    return paths
