"""Evaluate a contact source chunk by chunk into dialable and suppressed files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

import compliance

from ._files import SEGMENT_FILES, prepare_output_dir, private_file, write_run_marker
from ._memory import release_memory
from ._sources import CHUNK_ROWS, ContactSource, open_source
from ._text import _TEXT

_UTC = pa.timestamp("us", tz="UTC")


# Columns the engine adds (a source column of the same name is replaced by them).
_SUPPRESSED_ADDED = pa.schema(
    [
        ("phone_e164", _TEXT),  # the DNC sync adds revoked and DNC numbers in this form
        ("reason", _TEXT),
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


@dataclass(frozen=True)
class Progress:
    """Where a run is, after each chunk.

    Attributes:
        read: Rows read so far.
        total: Rows in the source when known (Parquet metadata); None for CSV.
        by_reason: Rows so far per reason ("ok" for dialable ones).
    """

    read: int
    total: int | None
    by_reason: dict[str, int]


@dataclass(frozen=True)
class DialFiles:
    """What a run wrote and counted. `read == dialable + suppressed`.

    Attributes:
        read: Rows read and evaluated.
        dialable: Rows in the dialable files.
        suppressed: Rows in the suppressed files.
        by_reason: Rows per reason ("ok" for the dialable ones).
        text_repairs: Cells that were not valid UTF-8 and were repaired (U+FFFD).
        unreadable_rows: CSV lines whose number of fields did not match the header; skipped
            (never dialled), not in `read`.
        for_day, at, zone: What the list was evaluated for.
        dialable_path, dialable_parquet_path, suppressed_path, suppressed_parquet_path: The
            files (the plain names are the CSV files).
        marker_path: `run.json` (empty in the summary it holds).
    """

    read: int
    dialable: int
    suppressed: int
    by_reason: dict[str, int]
    text_repairs: int
    unreadable_rows: int
    for_day: dt.date | None
    at: dt.datetime | None
    zone: str
    dialable_path: str
    dialable_parquet_path: str
    suppressed_path: str
    suppressed_parquet_path: str
    marker_path: str = field(default="")

    def summary(self) -> dict:
        """The result as JSON-ready values (dates and instants in ISO-8601)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["for_day"] = self.for_day.isoformat() if self.for_day else None
        values["at"] = self.at.isoformat() if self.at else None
        return values


