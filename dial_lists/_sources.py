"""Contact sources: CSV or Parquet files (local or any `fsspec` URL) or in-memory tables,
read in chunks."""

from __future__ import annotations

import csv
import os
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import compliance

from ._csv import Piece, UnreadableLine, csv_pieces
from ._text import _TEXT
from ._urls import check_source_url, redact_url

CHUNK_ROWS = 50_000  # ~250 MB of working memory on top of the engine's tables
_READ_BYTES = 1 << 20  # Parquet read buffers
IN_MEMORY = "<in-memory table>"

Format = Literal["csv", "parquet", "table"]


class MissingColumnsError(ValueError):
    """A contact source lacks columns the evaluation requires (named in the message)."""


class SourceNotFoundError(ValueError):
    """No contact source is where its path or URL says (the message shows it redacted)."""


class SourceTypeError(ValueError):
    """A typed source (Parquet, an in-memory table) stores a column in a type that loses
    what it holds: phone numbers not as text, contact ids as floating point."""


@dataclass(frozen=True)
class Chunk:
    """Rows of a source as read: the cells as they came, and what reading them found.

    Attributes:
        table: The rows (CSV: every cell as text).
        text_repairs: Cells that were not valid UTF-8, repaired (CSV).
        lines: The physical line of each row (int64; the header is line 1). For Parquet and
            in-memory sources the row's position from 1, plus 1, as if line 1 were a header.
        unreadable: Lines found since the previous chunk that are not one record of the
            header's fields (CSV); none of them is in `table`.
        blank_lines: Empty or whitespace-only lines found since the previous chunk (CSV).
    """

    table: pa.Table
    text_repairs: int
    lines: np.ndarray
    unreadable: tuple[UnreadableLine, ...] = ()
    blank_lines: int = 0


@dataclass
class ReadTally:
    """Every data line of a source, accounted for: `lines == rows + unreadable + blank`.

    Pass one to `ContactSource.chunks`; it counts from zero as the chunks are given out. Once the
    source was read to its end, `complete` is True and `lines` is the number of data lines
    (after the header) the reader counted on its own, from the newline bytes: the identity
    was checked then (a `RuntimeError` otherwise). Parquet and in-memory sources have one
    "line" per row.

    Attributes:
        lines: Data lines covered by the chunks given out so far.
        rows: Rows given out.
        unreadable: Lines that are not one record (`Chunk.unreadable`).
        blank: Empty or whitespace-only lines.
        complete: Whether the whole source was read.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> workdir = tempfile.TemporaryDirectory()
        >>> path = Path(workdir.name) / "contacts.csv"
        >>> _ = path.write_text("contact_id,phone\\nc1,2127365000\\n\\n\\"O'Brien,1\\nc3\\n")
        >>> tally = ReadTally()
        >>> chunks = list(open_source(path).chunks(tally=tally))
        >>> tally
        ReadTally(lines=4, rows=1, unreadable=2, blank=1, complete=True)
        >>> [(u.line, u.why) for chunk in chunks for u in chunk.unreadable]
        [(4, 'an unmatched quote: a record must fit on one line'), (5, '1 field; the header has 2')]
        >>> workdir.cleanup()
    """

    lines: int = 0
    rows: int = 0
    unreadable: int = 0
    blank: int = 0
    complete: bool = False

    def _start(self) -> None:
        self.lines = self.rows = self.unreadable = self.blank = 0
        self.complete = False

    def _count(self, chunk: Chunk) -> None:
        self.rows += chunk.table.num_rows
        self.unreadable += len(chunk.unreadable)
        self.blank += chunk.blank_lines
        self.lines = self.rows + self.unreadable + self.blank

    def _close(self, lines: int) -> None:
        if lines != self.rows + self.unreadable + self.blank:
            raise RuntimeError(
                f"the source has {lines} data lines, but {self.rows} rows, {self.unreadable} "
                f"unreadable and {self.blank} blank lines were read"
            )
        self.lines, self.complete = lines, True


