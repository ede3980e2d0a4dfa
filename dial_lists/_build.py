"""Evaluate a contact source into dialable, suppressed and unreadable files, in two passes.

The first pass reads the whole source for what no single row can tell: which numbers and
persons are DNC or revoked anywhere in it (`compliance.Blocked`), each person's attempts
(`compliance.PersonAttempts`), and which contact ids and numbers may occur more than once
(`RepeatFinder`). The second pass evaluates it chunk by chunk with those, finds the records
the platform cannot take, places each contact id and number once, and writes the files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from functools import partial
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

import compliance
from ledger import LedgerView, Notes

from ._cells import neutralise_table
from ._csv import UnreadableLine
from ._files import (
    SEGMENT_FILES,
    UNREADABLE_FILE,
    Owner,
    prepare_output_dir,
    private_file,
    write_run_marker,
)
from ._memory import arrow_on_malloc, older_objects_frozen, release_memory
from ._outside import ANSWERS, Outside, Reassigned, consent_days, pair_keys
from ._placement import Placement, RepeatFinder, id_keys, number_keys
from ._records import UPLOAD_COLUMNS, invalid_records, upload_fields
from ._registry import RegistrySnapshot
from ._sources import CHUNK_ROWS, Chunk, ContactSource, ReadTally, open_source
from ._text import _TEXT

_UTC = pa.timestamp("us", tz="UTC")
# List-level reasons that time does not cure.
_TIMELESS = ("invalid_record", "duplicate", "dnc_registry", "reassigned")
# The RND's evidence, on both files when the list was checked against it.
_EVIDENCE = pa.schema([("rnd_answer", _TEXT), ("rnd_queried_at", _TEXT)])
# Reasons the attempts ledger can be why of: its counts, its opt-outs and revocations.
_LEDGER_REASONS = ("frequency_cap", "dnc", "consent_revoked")
# Unreadable lines named in the summary (all of them are in the unreadable file).
FIRST_UNREADABLE = 10

# Columns the engine adds (a source column of the same name is replaced by them).
_SUPPRESSED_ADDED = pa.schema(
    [
        ("phone_e164", _TEXT),  # the DNC sync adds revoked and DNC numbers in this form
        ("reason", _TEXT),
        ("detail", _TEXT),  # why, where the reason alone does not say: the column, the line
        ("next_callable_at", _UTC),
        ("next_callable_local", _TEXT),
    ]
)
_DIALABLE_ADDED = pa.schema(
    [("phone_e164", _TEXT), ("time_zone", _TEXT), ("call_request_time", _TEXT)]
)
_DAY_ADDED = pa.schema(
    [
        ("callable_from", _UTC),
        ("callable_until", _UTC),
        ("callable_from_local", _TEXT),
        ("callable_until_local", _TEXT),
    ]
)
_UNREADABLE_SCHEMA = pa.schema([("line", pa.int64()), ("why", _TEXT), ("text", _TEXT)])
# What the first pass reads: numbers, persons, their flags and attempts, and the ids.
_FIRST_PASS = (
    "contact_id",
    *compliance.Blocked.COLUMNS,
    *compliance.PersonAttempts.COLUMNS,
)


@dataclass(frozen=True)
class Progress:
    """Where a run is, after each chunk.

    Attributes:
        phase: "tally" (the first pass: numbers, persons, repeats) or "evaluate".
        read: Rows read so far in this phase.
        total: Rows in the source when known (Parquet metadata); None for CSV.
        by_reason: Rows so far per reason ("ok" for dialable ones); empty while tallying.
    """

    read: int
    total: int | None
    by_reason: dict[str, int]
    phase: Literal["tally", "evaluate"] = "evaluate"


@dataclass(frozen=True)
class DialFiles:
    """What a run wrote and counted. `read == dialable + suppressed`, and for a CSV source
    `lines == read + unreadable + blank_lines` (every data line is accounted for).

    Attributes:
        read: Rows read and evaluated.
        dialable: Rows in the dialable files.
        suppressed: Rows in the suppressed files.
        by_reason: Rows per reason ("ok" for the dialable ones).
        text_repairs: Cells that were not valid UTF-8 and were repaired (U+FFFD).
        unreadable: CSV lines that could not be read as one contact each (never dialled, not
            in `read`): listed with their line numbers and why in `unreadable_path`.
        blank_lines: Empty CSV lines.
        lines: Data lines of a CSV source (the header not counted); rows of other sources.
        first_unreadable: The first `FIRST_UNREADABLE` unreadable lines (line, why).
        for_day, at, not_before, zone: What the list was evaluated for.
        dialable_path, dialable_parquet_path: The dialable contacts (CSV, Parquet).
        suppressed_path, suppressed_parquet_path: The suppressed contacts (CSV, Parquet).
        unreadable_path: The lines that are not one contact each (CSV).
        marker_path: `run.json` (empty in the summary it holds).
    """

    read: int
    dialable: int
    suppressed: int
    by_reason: dict[str, int]
    text_repairs: int
    unreadable: int
    blank_lines: int
    lines: int
    first_unreadable: list[dict[str, Any]]
    for_day: dt.date | None
    at: dt.datetime | None
    not_before: dt.datetime | None
    zone: str
    dialable_path: str
    dialable_parquet_path: str
    suppressed_path: str
    suppressed_parquet_path: str
    unreadable_path: str
    marker_path: str = field(default="")

    def summary(self) -> dict[str, Any]:
        """The result as JSON-ready values (dates and instants in ISO-8601)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("for_day", "at", "not_before"):
            values[name] = values[name].isoformat() if values[name] else None
        return values


