"""Contact sources: CSV or Parquet files, local or any `fsspec` URL, read in chunks."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import fsspec
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

import compliance

from ._text import _TEXT, _text_column

CHUNK_ROWS = 50_000  # ~250 MB of working memory on top of the engine's tables
_READ_BYTES = 1 << 20  # CSV blocks and Parquet read buffers

Format = Literal["csv", "parquet"]


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
        >>> import tempfile
        >>> from pathlib import Path
        >>> workdir = tempfile.TemporaryDirectory()
        >>> path = Path(workdir.name) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone,state\\nc1,(212) 736-5000,NY\\n")
        >>> source = open_source(path)
        >>> source.format, source.columns
        ('csv', ('contact_id', 'phone', 'state'))
        >>> _ = path.write_text("id,phone\\nc1,(212) 736-5000\\n")
        >>> open_source(path)
        Traceback (most recent call last):
        ...
        dial_lists...MissingColumnsError: ... the required column contact_id (it has: id, phone)
        >>> workdir.cleanup()
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