def _segment_schemas(raw: pa.Schema, day: bool) -> tuple[pa.Schema, pa.Schema]:
    """The (dialable, suppressed) schemas: the source's columns, then the added ones."""

    def extended(added: list[pa.Field]) -> pa.Schema:
        names = {f.name for f in added}
        kept = [f for f in raw if f.name not in names]
        return pa.schema([*kept, *added], metadata=None)

    return (
        extended([*_DIALABLE_ADDED, *(_DAY_ADDED if day else [])]),
        extended([*_SUPPRESSED_ADDED]),
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


def _segments(
    raw: pa.Table, evaluated: pd.DataFrame, schemas: tuple[pa.Schema, pa.Schema], day: bool
) -> tuple[pa.Table, pa.Table]:
    """The chunk's (dialable, suppressed) rows: cells as they came plus the added columns."""
    dialable = evaluated["dialable"].to_numpy(dtype=bool)
    start = "callable_from_local" if day else "next_callable_local"
    wanted = ["phone_e164", "local_zone", start, *(_DAY_ADDED.names if day else [])]
    # Only the added columns: the source's cells come from `raw`, not a copy of them.
    kept = evaluated.loc[dialable, list(dict.fromkeys(wanted))]
    held = evaluated.loc[~dialable, _SUPPRESSED_ADDED.names]
    starts = kept[start]
    added = {
        "phone_e164": _arrow(kept["phone_e164"], _TEXT),
        "time_zone": _arrow(kept["local_zone"], _TEXT),
        "call_request_time": _wall_time(starts),
    }
    if day:
        added |= {f.name: _arrow(kept[f.name], f.type) for f in _DAY_ADDED}
    suppressed = {f.name: _arrow(held[f.name], f.type) for f in _SUPPRESSED_ADDED}
    return tuple(
        pa.Table.from_arrays(
            [columns[f.name] if f.name in columns else rows.column(f.name) for f in schema],
            schema=schema,
        )
        for rows, columns, schema in (
            (raw.filter(pa.array(dialable)), added, schemas[0]),
            (raw.filter(pa.array(~dialable)), suppressed, schemas[1]),
        )
    )


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO-8601 text for the CSV files ("2026-03-09T13:00:00Z")."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            seconds = table.column(i).cast(pa.timestamp("s", f.type.tz), safe=False)
            fmt = "%Y-%m-%dT%H:%M:%S" + ("" if f.type.tz is None else "%z")
            text = pc.replace_substring_regex(pc.strftime(seconds, fmt), r"\+0000$", "Z")
            table = table.set_column(i, pa.field(f.name, _TEXT), text)
    return table


class _SegmentWriter:
    """One segment written chunk by chunk to a CSV and a Parquet file of one fixed schema."""

    def __init__(self, csv_file: BinaryIO, parquet_file: BinaryIO, schema: pa.Schema):
        self._parquet = pq.ParquetWriter(parquet_file, schema)
        self._csv = pa_csv.CSVWriter(csv_file, _csv_ready(schema.empty_table()).schema)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self._parquet.write_table(table)
        self._csv.write_table(_csv_ready(table))
        self.rows += table.num_rows

    def __enter__(self) -> _SegmentWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._csv.close()
        self._parquet.close()  # the footer: before the file is renamed into place


def _tally(source: ContactSource, rows: int) -> compliance.PersonAttempts:
    """The first pass: every person's attempts over the whole source."""
    columns = [name for name in compliance.PersonAttempts.COLUMNS if name in source.columns]
    return compliance.PersonAttempts.tally(
        chunk.table.to_pandas(ignore_metadata=True) for chunk in source.chunks(rows, columns)
    )


def build_dial_files(
    source: str | os.PathLike | ContactSource,
    output_dir: str | os.PathLike,
    *,
    for_day: dt.date | None = None,
    at: dt.datetime | None = None,
    zone: str = "America/New_York",
    policy: compliance.CallingPolicy | None = None,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[Progress], None] | None = None,
) -> DialFiles:
    """Evaluate a contact file chunk by chunk into dialable and suppressed files.

    Either a day list (`for_day`: `compliance.evaluate_day`, dialable when the contact has a
    legal window that day) or a list for one instant (`at`: `compliance.evaluate`). Memory
    holds one chunk whatever the source's size. With a `person_id` column the source is read
    twice: first only the person and attempt columns, to total each person's attempts over
    the whole file (`compliance.PersonAttempts`), so the state caps count a person's numbers
    in every chunk exactly as one evaluation of the whole file would.

    Files written in `output_dir` (created 0700), each mode 0600 and renamed into place only
    when the whole source was read; the previous run's files are removed first and `run.json`
    (the summary) is written last:

    - `dialable.csv` / `.parquet`: the source's columns as they came, then `phone_e164`,
      `time_zone` (the contact's IANA zone, `local_zone`), `call_request_time` (the local
      wall time the contact may first be called, "YYYY-MM-DD HH:MM:SS": `callable_from`
      for a day list, `at` otherwise) and, for a day list, `callable_from`,
      `callable_until` (UTC), `callable_from_local`, `callable_until_local` (ISO-8601).
    - `suppressed.csv` / `.parquet`: the source's columns as they came, then `phone_e164`
      (empty when the number is unusable), `reason`, `next_callable_at` (UTC; empty when
      time cannot cure the reason) and `next_callable_local`.

    An added column replaces a source column of the same name. CSV cells are all text;
    instants in the CSV files read "2026-03-09T13:00:00Z".

    Args:
        source: A path or `fsspec` URL (see `open_source`), or an opened source.
        output_dir: Where the files go.
        for_day: The campaign day, a date in `zone`.
        at: The instant of the calls (timezone-aware).
        zone: The campaign's IANA time zone (for `for_day`).
        policy: The campaign's calling policy; default `compliance.CallingPolicy()`.
        chunk_rows: Rows evaluated at once.
        on_progress: Called after each chunk with a `Progress`.

    Returns:
        The counts and paths.

    Raises:
        ValueError: Neither or both of `for_day` and `at`, or a naive `at` (before any file
            is touched); a bad `zone`, or a bad source (see `open_source`; the previous run's
            files are removed by then, nothing is written).
        Exception: Whatever reading or `on_progress` raises midway; no segment file is left.

    Example:
        >>> import datetime as dt, tempfile
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> workdir = tempfile.TemporaryDirectory()
        >>> path = Path(workdir.name) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone,consent_call\\n"
        ...                     "c1,(212) 736-5000,true\\nc2,(212) 736-5001,no\\n")
        >>> run = build_dial_files(path, path.parent / "out", for_day=dt.date(2026, 3, 9))
        >>> run.read, run.dialable, run.by_reason
        (2, 1, {'no_consent': 1, 'ok': 1})
        >>> pd.read_csv(run.dialable_path)[["contact_id", "call_request_time"]].iloc[0].tolist()
        ['c1', '2026-03-09 08:00:00']
        >>> workdir.cleanup()
    """
    if (for_day is None) == (at is None):
        raise ValueError("give exactly one of for_day (a day list) and at (an instant)")
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"`at` must be timezone-aware, got naive {at.isoformat()}")
    directory = prepare_output_dir(output_dir)  # first: a bad source leaves no stale files
    opened = source if isinstance(source, ContactSource) else open_source(source)
    people = _tally(opened, chunk_rows) if "person_id" in opened.columns else None
    day = for_day is not None

    def evaluate(contacts: pd.DataFrame) -> pd.DataFrame:
        if day:
            return compliance.evaluate_day(contacts, for_day, zone, policy, people=people)
        return compliance.evaluate(contacts, at, policy, people=people)

    schemas = _segment_schemas(opened.schema, day)
    # Only the columns the rules read go to pandas; the others stay in Arrow, as they came.
    evaluated_columns = {*compliance.REQUIRED_COLUMNS, *compliance.OPTIONAL_COLUMNS}
    judged = [name for name in opened.columns if name in evaluated_columns]
    paths = {name: directory / name for name in SEGMENT_FILES}
    counts: Counter[str] = Counter()
    read = repairs = unreadable = 0
    with ExitStack() as files:
        handle = {name: files.enter_context(private_file(path)) for name, path in paths.items()}
        with (
            _SegmentWriter(handle["dialable.csv"], handle["dialable.parquet"], schemas[0]) as kept,
            _SegmentWriter(
                handle["suppressed.csv"], handle["suppressed.parquet"], schemas[1]
            ) as held,
        ):
            for chunk in opened.chunks(chunk_rows):
                evaluated = evaluate(chunk.table.select(judged).to_pandas(ignore_metadata=True))
                dialable_rows, suppressed_rows = _segments(chunk.table, evaluated, schemas, day)
                kept.write(dialable_rows)
                held.write(suppressed_rows)
                counts.update(
                    {str(k): int(v) for k, v in evaluated["reason"].value_counts().items()}
                )
                read += chunk.table.num_rows
                repairs += chunk.text_repairs
                unreadable += chunk.unreadable_rows
                if on_progress is not None:
                    on_progress(Progress(read, opened.rows, dict(counts)))
    release_memory()  # the upload comes next, in this process
    result = DialFiles(
        read=read,
        dialable=kept.rows,
        suppressed=held.rows,
        by_reason=dict(sorted(counts.items())),
        text_repairs=repairs,
        unreadable_rows=unreadable,
        for_day=for_day,
        at=at,
        zone=zone,
        dialable_path=str(paths["dialable.csv"]),
        dialable_parquet_path=str(paths["dialable.parquet"]),
        suppressed_path=str(paths["suppressed.csv"]),
        suppressed_parquet_path=str(paths["suppressed.parquet"]),
    )
    marker = write_run_marker(directory, result.summary())
    return dataclasses.replace(result, marker_path=str(marker))