def _segment_schemas(
    raw: pa.Schema, day: bool, evidence: bool = False
) -> tuple[pa.Schema, pa.Schema]:
    """The (dialable, suppressed) schemas: the source's columns, then the added ones."""

    def extended(added: list[pa.Field]) -> pa.Schema:
        names = {f.name for f in added}
        kept = [f for f in raw if f.name not in names]
        return pa.schema([*kept, *added], metadata=None)

    more = list(_EVIDENCE) if evidence else []
    return (
        extended([*_DIALABLE_ADDED, *(_DAY_ADDED if day else []), *more]),
        extended([*_SUPPRESSED_ADDED, *more]),
    )


def _arrow(values: pd.Series, type_: pa.DataType) -> pa.Array:
    """A column of the evaluation as Arrow of a fixed type (categoricals decoded)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return pa.array(values).dictionary_decode().cast(type_)
    return pa.array(values, type=type_, from_pandas=True)


def _wall_time(local: pd.Series) -> pa.Array:
    """ISO-8601 local times ("2026-03-09T09:00:00-04:00") as "2026-03-09 09:00:00"."""
    texts = local.cat.categories
    dictionary = pa.array([text[:19].replace("T", " ") for text in texts], _TEXT)
    codes = local.cat.codes.to_numpy()
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), dictionary).cast(_TEXT)


@dataclass
class _Judged:
    """One chunk's outcome: the engine's columns plus the list-level reasons."""

    evaluated: pd.DataFrame
    dialable: np.ndarray  # bool, after invalid records and duplicates
    reason: pa.Array
    detail: pa.Array
    added: dict[str, pa.Array]  # the dialable rows' added columns
    evidence: dict[str, pa.Array]  # columns every row carries (the RND's answers)


def _with(values: pa.Array, mask: np.ndarray, replacements: list[str] | str) -> pa.Array:
    """`values` with the masked rows replaced (one text, or one per masked row in order)."""
    if not mask.any():
        return values
    count = int(mask.sum())
    texts = [replacements] * count if isinstance(replacements, str) else replacements
    return pc.replace_with_mask(values, pa.array(mask), pa.array(texts, _TEXT))


@dataclass
class _Prepared:
    """What one chunk's list-level judgement needs before placement: everything that does
    not depend on the chunks before it, so it is computed beside them (`_prepare`)."""

    evaluated: pd.DataFrame
    wanted: np.ndarray  # bool: dialable by the engine and the outside registries
    reason: pa.Array  # the engine's reasons, and the registries'
    detail: pa.Array
    evidence: dict[str, pa.Array]  # columns every row carries (the RND's answers)
    rows: np.ndarray  # the wanted rows
    added: dict[str, pa.Array]  # the wanted rows' added columns
    invalid: np.ndarray  # bool: records the platform cannot take
    invalid_details: list[str]
    ids: np.ndarray  # contact id keys
    numbers: np.ndarray  # number keys


def _prepare(
    raw: pa.Table, evaluated: pd.DataFrame, day: bool, outside: Outside | None = None
) -> _Prepared:
    """The list-level reasons of one evaluated chunk that need no other chunk: outside
    registries (`dnc_registry`, `reassigned`) and records the platform cannot take
    (`invalid_record`); and the keys `_judge` places."""
    wanted = evaluated["dialable"].to_numpy(dtype=bool, copy=True)
    base_reason = pa.array(evaluated["reason"], _TEXT)
    base_detail = _arrow(evaluated["detail"], _TEXT)
    e164 = pa.array(evaluated["phone_e164"], _TEXT)
    national = pc.cast(pc.fill_null(pc.utf8_slice_codeunits(e164, 2), "0"), pa.int64())
    national = national.to_numpy(zero_copy_only=False)
    evidence: dict[str, pa.Array] = {}
    if outside is not None:
        consent = raw.column("consent_at") if "consent_at" in raw.column_names else None
        days = consent_days(consent, raw.num_rows)
        listed, moved, listed_why, moved_why = outside.judge(base_reason, national, days)
        base_reason = _with(_with(base_reason, listed, "dnc_registry"), moved, "reassigned")
        base_detail = _with(_with(base_detail, listed, listed_why), moved, moved_why)
        wanted &= ~listed & ~moved
        if outside.reassigned is not None:  # the safe harbor's evidence, on every row
            answers, queried = outside.reassigned.lookup(national, days)
            evidence = {
                "rnd_answer": pa.array([ANSWERS.get(int(a), "") for a in answers], _TEXT),
                "rnd_queried_at": pa.array(queried.tolist(), _TEXT),
            }
    start = "callable_from_local" if day else "next_callable_local"
    rows = np.flatnonzero(wanted)
    picked = pa.array(rows, pa.int64())
    added_columns = ["phone_e164", "local_zone", start, *(f.name for f in _DAY_ADDED if day)]
    kept = evaluated[list(dict.fromkeys(added_columns))].iloc[rows]  # only what is added
    added = {
        "phone_e164": _arrow(kept["phone_e164"], _TEXT),
        "time_zone": _arrow(kept["local_zone"], _TEXT),
        "call_request_time": _wall_time(kept[start]),
    }
    if day:
        added |= {f.name: _arrow(kept[f.name], f.type) for f in _DAY_ADDED}
    # Only the cells `upload_fields` reads (the added columns replace theirs).
    cells = {
        name: raw.column(name).take(picked) for name in UPLOAD_COLUMNS if name in raw.column_names
    }
    fields = upload_fields({**cells, **added}, len(rows))
    bad, bad_details = invalid_records(fields)
    invalid = np.zeros(len(wanted), dtype=bool)
    invalid[rows[bad]] = True
    return _Prepared(
        evaluated=evaluated,
        wanted=wanted,
        reason=base_reason,
        detail=base_detail,
        evidence=evidence,
        rows=rows,
        added=added,
        invalid=invalid,
        invalid_details=bad_details,
        ids=id_keys(raw.column("contact_id")),
        numbers=number_keys(national),
    )


def _judge(
    prepared: _Prepared, lines: np.ndarray, placement: Placement, known: Notes | None = None
) -> _Judged:
    """Place one prepared chunk, in file order: contact ids and numbers already placed are
    `duplicate`; then what the attempts ledger knew, as the detail of the rows it holds."""
    invalid, rows = prepared.invalid, prepared.rows
    placeable = prepared.wanted & ~invalid
    duplicate, duplicate_details = placement.place(placeable, prepared.ids, prepared.numbers, lines)
    dialable = placeable & ~duplicate
    reason = _with(prepared.reason, invalid, "invalid_record")
    reason = _with(reason, duplicate, "duplicate")
    detail = prepared.detail
    if known is not None:  # what the attempts ledger knew, where it is why the contact waits
        told = known.rows() & pc.is_in(reason, pa.array(_LEDGER_REASONS)).to_numpy(
            zero_copy_only=False
        )
        told &= pc.fill_null(pc.equal(detail, ""), True).to_numpy(zero_copy_only=False)
        detail = _with(detail, told, [known.detail(int(i)) for i in np.flatnonzero(told)])
    detail = _with(detail, invalid, prepared.invalid_details)
    detail = _with(detail, duplicate, duplicate_details)
    keep = np.flatnonzero(dialable[rows])  # the placed rows among the wanted ones
    added = {
        name: values.take(pa.array(keep, pa.int64())) for name, values in prepared.added.items()
    }
    evidence = prepared.evidence
    added |= {name: values.filter(pa.array(dialable)) for name, values in evidence.items()}
    return _Judged(prepared.evaluated, dialable, reason, detail, added, evidence)


def _segments(
    raw: pa.Table, judged: _Judged, schemas: tuple[pa.Schema, pa.Schema]
) -> tuple[pa.Table, pa.Table]:
    """The chunk's (dialable, suppressed) rows: cells as they came plus the added columns."""
    dialable = judged.dialable
    held = pa.array(~dialable)
    engine = judged.evaluated.loc[
        ~dialable, ["phone_e164", "next_callable_at", "next_callable_local"]
    ]
    # A record refused or already placed, or a number on a registry, is not cured by time.
    listed = pc.invert(pc.is_in(judged.reason.filter(held), pa.array(_TIMELESS)))
    suppressed = {
        "phone_e164": _arrow(engine["phone_e164"], _TEXT),
        "reason": judged.reason.filter(held),
        "detail": judged.detail.filter(held),
        "next_callable_at": pc.if_else(
            listed, _arrow(engine["next_callable_at"], _UTC), pa.scalar(None, _UTC)
        ),
        "next_callable_local": pc.if_else(
            listed, _arrow(engine["next_callable_local"], _TEXT), pa.scalar(None, _TEXT)
        ),
        **{name: values.filter(held) for name, values in judged.evidence.items()},
    }
    return tuple(
        pa.Table.from_arrays(
            [columns[f.name] if f.name in columns else rows.column(f.name) for f in schema],
            schema=schema,
        )
        for rows, columns, schema in (
            (raw.filter(pa.array(dialable)), judged.added, schemas[0]),
            (raw.filter(held), suppressed, schemas[1]),
        )
    )