@dataclass(frozen=True)
class ContactSource:
    """A contact source whose header was checked: where, what format, which columns.

    Attributes:
        url: A local path or an `fsspec` URL, without credentials ("<in-memory table>" for
            a table).
        format: "csv" (every cell read as text, so odd cells reach the engine as they came),
            "parquet" (the file's own types) or "table" (an in-memory table's own types).
        columns: The header, in order.
        schema: The Arrow schema of the cells as read.
        rows: The number of rows (Parquet metadata, a table's length), None for CSV.
        size: The file's size in bytes when the filesystem tells it.
        storage_options: What `fsspec.open` is given (credentials): never shown.
    """

    url: str
    format: Format
    columns: tuple[str, ...]
    schema: pa.Schema
    rows: int | None
    size: int | None
    storage_options: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _table: pa.Table | None = field(default=None, repr=False, compare=False)

    def _open(self) -> Any:
        return fsspec.open(self.url, "rb", compression="infer", **self.storage_options)

    def chunks(
        self,
        rows: int = CHUNK_ROWS,
        columns: Iterable[str] | None = None,
        tally: ReadTally | None = None,
    ) -> Iterator[Chunk]:
        """Read the source `rows` rows at a time (Parquet: in batches within row groups).

        CSV is read line-strict: each physical line after the header (ending at "\\n";
        "\\r\\n" is one line ending) is one record, a blank line (empty or whitespace only),
        or an `UnreadableLine` (an unmatched quote, a carriage return inside the line, or a
        number of fields other than the header's). A quoted field may hold commas and
        doubled quotes, never a line break. Rows keep the file's order. A chunk may hold
        fewer rows when many unreadable lines come together, or none at the end (the
        unreadable and blank lines after the last row).

        Args:
            rows: Rows per chunk, at most.
            columns: Only these columns (each must be in `columns`); default all.
            tally: Counts what was read (see `ReadTally`); checked at the end.

        Yields:
            The chunks, in the source's order.

        Raises:
            ValueError: `rows` is not positive.
            OSError, pyarrow.ArrowInvalid: The file cannot be read (any longer).
            RuntimeError: Lines were not all accounted for (a bug; never seen).
        """
        if rows < 1:
            raise ValueError(f"rows must be positive, not {rows}")
        wanted = list(self.columns if columns is None else columns)
        tally = ReadTally() if tally is None else tally
        tally._start()
        if self._table is not None:
            yield from _tallied(_table_chunks(self._table.select(wanted), rows), tally)
            return
        with self._open() as handle:
            if self.format == "parquet":
                yield from _tallied(_parquet_chunks(_parquet(handle), wanted, rows), tally)
            else:
                yield from _tallied(csv_pieces(handle, self.columns, wanted, rows), tally)


def _tallied(chunks: Generator[Piece | Chunk, None, int], tally: ReadTally) -> Iterator[Chunk]:
    """The chunks, counted; the generator's return value is the data lines it counted."""
    while True:
        try:
            piece = next(chunks)
        except StopIteration as end:
            tally._close(end.value)
            return
        chunk = Chunk(*piece) if isinstance(piece, Piece) else piece
        tally._count(chunk)
        yield chunk


def _positions(start: int, rows: int) -> np.ndarray:
    return np.arange(start + 2, start + rows + 2, dtype=np.int64)


def _parquet_chunks(
    parquet: pq.ParquetFile, wanted: list[str], rows: int
) -> Generator[Chunk, None, int]:
    start = 0
    for batch in parquet.iter_batches(batch_size=rows, columns=wanted):
        yield Chunk(pa.Table.from_batches([batch]), 0, _positions(start, batch.num_rows))
        start += batch.num_rows
    return start


def _table_chunks(table: pa.Table, rows: int) -> Generator[Chunk, None, int]:
    for start in range(0, table.num_rows, rows):
        part = table.slice(start, rows)
        yield Chunk(part, 0, _positions(start, part.num_rows))
    total: int = table.num_rows
    return total


def _parquet(source: BinaryIO | Path) -> pq.ParquetFile:
    # Buffered reads, no pre-buffering: memory stays flat over many row groups (measured).
    return pq.ParquetFile(source, pre_buffer=False, buffer_size=_READ_BYTES)


def _format_of(url: str, given: str | None) -> Format:
    name = url.lower().split("?")[0].removesuffix(".gz").removesuffix(".bz2")
    fmt = given or ("parquet" if name.endswith((".parquet", ".pq")) else "csv")
    if fmt == "csv":
        return "csv"
    if fmt == "parquet":
        return "parquet"
    raise ValueError(f"format must be 'csv' or 'parquet', not {fmt!r}")


def _csv_header(handle: BinaryIO) -> tuple[str, ...]:
    line = handle.readline().decode("utf-8-sig", "replace")
    return tuple(name.strip() for name in next(csv.reader([line]), []))


def _value_type(type_: pa.DataType) -> pa.DataType:
    return type_.value_type if pa.types.is_dictionary(type_) else type_


def _is_text(type_: pa.DataType) -> bool:
    value = _value_type(type_)
    return bool(
        pa.types.is_string(value)
        or pa.types.is_large_string(value)
        or pa.types.is_string_view(value)
        or pa.types.is_null(value)  # no value at all: nothing was rounded
    )


