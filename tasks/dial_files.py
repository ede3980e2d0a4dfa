"""Contact files: read a contact source in chunks, evaluate it, write the segment files.

The daily dial-list sync runs on this module; the export shares its private-file helpers.

- `open_source` opens a CSV or Parquet file (a local path or any URL `fsspec` can open) and
  checks its header before any data is read.
- `write_dial_files` (a Prefect task; `build_dial_files` is the plain function) evaluates the
  source chunk by chunk with `compliance.evaluate` or `evaluate_day`, writing `dialable.csv`,
  `dialable.parquet`, `suppressed.csv` and `suppressed.parquet` as it goes: memory holds one
  chunk, whatever the file's size.
- `upload_parts` reads the dialable file back as CSV files within the platform's per-file
  limits.

Outputs are private (mode 0600, in a 0700 directory) and atomic: every file is written beside
its target and renamed into place only when the whole source has been read. A run first
removes the previous run's outputs and its marker `run.json`, and writes a new marker last:
after a failed run the directory holds no segment file at all, never yesterday's.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from prefect import task
from prefect.cache_policies import NO_CACHE

import compliance

SEGMENT_FILES = ("dialable.csv", "dialable.parquet", "suppressed.csv", "suppressed.parquet")
RUN_MARKER = "run.json"
CHUNK_ROWS = 50_000  # ~250 MB of working memory on top of the engine's tables
# The platform's per-file limits for a calling-list upload.
MAX_PART_RECORDS = 500_000
MAX_PART_BYTES = 256 * 1024 * 1024
# The upload file's columns: `cxone.CallingListColumns`' defaults.
UPLOAD_COLUMNS = ("contact_id", "phone", "state", "postal_code", "time_zone", "call_request_time")
_READ_BYTES = 1 << 20  # CSV blocks and Parquet read buffers
_TEXT = pa.string()
_UTC = pa.timestamp("us", tz="UTC")

Format = Literal["csv", "parquet"]


# --- Private files ---------------------------------------------------------------------------


@contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at `path`, with mode 0600, only if the block succeeds.

    The data goes to a private temporary file beside `path` and is renamed over it at the
    end, so a reader never sees half a file and an old file's looser mode is never kept; an
    error inside the block removes the temporary file and leaves `path` as it was.

    Example:
        >>> import stat
        >>> target = Path(tempfile.mkdtemp()) / "secret.txt"
        >>> with private_file(target) as handle:
        ...     _ = handle.write(b"555-0142")
        >>> target.read_bytes(), oct(stat.S_IMODE(target.stat().st_mode))
        (b'555-0142', '0o600')
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_private(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write a whole frame as CSV or Parquet through `private_file` (mode 0600, atomic)."""
    with private_file(path) as handle:
        if fmt == "csv":
            frame.to_csv(handle, index=False)
        else:
            frame.to_parquet(handle, index=False)