def _counts(reasons: pa.Array) -> dict[str, int]:
    return {item["values"]: item["counts"] for item in pc.value_counts(reasons).to_pylist()}


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO-8601 text ("2026-03-09T13:00:00Z") and formula-looking cells made
    inert, for CSV files people open."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            seconds = table.column(i).cast(pa.timestamp("s", f.type.tz), safe=False)
            fmt = "%Y-%m-%dT%H:%M:%S" + ("" if f.type.tz is None else "%z")
            # A list's instants are few: each distinct one is formatted once.
            encoded = pc.dictionary_encode(seconds.combine_chunks())
            words = pc.strftime(encoded.dictionary, fmt)
            words = pc.replace_substring_regex(words, r"\+0000$", "Z")
            text = words.take(encoded.indices).cast(_TEXT)
            table = table.set_column(i, pa.field(f.name, _TEXT), text)
    # The engine's E.164 numbers ("+1" and ten digits) are inert: a third of the cells that
    # start with a formula's first character, not looked at again.
    e164 = table.schema.get_field_index("phone_e164")
    if e164 < 0:
        return neutralise_table(table)
    inert = table.column(e164)
    return neutralise_table(table.remove_column(e164)).add_column(e164, table.field(e164), inert)


# Parquet without dictionaries or statistics: most columns are ids, numbers and instants,
# which neither shrinks (the size is within 3% of the defaults') and which cost half the
# writing's CPU (measured on the benchmark's 1M list).
_PARQUET_OPTIONS: dict[str, Any] = {"use_dictionary": False, "write_statistics": False}