def _check_types(schema: pa.Schema, where: str) -> None:
    """Refuse the column types that lose what a contact's cells held."""
    phone = schema.field("phone").type
    if not _is_text(phone):
        raise SourceTypeError(
            f"the phone column of {where} is {phone}: phone numbers must be stored as text (a "
            "spreadsheet rounds 12127365000 to 1.21274E+10 in a numeric column); export the "
            "column as text"
        )
    contact_id = schema.field("contact_id").type
    if pa.types.is_floating(_value_type(contact_id)):
        raise SourceTypeError(
            f"the contact_id column of {where} is {contact_id}: contact ids must be stored as "
            "text or integers (a floating-point column turns 7 into 7.0 and rounds long ids); "
            "export the column as text"
        )


def _in_memory(frame: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    for name in frame.columns:  # which column, then
        try:
            pa.array(frame[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise SourceTypeError(
                f"the {name} column of {IN_MEMORY} mixes values of several types ({exc}): "
                "give each column one type (text for cells as they came)"
            ) from None
    raise SourceTypeError(f"{IN_MEMORY} cannot be read as an Arrow table")  # not seen


def open_source(
    source: str | os.PathLike[str] | pd.DataFrame | pa.Table,
    *,
    format: Literal["csv", "parquet"] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> ContactSource:
    """Open a contact source and check its header, before any data is read.

    Args:
        source: A local path or a URL `fsspec` can open (`s3://...` with `s3fs` installed,
            `memory://...`, `file://...`; ".gz" and ".bz2" files are decompressed), or an
            in-memory `pandas.DataFrame` or `pyarrow.Table` (read in zero-copy slices).
        format: "csv" or "parquet"; default from the name (".parquet" or ".pq", else CSV).
            Not for an in-memory table.
        storage_options: Given to `fsspec.open` (credentials, e.g. from
            `blocks.load_storage_options`); kept on the source, never shown.

    Returns:
        The source, ready to be read in chunks.

    Raises:
        SourceURLError: The URL carries credentials (user info or a secret query parameter);
            the message shows it redacted.
        MissingColumnsError: A required column (`compliance.REQUIRED_COLUMNS`) is missing.
        SourceTypeError: A Parquet or in-memory source stores `phone` in a type other than
            text, or `contact_id` as floating point; or a DataFrame column mixes types.
        ValueError: A column appears twice in the header, or `format` is neither "csv" nor
            "parquet" (or is given for an in-memory table).
        SourceNotFoundError: Nothing is at that path or URL.
        OSError, pyarrow.ArrowInvalid: The file cannot be opened or is not the format said
            (a Parquet file's footer is read here).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> import pandas as pd
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
        >>> open_source(pd.DataFrame({"contact_id": ["c1"], "phone": ["2127365000"]})).rows
        1
        >>> open_source(pd.DataFrame({"contact_id": ["c1"], "phone": [12127365000.0]}))
        Traceback (most recent call last):
        ...
        dial_lists...SourceTypeError: the phone column of <in-memory table> is double: ...
        >>> workdir.cleanup()
    """
    options = dict(storage_options or {})
    if isinstance(source, pd.DataFrame | pa.Table):
        if format not in (None, "table"):
            raise ValueError(f"an in-memory table has no file format; format={format!r}")
        table = _in_memory(source)
        fmt: Format = "table"
        url, rows, size = IN_MEMORY, table.num_rows, None
        schema = table.schema.remove_metadata()
        columns = tuple(schema.names)
    else:
        url = os.fspath(source)
        check_source_url(url)
        fmt, table = _format_of(url, format), None
        try:
            with fsspec.open(url, "rb", compression="infer", **options) as handle:
                size = getattr(handle, "size", None)
                if fmt == "parquet":
                    parquet = pq.ParquetFile(handle)
                    schema, rows = parquet.schema_arrow, parquet.metadata.num_rows
                    columns = tuple(schema.names)
                else:
                    columns, rows = _csv_header(handle), None
                    schema = pa.schema([(name, _TEXT) for name in columns])
        except FileNotFoundError:
            raise SourceNotFoundError(f"no contact source at {redact_url(url)}") from None
    where = redact_url(url)  # what messages show (check_source_url let no credentials through)
    missing = [name for name in compliance.REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise MissingColumnsError(
            f"the contact source {where} is missing the required column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} (it has: "
            f"{', '.join(columns) or 'no header'})"
        )
    doubled = sorted({name for name in columns if columns.count(name) > 1})
    if doubled:
        raise ValueError(f"the contact source {where} has the column(s) {', '.join(doubled)} twice")
    if fmt != "csv":
        _check_types(schema, where)
    return ContactSource(
        url,
        fmt,
        columns,
        schema,
        rows,
        size if isinstance(size, int) else None,
        options,
        table,
    )