def prepare_output_dir(output_dir: str | os.PathLike) -> Path:
    """Create the output directory (0700) and remove the previous run's outputs and marker.

    Called before a run reads anything: a run that fails then leaves no segment file behind,
    so yesterday's dialable file can never be taken for today's.

    Example:
        >>> directory = Path(tempfile.mkdtemp())
        >>> (directory / "dialable.csv").write_text("yesterday")
        9
        >>> sorted(p.name for p in prepare_output_dir(directory).iterdir())
        []
    """
    directory = Path(output_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in (RUN_MARKER, *SEGMENT_FILES):  # the marker first: no moment claims old files
        (directory / name).unlink(missing_ok=True)
    return directory


def write_run_marker(directory: Path, summary: dict) -> Path:
    """Write `run.json`: the run completed, what it was for, what it counted, its files.

    Written after every output is in place; its presence is what says the outputs are whole
    and current. `summary` must be JSON-serialisable; `completed_at` (UTC) is added.
    """
    path = directory / RUN_MARKER
    marker = {**summary, "completed_at": dt.datetime.now(dt.UTC).isoformat()}
    with private_file(path) as handle:
        handle.write(json.dumps(marker, indent=2, sort_keys=True, default=str).encode())
    return path


# --- Text that is not valid Unicode --------------------------------------------------------


def repair_text(values: Iterable[object]) -> tuple[list[object], int]:
    """`values` with every string that cannot be written as UTF-8 repaired, and how many were.

    A surrogate pair split into two code points is joined again; a lone surrogate (half an
    emoji, or an undecodable byte read with "surrogateescape") becomes U+FFFD. Other values
    are returned as they are.

    Example:
        >>> repair_text(["Ana", "Jos\\udce9", "\\ud83d\\ude00", None])
        (['Ana', 'Jos�', '😀', None], 2)
    """
    repaired, out = 0, []
    for value in values:
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
                repaired += 1
        out.append(value)
    return out, repaired


def _text_column(values: pa.Array) -> tuple[pa.Array, int]:
    """Binary CSV cells as text; cells that are not UTF-8 are repaired (see `repair_text`)."""
    try:
        return values.cast(_TEXT), 0
    except pa.ArrowInvalid:
        decoded = [v.decode("utf-8", "surrogateescape") for v in values.to_pylist()]
        texts, repaired = repair_text(decoded)
        return pa.array(texts, _TEXT), repaired


# --- Sources ----------------------------------------------------------------------------


class MissingColumnsError(ValueError):
    """A contact source lacks columns the evaluation requires (named in the message)."""


@dataclass(frozen=True)
class Chunk:
    """Rows of a source as read: the cells as they came, and what reading them found."""

    table: pa.Table
    text_repairs: int = 0  # cells that were not valid UTF-8 (CSV)
    unreadable_rows: int = 0  # CSV lines whose fields did not match the header: skipped


@dataclass(frozen=True)
class ContactSource:
    """A contact file whose header was checked: where, what format, which columns.

    Attributes:
        url: A local path or an `fsspec` URL.
        format: "csv" (every cell read as text, so odd cells reach the engine as they came)
            or "parquet" (the file's own types).
        columns: The header, in order.
        schema: The Arrow schema of the cells as read.
        rows: The number of rows (Parquet metadata), None for CSV.
        size: The file's size in bytes when the filesystem tells it.
    """

    url: str
    format: Format
    columns: tuple[str, ...]
    schema: pa.Schema
    rows: int | None
    size: int | None

    def chunks(
        self, rows: int = CHUNK_ROWS, columns: Iterable[str] | None = None
    ) -> Iterator[Chunk]:
        """Read the source `rows` rows at a time (Parquet: in batches within row groups).

        Args:
            rows: Rows per chunk, at most.
            columns: Only these columns (each must be in `columns`); default all.
        """
        wanted = list(self.columns if columns is None else columns)
        with fsspec.open(self.url, "rb", compression="infer") as handle:
            if self.format == "parquet":
                for batch in _parquet(handle).iter_batches(batch_size=rows, columns=wanted):
                    yield Chunk(pa.Table.from_batches([batch]))
            else:
                yield from _csv_chunks(handle, self.columns, wanted, rows)


def _parquet(source: BinaryIO | Path) -> pq.ParquetFile:
    # Buffered reads, no pre-buffering: memory stays flat over many row groups (measured).
    return pq.ParquetFile(source, pre_buffer=False, buffer_size=_READ_BYTES)


def _format_of(url: str, given: str | None) -> Format:
    name = url.lower().split("?")[0].removesuffix(".gz").removesuffix(".bz2")
    fmt = given or ("parquet" if name.endswith((".parquet", ".pq")) else "csv")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet', not {fmt!r}")
    return fmt


def _csv_header(handle: BinaryIO) -> tuple[str, ...]:
    line = handle.readline().decode("utf-8-sig", "replace")
    return tuple(name.strip() for name in next(csv.reader([line]), []))


def _csv_chunks(
    handle: BinaryIO, header: tuple[str, ...], wanted: list[str], rows: int
) -> Iterator[Chunk]:
    """CSV rows as text, `rows` at a time; lines with the wrong number of fields skipped."""
    skipped = 0

    def skip(_row: object) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    reader = pa_csv.open_csv(
        handle,
        read_options=pa_csv.ReadOptions(
            column_names=list(header), skip_rows=1, block_size=_READ_BYTES
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
        # Binary first: cells that are not UTF-8 are repaired below instead of failing the file.
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(wanted, pa.binary()), include_columns=wanted
        ),
    )
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in (*reader, None):
        if batch is not None:
            pending.append(batch)
            held += batch.num_rows
        while held >= rows or (batch is None and held):
            table = pa.Table.from_batches(pending).combine_chunks()
            part, rest = table.slice(0, rows), table.slice(rows)
            columns, repairs = zip(*(_text_column(c.chunk(0)) for c in part.columns), strict=True)
            seen, skipped = skipped, 0
            yield Chunk(pa.table(list(columns), names=wanted), sum(repairs), seen)
            pending, held = rest.to_batches(), rest.num_rows


def open_source(source: str | os.PathLike, *, format: Format | None = None) -> ContactSource:
    """Open a contact file and check its header, before any data is read.

    Args:
        source: A local path or a URL `fsspec` can open (`s3://...` with `s3fs` installed,
            `memory://...`, `file://...`); ".gz" and ".bz2" files are decompressed.
        format: "csv" or "parquet"; default from the name (".parquet" or ".pq", else CSV).

    Returns:
        The source, ready to be read in chunks.

    Raises:
        MissingColumnsError: A required column (`compliance.REQUIRED_COLUMNS`) is missing.
        ValueError: A column appears twice in the header, or `format` is neither "csv" nor
            "parquet".
        FileNotFoundError, OSError, pyarrow.ArrowInvalid: The file cannot be opened or is not
            the format said (a Parquet file's footer is read here).

    Example:
        >>> path = Path(tempfile.mkdtemp()) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone,state\\nc1,(212) 736-5000,NY\\n")
        >>> source = open_source(path)
        >>> source.format, source.columns
        ('csv', ('contact_id', 'phone', 'state'))
        >>> _ = path.write_text("id,phone\\nc1,(212) 736-5000\\n")
        >>> open_source(path)
        Traceback (most recent call last):
        ...
        tasks.dial_files.MissingColumnsError: ... the required column contact_id (it has: id, phone)
    """
    url = os.fspath(source)
    fmt = _format_of(url, format)
    with fsspec.open(url, "rb", compression="infer") as handle:
        size = getattr(handle, "size", None)
        if fmt == "parquet":
            parquet = pq.ParquetFile(handle)
            schema, rows = parquet.schema_arrow, parquet.metadata.num_rows
            columns = tuple(schema.names)
        else:
            columns, rows = _csv_header(handle), None
            schema = pa.schema([(name, _TEXT) for name in columns])
    missing = [name for name in compliance.REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise MissingColumnsError(
            f"the contact source {url} is missing the required column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} (it has: "
            f"{', '.join(columns) or 'no header'})"
        )
    doubled = sorted({name for name in columns if columns.count(name) > 1})
    if doubled:
        raise ValueError(f"the contact source {url} has the column(s) {', '.join(doubled)} twice")
    return ContactSource(url, fmt, columns, schema, rows, size if isinstance(size, int) else None)


# --- Evaluating into segments ------------------------------------------------------------

# Columns the engine adds (a source column of the same name is replaced by them).
_SUPPRESSED_ADDED = pa.schema(
    [("reason", _TEXT), ("next_callable_at", _UTC), ("next_callable_local", _TEXT)]
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
    - `suppressed.csv` / `.parquet`: the source's columns as they came, then `reason`,
      `next_callable_at` (UTC; empty when time cannot cure the reason) and
      `next_callable_local`.

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
        >>> path = Path(tempfile.mkdtemp()) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone,consent_call\\n"
        ...                     "c1,(212) 736-5000,true\\nc2,(212) 736-5001,no\\n")
        >>> run = build_dial_files(path, path.parent / "out", for_day=dt.date(2026, 3, 9))
        >>> run.read, run.dialable, run.by_reason
        (2, 1, {'no_consent': 1, 'ok': 1})
        >>> pd.read_csv(run.dialable_path)[["contact_id", "call_request_time"]].iloc[0].tolist()
        ['c1', '2026-03-09 08:00:00']
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


write_dial_files = task(name="write-dial-files", timeout_seconds=3 * 3600, cache_policy=NO_CACHE)(
    build_dial_files
)


# --- Upload parts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadPart:
    """One CSV file for a calling-list upload: a header and at most the per-file limits.

    Attributes:
        number: 1 for the first part, which is uploaded with overwrite (it replaces the
            list's records); later parts are appended.
        records: Records in it (the header not counted).
        data: UTF-8 CSV with the header `UPLOAD_COLUMNS`, lines ending "\\r\\n".
    """

    number: int
    records: int
    data: bytes

    @property
    def overwrite(self) -> bool:
        return self.number == 1


def _csv_fields(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Cells as CSV fields: text, quoted (quotes doubled) when they hold a quote, comma or
    line break; nulls empty."""
    text = pc.fill_null(values.cast(_TEXT), "")
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(text, '[",\r\n]'), quoted, text)


def _upload_lines(batch: pa.Table) -> pa.Array:
    """One CSV line ("...\\r\\n") per dialable row, in `UPLOAD_COLUMNS` order."""
    columns = set(batch.column_names)

    def column(name: str) -> pa.Array:
        if name in columns:
            return batch.column(name)
        return pa.nulls(batch.num_rows, _TEXT)

    # The platform takes the ten NANP digits; every dialable number is a valid +1 number.
    phone = pc.utf8_slice_codeunits(column("phone_e164").cast(_TEXT), 2)
    fields = [_csv_fields(phone if name == "phone" else column(name)) for name in UPLOAD_COLUMNS]
    line = pc.binary_join_element_wise(*fields, ",")
    return pc.binary_join_element_wise(line, "", "\r\n").combine_chunks()


def upload_parts(
    dialable_path: str | os.PathLike,
    *,
    max_records: int = MAX_PART_RECORDS,
    max_bytes: int = MAX_PART_BYTES,
    batch_rows: int = CHUNK_ROWS,
) -> Iterator[UploadPart]:
    """Read a dialable file back as upload-sized CSV parts, in file order.

    Each part holds the header and at most `max_records` records and `max_bytes` bytes, with
    the columns `UPLOAD_COLUMNS` only: `contact_id`, `phone` (the ten digits of
    `phone_e164`, not the source's cell), `state`, `postal_code` (as they came; empty when
    the source had none), `time_zone` and `call_request_time`. These are the default
    `cxone.CallingListColumns`. Upload the first part with overwrite (`part.overwrite`) and
    append the others, so the list ends up holding exactly the dialable contacts; an empty
    dialable file still gives one part (the header alone), which empties the list.

    Args:
        dialable_path: `dialable.parquet` or `dialable.csv` from `build_dial_files` (the
            Parquet file reads faster).
        max_records: Records per part, at most (the platform's limit: 500,000).
        max_bytes: Bytes per part, header included (the platform's limit: 256 MB).
        batch_rows: Rows read at once.

    Yields:
        The parts, numbered from 1.

    Raises:
        ValueError: One record alone is longer than `max_bytes` allows.

    Example:
        >>> path = Path(tempfile.mkdtemp()) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone,consent_call\\n"
        ...                     "c1,(212) 736-5000,true\\nc2,(212) 736-5001,true\\n")
        >>> run = build_dial_files(path, path.parent / "out", for_day=dt.date(2026, 3, 9))
        >>> parts = list(upload_parts(run.dialable_parquet_path, max_records=1))
        >>> [(p.number, p.overwrite, p.records) for p in parts]
        [(1, True, 1), (2, False, 1)]
        >>> print(*parts[1].data.decode().splitlines(), sep="\\n")
        contact_id,phone,state,postal_code,time_zone,call_request_time
        c2,2127365001,,,America/New_York,2026-03-09 08:00:00
    """
    header = (",".join(UPLOAD_COLUMNS) + "\r\n").encode()
    if max_records < 1 or max_bytes <= len(header):
        raise ValueError("a part must have room for the header and at least one record")
    pieces: list[bytes] = []
    records = size = 0
    number = 0

    def part() -> UploadPart:
        nonlocal number
        number += 1
        return UploadPart(number, records, header + b"".join(pieces))

    for batch in _dialable_batches(Path(dialable_path), batch_rows):
        lines = _upload_lines(batch)
        _, offsets, data = lines.buffers()
        offsets = np.frombuffer(offsets, np.int32)[lines.offset : lines.offset + len(lines) + 1]
        base, ends = int(offsets[0]), offsets[1:] - offsets[0]  # byte offset after each line
        start = 0
        while start < len(lines):
            before = ends[start - 1] if start else 0
            room = max_bytes - len(header) - size
            fit = int(np.searchsorted(ends[start:] - before, room, side="right"))
            take = min(fit, max_records - records, len(lines) - start)
            if take == 0:
                if not records:
                    raise ValueError(f"record {number + 1} alone is longer than {max_bytes} bytes")
                yield part()
                pieces, records, size = [], 0, 0
                continue
            end = ends[start + take - 1]
            pieces.append(data[base + int(before) : base + int(end)].to_pybytes())
            records, size, start = records + take, size + int(end - before), start + take
            if records == max_records:
                yield part()
                pieces, records, size = [], 0, 0
    if records or not number:
        yield part()


def _dialable_batches(path: Path, rows: int) -> Iterator[pa.Table]:
    wanted = [*UPLOAD_COLUMNS, "phone_e164"]
    if path.suffix == ".parquet":
        parquet = _parquet(path)
        columns = [name for name in wanted if name in parquet.schema_arrow.names]
        for batch in parquet.iter_batches(batch_size=rows, columns=columns):
            yield pa.Table.from_batches([batch])
    else:
        source = open_source(path, format="csv")
        columns = [name for name in wanted if name in source.columns]
        for chunk in source.chunks(rows, columns):
            yield chunk.table