class _SegmentWriter:
    """One segment written chunk by chunk to a CSV and a Parquet file of one fixed schema."""

    def __init__(self, csv_file: BinaryIO, parquet_file: BinaryIO | None, schema: pa.Schema):
        self._parquet = (
            pq.ParquetWriter(parquet_file, schema, **_PARQUET_OPTIONS) if parquet_file else None
        )
        self._csv = pa_csv.CSVWriter(csv_file, _csv_ready(schema.empty_table()).schema)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if self._parquet is not None:
            self._parquet.write_table(table)
        self._csv.write_table(_csv_ready(table))
        self.rows += table.num_rows

    def __enter__(self) -> _SegmentWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._csv.close()
        if self._parquet is not None:
            self._parquet.close()  # the footer: before the file is renamed into place


class _Behind:
    """Work done in one background thread, in order, while the caller goes on: a chunk's
    files are written while the next chunk is evaluated (Arrow's writers and most of its
    compute functions release the GIL, so the second core does them). At most one piece of
    work waits, so memory holds at most one chunk more."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._pending: Future[None] | None = None

    def submit(self, work: Callable[[], None]) -> None:
        """Run `work` after the previous one (whose error, if any, is raised here)."""
        self.wait()
        self._pending = self._pool.submit(work)

    def wait(self) -> None:
        """Wait for the work in progress; raise what it raised."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()


