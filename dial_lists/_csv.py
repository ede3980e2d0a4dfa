"""CSV read line-strict: every physical line is one record, a blank line, or reported.

pyarrow's CSV reader cannot be made line-strict (it joins lines inside quotes, and numbers
invalid records, not lines), so lines are split here, in blocks of about 1 MB (a block is
split in a worker thread while the next one is read):

- a block without quotes or stray carriage returns goes to pyarrow as it is, quoting off:
  one line, one record. pyarrow runs single-threaded, so the number it gives a record with
  another number of fields than the header's is its line; such a line is blank (only
  whitespace) or unreadable. A block with an empty line (which pyarrow skips) is looked at
  closer, as is a block that is not UTF-8 (pyarrow cannot show such a line to the handler);
- otherwise numpy finds each line's bounds: empty lines are blank; the lines that are one
  record of the header's fields (no stray "\\r"; the right number of commas or, in a block
  with quotes, a match of `_Layout.pattern`: fields unquoted, or quoted with only doubled
  quotes inside) are gathered into one buffer for pyarrow; the rest (few) are read one by
  one with `csv.reader(strict=True)`, and those it cannot read are unreadable.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ._text import _text_column

_READ_BYTES = 1 << 20  # one block of lines
_MAX_LINE_BYTES = 1 << 24  # a longer line is reported (a binary file, a runaway export)
_SHOWN_CHARS = 200  # of an unreadable line's text
_CR, _LF, _COMMA = 13, 10, 44
_NO_LINES = np.array([], np.int64)
# A field of a CSV record on one line: unquoted without a quote, or quoted with only doubled
# quotes inside; no line break or carriage return.
_FIELD = r'(?:"(?:[^"\r\n]|"")*"|[^",\r\n]*)'
UNMATCHED_QUOTE = "an unmatched quote: a record must fit on one line"
STRAY_CR = "a carriage return inside the line"


@dataclass(frozen=True)
class UnreadableLine:
    """A data line that is not one CSV record of the header's fields: it is never a contact.

    Attributes:
        line: Its physical line number (the header is line 1).
        why: What is wrong, e.g. "4 fields; the header has 3" or "an unmatched quote: a
            record must fit on one line".
        text: The line as it came (bytes that are not UTF-8 replaced), at most 200
            characters, without its line ending.

    Example:
        >>> UnreadableLine(7, "4 fields; the header has 3", "c7,a,b,c")
        UnreadableLine(line=7, why='4 fields; the header has 3', text='c7,a,b,c')
    """

    line: int
    why: str
    text: str


class Piece(NamedTuple):
    """What `csv_pieces` gives per chunk: rows as text and what reading them found."""

    table: pa.Table
    text_repairs: int
    lines: np.ndarray
    unreadable: tuple[UnreadableLine, ...]
    blank_lines: int


def _newlines(data: bytes) -> int:
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == _LF))  # 3x bytes.count


class _Counted:
    """A binary file whose newline bytes are counted as they are read (the check)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._newlines = 0
        self._last = b""

    def read(self, size: int = -1) -> bytes:
        return self._seen(self._handle.read(size))

    def readline(self) -> bytes:
        return self._seen(self._handle.readline())

    def _seen(self, data: bytes) -> bytes:
        self._newlines += _newlines(data)
        self._last = data[-1:] or self._last
        return data

    @property
    def lines(self) -> int:
        """Physical lines read: newline bytes, and a last line without one."""
        return self._newlines + (self._last not in (b"", b"\n"))


class _Overlong(NamedTuple):
    head: bytes  # the start of a line longer than `_MAX_LINE_BYTES`, skipped


def _blocks(source: _Counted) -> Iterator[bytes | _Overlong]:
    """Whole lines, about `_READ_BYTES` at a time (the last may lack its newline)."""
    carry = b""
    while raw := source.read(_READ_BYTES):
        data = carry + raw if carry else raw
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        carry = data[cut:]
        if len(carry) > _MAX_LINE_BYTES:
            head = carry[: _SHOWN_CHARS * 4]
            while (end := carry.find(b"\n")) < 0 and (carry := source.read(_READ_BYTES)):
                pass
            yield _Overlong(head)
            carry = carry[end + 1 :] if end >= 0 else b""
    if carry:
        yield carry