def _read_ahead(chunks: Iterator[Chunk]) -> Generator[Chunk, None, None]:
    """The chunks, each read in a thread of its own while the caller works on the one before
    (Arrow decodes without the GIL). For the first pass, whose chunks are a few columns: in
    the second, the whole rows held ahead cost 15-30 MB of peak for 0.15 s (measured)."""
    pool = ThreadPoolExecutor(1, "dial-read")
    try:
        ahead = pool.submit(next, chunks, None)
        while (chunk := ahead.result()) is not None:
            ahead = pool.submit(next, chunks, None)
            yield chunk
    finally:
        pool.shutdown(wait=True)  # no read in progress when the source is closed
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _unreadable_table(lines: tuple[UnreadableLine, ...]) -> pa.Table:
    return pa.table(
        [
            pa.array([u.line for u in lines], pa.int64()),
            pa.array([u.why for u in lines], _TEXT),
            pa.array([u.text for u in lines], _TEXT),
        ],
        schema=_UNREADABLE_SCHEMA,
    )


@dataclass
class _ListFacts:
    """What the first pass learnt of the whole list."""

    blocked: compliance.Blocked
    people: compliance.PersonAttempts | None
    placement: Placement
    consented: np.ndarray  # (number, consent date) keys of contacts with consent (`pair_keys`)


def _first_pass(
    source: ContactSource,
    rows: int,
    on_progress: Callable[[Progress], None] | None,
    ledger: LedgerView | None,
    consent_pairs: bool = False,
) -> _ListFacts:
    """Read the whole list once for its blocked numbers and persons, person attempts and
    the ids and numbers that may repeat."""
    wanted = [*_FIRST_PASS, *(("consent_call", "consent_at") if consent_pairs else ())]
    columns = [name for name in dict.fromkeys(wanted) if name in source.columns]
    pairs: list[np.ndarray] = []
    blocked = compliance.Blocked.builder()
    repeats = RepeatFinder()
    read = 0

    def repeated(ids: pa.ChunkedArray, numbers: np.ndarray) -> None:
        repeats.add(id_keys(ids))
        repeats.add(number_keys(numbers))

    def frames(behind: _Behind) -> Iterator[pd.DataFrame]:
        nonlocal read
        with closing(_read_ahead(source.chunks(rows, columns))) as chunks:
            for chunk in chunks:
                frame = chunk.table.to_pandas(ignore_metadata=True)
                numbers = compliance.national_numbers(frame["phone"])
                # The repeats are looked for in the background while the next chunk is parsed.
                behind.submit(partial(repeated, chunk.table.column("contact_id"), numbers))
                if ledger is not None:  # the dialer's attempts and opt-outs count too
                    frame, _ = ledger.adjust(frame, numbers)
                blocked.add(frame, numbers=numbers)
                if consent_pairs:
                    pairs.append(np.unique(_consented(chunk.table, numbers)))
                read += len(frame)
                if on_progress is not None:
                    on_progress(Progress(read, source.rows, {}, "tally"))
                yield frame
        behind.wait()

    with ThreadPoolExecutor(1, "dial-repeats") as pool:
        behind = _Behind(pool)
        if "person_id" in columns:
            people = compliance.PersonAttempts.tally(frames(behind))
        else:
            people = None
            for _ in frames(behind):
                pass
        behind.wait()
    consented = np.unique(np.concatenate(pairs)) if pairs else np.zeros(0, dtype=np.int64)
    return _ListFacts(blocked.build(), people, repeats.placement(), consented[consented > 0])


_YES = ("true", "t", "yes", "y", "1")


def _consented(table: pa.Table, numbers: np.ndarray) -> np.ndarray:
    """(number, consent date) keys of the rows that say yes to consent and give its date."""
    if "consent_call" not in table.column_names or "consent_at" not in table.column_names:
        return np.zeros(0, dtype=np.int64)
    said = table.column("consent_call").cast(pa.string())
    yes = pc.fill_null(pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(said)), pa.array(_YES)),
                       False).to_numpy(zero_copy_only=False)  # fmt: skip
    keys = pair_keys(numbers, consent_days(table.column("consent_at"), table.num_rows))
    chosen: np.ndarray = keys[yes]
    return chosen