def _bounds(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each line's start and end (exclusive, without its "\\n" or "\\r\\n")."""
    breaks = np.flatnonzero(data == _LF)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(data)]))
    if len(data) and data[-1] == _LF:  # nothing after the last newline
        starts, ends = starts[:-1], ends[:-1]
    ends = ends - ((ends > starts) & (data[np.maximum(ends - 1, 0)] == _CR))
    return starts, ends


def _per_line(data: np.ndarray, byte: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How often `byte` occurs in each line."""
    at = np.flatnonzero(data == byte)
    return np.searchsorted(at, ends) - np.searchsorted(at, starts)


def _gather(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The lines [starts, ends) of `data`, each followed by "\\n", in one buffer."""
    sizes = ends - starts + 1
    offsets = np.cumsum(sizes) - sizes
    index = np.arange(int(sizes.sum())) + np.repeat(starts - offsets, sizes)
    out = data[np.minimum(index, len(data) - 1)]
    out[offsets + sizes - 1] = _LF
    result: np.ndarray = out
    return result


def _shown(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")[:_SHOWN_CHARS]


def _fields(count: int, expected: int) -> str:
    return f"{count} field{'s' if count != 1 else ''}; the header has {expected}"


@dataclass
class _Found:
    """What one block of lines holds besides its rows."""

    unreadable: list[UnreadableLine]
    blank: list[int]

    def judge(self, line: int, raw: bytes, why: str) -> None:
        """A line that is not a record: blank when only whitespace, else unreadable."""
        if raw.strip():
            self.unreadable.append(UnreadableLine(line, why, _shown(raw)))
        else:
            self.blank.append(line)


class _Layout:
    """The header's fields and the columns wanted, with the pyarrow options to read them."""

    def __init__(self, header: tuple[str, ...], wanted: list[str]) -> None:
        if len(header) < 2:
            raise ValueError("a line-strict CSV source needs at least two columns")
        self.fields = len(header)
        self.wanted = wanted
        self.indices = [header.index(name) for name in wanted]
        # A record of exactly the header's fields (RE2 repeats at most 1000 times).
        self.pattern = (
            rf"\A{_FIELD}(?:,{_FIELD}){{{self.fields - 1}}}\r?\n?\z"
            if self.fields <= 1000
            else None
        )
        self.schema = pa.schema([(name, pa.binary()) for name in wanted])
        self._read = dict(column_names=list(header), use_threads=False)
        self._convert = pa_csv.ConvertOptions(
            column_types=dict.fromkeys(wanted, pa.binary()), include_columns=wanted
        )

    def parse(
        self, buffer: pa.Buffer | bytes, quoted: bool
    ) -> tuple[pa.Table, list[tuple[int, int]]]:
        """Lines that are one record each (no empty one; UTF-8 where a line may have another
        number of fields than the header's): the rows, and the (index, fields) of the lines
        with another number of fields, left out."""
        wrong: list[tuple[int | None, int]] = []

        def invalid(row: pa_csv.InvalidRow) -> str:
            wrong.append((row.number, row.actual_columns))  # a number: threads are off
            return "skip"

        table = pa_csv.read_csv(
            pa.BufferReader(buffer),
            read_options=pa_csv.ReadOptions(
                **self._read, block_size=max(len(buffer) + 1, _READ_BYTES)
            ),
            parse_options=pa_csv.ParseOptions(
                quote_char='"' if quoted else False, invalid_row_handler=invalid
            ),
            convert_options=self._convert,
        )
        numbered = [(number, count) for number, count in wrong if number is not None]
        if len(numbered) != len(wrong):
            raise RuntimeError("pyarrow gave no line number for an invalid CSV record")
        return table, [(number - 1, count) for number, count in numbered]

    def record(self, text: str) -> list[str] | str:
        """One line read by Python's strict CSV reader: its fields, or why it is not one."""
        try:
            fields = next(csv.reader([text], strict=True), [])
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return UNMATCHED_QUOTE
            if "expected after" in str(exc):
                return "text after a closing quote: a quoted field must end at a comma"
            return f"not a CSV record ({exc})"
        return fields if len(fields) == self.fields else _fields(len(fields), self.fields)


def _no_stray_cr(block: bytes) -> bool:
    return b"\r" not in block or block.count(b"\r") == block.count(b"\r\n")


def _is_utf8(block: bytes) -> bool:
    """Whether pyarrow can show the block's lines to a handler (it decodes them first, and
    prints an error it cannot raise for other bytes)."""
    if block.isascii():
        return True
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _plain_rows(
    layout: _Layout, block: bytes, numbers: np.ndarray, found: _Found
) -> tuple[pa.Table, np.ndarray] | None:
    """The rows of a block without quotes or stray carriage returns, as it is: pyarrow
    reads each line as one record, and calls a handler for those with another number of
    fields. None when there is an empty line (pyarrow skips it): the caller looks closer."""
    table, wrong = layout.parse(block, quoted=False)
    if table.num_rows + len(wrong) != len(numbers):
        return None
    if not wrong:
        return table, numbers
    data = np.frombuffer(block, np.uint8)
    starts, ends = _bounds(data)
    for index, count in wrong:
        raw = data[starts[index] : ends[index]].tobytes()
        found.judge(int(numbers[index]), raw, _fields(count, layout.fields))
    return table, np.delete(numbers, [index for index, _ in wrong])


def _slow_rows(
    layout: _Layout, block: bytes, starts: np.ndarray, ends: np.ndarray, numbers: np.ndarray,
    found: _Found,
) -> tuple[pa.Table, np.ndarray]:  # fmt: skip
    """Lines read one by one: a stray carriage return, or not plainly one record."""
    rows: list[list[bytes]] = []
    kept = []
    for start, end, line in zip(starts.tolist(), ends.tolist(), numbers.tolist(), strict=True):
        raw = block[start:end]
        record = STRAY_CR if b"\r" in raw else layout.record(raw.decode("utf-8", "surrogateescape"))
        if isinstance(record, str):
            found.judge(line, raw, record)
        else:
            rows.append([record[i].encode("utf-8", "surrogateescape") for i in layout.indices])
            kept.append(line)
    columns = [pa.array(column, pa.binary()) for column in zip(*rows, strict=True)] or [
        pa.array([], pa.binary()) for _ in layout.wanted
    ]
    return pa.Table.from_arrays(columns, schema=layout.schema), np.array(kept, np.int64)


class _Rows(NamedTuple):
    """A block's rows (binary cells), their line numbers in order, and its other lines."""

    table: pa.Table
    lines: np.ndarray
    found: _Found


def _block_rows(layout: _Layout, block: bytes, first: int, count: int) -> _Rows:
    """The rows of a block of `count` whole lines, the first of them line `first`."""
    found = _Found([], [])
    numbers = np.arange(first, first + count, dtype=np.int64)
    quoted = b'"' in block
    if not quoted and _no_stray_cr(block) and _is_utf8(block):
        plain = _plain_rows(layout, block, numbers, found)  # the common case
        if plain is not None:
            return _Rows(*plain, found)
    data = np.frombuffer(block, np.uint8)
    starts, ends = _bounds(data)
    if len(starts) != count:
        raise RuntimeError(f"the CSV reader split {len(starts)} lines, not {count}, at {first}")
    empty = starts == ends
    found.blank.extend(numbers[empty].tolist())
    # Records of the header's fields go to pyarrow; the others are read one by one.
    fast = ~empty & (_per_line(data, _CR, starts, ends) == 0)
    if not quoted:
        fast &= _per_line(data, _COMMA, starts, ends) == layout.fields - 1
    elif layout.pattern is None:
        fast[:] = False
    else:  # the lines with their endings, as a zero-copy array over the block
        edges = pa.py_buffer(np.append(starts, len(data)).astype(np.int32))
        lines = pa.Array.from_buffers(pa.binary(), count, [None, edges, pa.py_buffer(block)])
        matched = pc.match_substring_regex(lines.filter(pa.array(fast)), layout.pattern)
        fast[fast] = matched.to_numpy(zero_copy_only=False)
    parts = []
    if fast.any():
        buffer = block if fast.all() else pa.py_buffer(_gather(data, starts[fast], ends[fast]))
        table, wrong = layout.parse(buffer, quoted)
        if wrong or table.num_rows != fast.sum():
            raise RuntimeError(f"pyarrow did not read one record per line near line {first}")
        parts.append((table, numbers[fast]))
    slow = ~empty & ~fast
    if slow.any():
        parts.append(_slow_rows(layout, block, starts[slow], ends[slow], numbers[slow], found))
        found.unreadable.sort(key=lambda item: item.line)
    if not parts:
        return _Rows(layout.schema.empty_table(), _NO_LINES, found)
    table = pa.concat_tables([table for table, _ in parts])
    lines = np.concatenate([lines for _, lines in parts])
    if len(parts) > 1:  # back in file order
        order = np.argsort(lines, kind="stable")
        table, lines = table.take(order), lines[order]
    return _Rows(table, lines, found)


def csv_pieces(
    handle: BinaryIO, header: tuple[str, ...], wanted: list[str], rows: int
) -> Generator[Piece, None, int]:
    """Read a CSV file after its header line-strict, `rows` rows at a time at most.

    Each piece covers the lines from the end of the previous one through its last row (the
    last piece through the end of the file): its rows, and the unreadable and blank lines
    among those lines. A piece may come early, with fewer rows, when `rows` unreadable lines
    are waiting (memory holds one chunk's worth).

    Args:
        handle: The file, at its start (its header line is skipped here).
        header: The header's column names (at least two).
        wanted: The columns to return, in this order.
        rows: Rows per piece, at most.

    Returns:
        The number of data lines (after the header), counted from the newline bytes read.

    Raises:
        ValueError: The header has fewer than two columns.
        RuntimeError: The lines read and the lines accounted for differ (a bug; never seen).
    """
    layout = _Layout(header, wanted)
    source = _Counted(handle)
    source.readline()  # the header, line 1
    state = _Pending(layout)
    line = 2
    # One block is split into rows in a thread (pyarrow and numpy release the GIL) while the
    # next one is read and the previous one given out.
    with ThreadPoolExecutor(1, thread_name_prefix="csv-lines") as pool:
        waiting: deque[Future[_Rows]] = deque()
        for block in _blocks(source):
            if isinstance(block, _Overlong):
                why = f"a line longer than {_MAX_LINE_BYTES:,} bytes"
                long = _Found([UnreadableLine(line, why, _shown(block.head))], [])
                waiting.append(pool.submit(_Rows, layout.schema.empty_table(), _NO_LINES, long))
                line += 1
            else:
                count = _newlines(block) + (not block.endswith(b"\n"))
                waiting.append(pool.submit(_block_rows, layout, block, line, count))
                line += count
            if len(waiting) > 1:
                yield from state.add(waiting.popleft().result(), rows)
        while waiting:
            yield from state.add(waiting.popleft().result(), rows)
    if state.held or state.found.unreadable or state.blank:
        yield state.cut(None)
    data_lines = max(source.lines - 1, 0)
    if data_lines != line - 2:
        raise RuntimeError(f"the CSV reader split {line - 2} lines, the file has {data_lines}")
    return data_lines


class _Pending:
    """Rows read but not yet given out, and the unreadable and blank lines among them."""

    def __init__(self, layout: _Layout) -> None:
        self._layout = layout
        self._tables: list[pa.Table] = []
        self._lines: list[np.ndarray] = []
        self.held = 0
        self.found = _Found([], [])
        self.blank = 0  # blank lines of earlier blocks: all go with the next piece

    def add(self, block: _Rows, rows: int) -> Iterator[Piece]:
        """Take a block's rows and lines; give out every piece of `rows` rows they complete."""
        self._tables.append(block.table)
        self._lines.append(block.lines)
        self.held += block.table.num_rows
        self.found.unreadable += block.found.unreadable
        self.found.blank += block.found.blank
        while self.held >= rows:
            yield self.cut(rows)
        if len(self.found.unreadable) >= rows:  # memory holds one chunk's worth of them
            yield self.cut(None)
        # The blank lines left go with the next piece (its last row comes from a later block):
        # a count is enough.
        self.blank += len(self.found.blank)
        self.found.blank = []

    def cut(self, rows: int | None) -> Piece:
        """The first `rows` rows held and the lines through the last of them; with None,
        every row held and every line read."""
        table = pa.concat_tables([self._layout.schema.empty_table(), *self._tables])
        lines = np.concatenate([np.array([], np.int64), *self._lines])
        taken = table.slice(0, rows)
        self._tables, self._lines = [table.slice(taken.num_rows)], [lines[taken.num_rows :]]
        self.held -= taken.num_rows
        last = np.inf if rows is None else lines[rows - 1]
        found = self.found
        self.found = _Found(
            [item for item in found.unreadable if item.line > last],
            [line for line in found.blank if line > last],
        )
        blank = self.blank + len(found.blank) - len(self.found.blank)
        self.blank = 0
        columns, repairs = zip(
            *(_text_column(column.combine_chunks()) for column in taken.columns), strict=True
        )
        return Piece(
            pa.table(list(columns), names=self._layout.wanted),
            sum(repairs),
            lines[: taken.num_rows],
            tuple(item for item in found.unreadable if item.line <= last),
            blank,
        )