@older_objects_frozen()  # the run's full collections walk only its own objects
@arrow_on_malloc()  # a lower peak and half the system time (see there)
def build_dial_files(
    source: str | os.PathLike[str] | ContactSource,
    output_dir: str | os.PathLike[str],
    *,
    for_day: dt.date | None = None,
    at: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    zone: str = "America/New_York",
    policy: compliance.CallingPolicy | None = None,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[Progress], None] | None = None,
    owner: Owner = "dial-list",
    ledger: LedgerView | None = None,
    registry: RegistrySnapshot | None = None,
    registry_consent_exempts: bool = False,
    reassigned: Callable[[np.ndarray], Reassigned] | None = None,
) -> DialFiles:
    """Evaluate a contact file into dialable, suppressed and unreadable files.

    Either a day list (`for_day`: `compliance.evaluate_day`, dialable when the contact has a
    legal window that day at or after `not_before`) or a list for one instant (`at`:
    `compliance.evaluate`). Memory holds one chunk and a few bytes per repeated or blocked
    key, whatever the source's size. The source is read twice (see the module docstring),
    so that what is true of a number or a person anywhere in it holds on every row:

    - a number DNC or revoked on any row (in any written form) is suppressed on every row
      carrying it, and so is a `person_id`; the state caps count a person's attempts on all
      their rows;
    - a row the platform cannot take (a blank contact id, a control character, a record over
      512 characters) is `invalid_record`, with the column named in `detail`;
    - a later row of a contact id or a number already placed is `duplicate` (the first one
      stands), with the line of the first in `detail`.

    Files written in `output_dir` (see `prepare_output_dir`: created 0700, owned by `owner`),
    each mode 0600 and renamed into place only when the whole source was read; the previous
    run's files are removed first and `run.json` (the summary) is written last:

    - `dialable.csv` / `.parquet`: the source's columns as they came, then `phone_e164`,
      `time_zone` (the contact's IANA zone, `local_zone`), `call_request_time` (the local
      wall time the contact may first be called, "YYYY-MM-DD HH:MM:SS": `callable_from`
      for a day list, `at` otherwise) and, for a day list, `callable_from`,
      `callable_until` (UTC), `callable_from_local`, `callable_until_local` (ISO-8601).
    - `suppressed.csv` / `.parquet`: the source's columns as they came, then `phone_e164`
      (empty when the number is unusable), `reason`, `detail`, `next_callable_at` (UTC;
      empty when time cannot cure the reason) and `next_callable_local`.
    - `unreadable.csv`: `line`, `why`, `text` of each CSV line that is not one contact.

    An added column replaces a source column of the same name. The CSV files are for people:
    instants read "2026-03-09T13:00:00Z" and cells a spreadsheet would run as a formula are
    prefixed with a quote (the Parquet files keep every cell as it came).

    Args:
        source: A path or `fsspec` URL (see `open_source`), or an opened source.
        output_dir: Where the files go.
        for_day: The campaign day, a date in `zone`.
        at: The instant of the calls (timezone-aware).
        not_before: For a day list: no window starts before this instant (the sync's
            instant: a list made at 05:30 gives nobody a window already over).
        zone: The campaign's IANA time zone (for `for_day`).
        policy: The campaign's calling policy; default `compliance.CallingPolicy()`.
        chunk_rows: Rows evaluated at once.
        on_progress: Called after each chunk of each pass with a `Progress`.
        owner: The flow the output directory belongs to.

    Returns:
        The counts and paths.

    Raises:
        ValueError: Neither or both of `for_day` and `at`, or a naive `at` (before any file
            is touched); a bad `zone`, or a bad source (see `open_source`; the previous run's
            files are removed by then, nothing is written).
        OutputDirError: `output_dir` must not be used (see `check_output_dir`).
        Exception: Whatever reading or `on_progress` raises midway; no output file is left.

    Example:
        >>> import datetime as dt, tempfile
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> workdir = tempfile.TemporaryDirectory()
        >>> path = Path(workdir.name) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone,consent_call,dnc\\n"
        ...                     "c1,(212) 736-5000,true,\\nc2,(212) 736-5001,no,\\n"
        ...                     "c3,212.736.5000,true,\\nc4,+1 212 736 5002,true,yes\\n"
        ...                     "c5,2127365002,true,\\n")
        >>> run = build_dial_files(path, path.parent / "out", for_day=dt.date(2026, 3, 9))
        >>> run.read, run.dialable, run.by_reason
        (5, 1, {'dnc': 2, 'duplicate': 1, 'no_consent': 1, 'ok': 1})
        >>> pd.read_csv(run.dialable_path)[["contact_id", "call_request_time"]].iloc[0].tolist()
        ['c1', '2026-03-09 08:00:00']
        >>> workdir.cleanup()
    """
    if (for_day is None) == (at is None):
        raise ValueError("give exactly one of for_day (a day list) and at (an instant)")
    for name, instant in (("at", at), ("not_before", not_before)):
        if instant is not None and (instant.tzinfo is None or instant.utcoffset() is None):
            raise ValueError(f"`{name}` must be timezone-aware, got naive {instant.isoformat()}")
    directory = prepare_output_dir(output_dir, owner)  # first: a bad source leaves no stale files
    opened = source if isinstance(source, ContactSource) else open_source(source)
    facts = _first_pass(opened, chunk_rows, on_progress, ledger, reassigned is not None)
    outside = None
    if registry is not None or reassigned is not None:
        answers = reassigned(facts.consented) if reassigned is not None else None
        outside = Outside(registry, registry_consent_exempts, answers)
    day = for_day is not None

    def evaluate(contacts: pd.DataFrame) -> pd.DataFrame:
        people, blocked = facts.people, facts.blocked
        if for_day is not None:
            return compliance.evaluate_day(
                contacts, for_day, zone, policy, not_before=not_before, people=people,
                blocked=blocked,
            )  # fmt: skip
        assert at is not None
        return compliance.evaluate(contacts, at, policy, people=people, blocked=blocked)

    schemas = _segment_schemas(opened.schema, day, reassigned is not None)
    # Only the columns the rules read go to pandas; the others stay in Arrow, as they came.
    evaluated_columns = {*compliance.REQUIRED_COLUMNS, *compliance.OPTIONAL_COLUMNS}
    judged_columns = [name for name in opened.columns if name in evaluated_columns]
    paths = {name: directory / name for name in (*SEGMENT_FILES, UNREADABLE_FILE)}
    counts: Counter[str] = Counter()
    tally = ReadTally()
    first_unreadable: list[dict[str, Any]] = []
    read = repairs = 0
    with ExitStack() as files:
        handle = {name: files.enter_context(private_file(path)) for name, path in paths.items()}
        kept = files.enter_context(
            _SegmentWriter(handle["dialable.csv"], handle["dialable.parquet"], schemas[0])
        )
        held = files.enter_context(
            _SegmentWriter(handle["suppressed.csv"], handle["suppressed.parquet"], schemas[1])
        )
        unreadable = files.enter_context(
            _SegmentWriter(handle[UNREADABLE_FILE], None, _UNREADABLE_SCHEMA)
        )
        # Last in, first out: the writing ends (shutdown waits for it) before the files close.
        behind = _Behind(files.enter_context(ThreadPoolExecutor(1, "dial-files")))

        def file_chunk(chunk: Chunk, prepared: _Prepared | None, known: Notes | None) -> None:
            """The placement and files of one prepared chunk (in order: placement is first
            come, first placed)."""
            if prepared is not None:
                judged = _judge(prepared, chunk.lines, facts.placement, known)
                dialable_rows, suppressed_rows = _segments(chunk.table, judged, schemas)
                kept.write(dialable_rows)
                held.write(suppressed_rows)
                counts.update(_counts(judged.reason))
            if chunk.unreadable:
                unreadable.write(_unreadable_table(chunk.unreadable))

        def filed(through: int | None) -> None:
            """Wait for the chunk in the background; report it (`through` rows read)."""
            behind.wait()
            if through is not None and on_progress is not None:
                on_progress(Progress(through, opened.rows, dict(counts)))

        # A chunk is evaluated and prepared here while the one before it is placed and
        # written in the background thread (the engine's tables and the files' Arrow work
        # overlap; preparing here balances the two: the writing thread was the slower).
        waiting: int | None = None  # rows read through the chunk in the background
        for chunk in opened.chunks(chunk_rows, tally=tally):
            prepared = known = None
            if chunk.table.num_rows:
                contacts = chunk.table.select(judged_columns).to_pandas(ignore_metadata=True)
                if ledger is not None:
                    numbers = compliance.national_numbers(contacts["phone"])
                    contacts, known = ledger.adjust(contacts, numbers)
                prepared = _prepare(chunk.table, evaluate(contacts), day, outside)
                del contacts
            filed(waiting)
            behind.submit(partial(file_chunk, chunk, prepared, known))
            del prepared, known
            if chunk.unreadable:
                room = FIRST_UNREADABLE - len(first_unreadable)
                first_unreadable += [{"line": u.line, "why": u.why} for u in chunk.unreadable][
                    : max(room, 0)
                ]
            read += chunk.table.num_rows
            repairs += chunk.text_repairs
            waiting = read
        filed(waiting)
    release_memory()  # the upload comes next, in this process
    result = DialFiles(
        read=read,
        dialable=kept.rows,
        suppressed=held.rows,
        by_reason=dict(sorted(counts.items())),
        text_repairs=repairs,
        unreadable=unreadable.rows,
        blank_lines=tally.blank,
        lines=tally.lines,
        first_unreadable=first_unreadable,
        for_day=for_day,
        at=at,
        not_before=not_before,
        zone=zone,
        dialable_path=str(paths["dialable.csv"]),
        dialable_parquet_path=str(paths["dialable.parquet"]),
        suppressed_path=str(paths["suppressed.csv"]),
        suppressed_parquet_path=str(paths["suppressed.parquet"]),
        unreadable_path=str(paths[UNREADABLE_FILE]),
    )
    marker = write_run_marker(directory, result.summary())
    return dataclasses.replace(result, marker_path=str(marker))
