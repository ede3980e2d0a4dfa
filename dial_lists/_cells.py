"""Cells that a spreadsheet would run as formulas, made inert (CSV injection).

OWASP's guidance for CSV files people open: a cell that starts with `=`, `+`, `-`, `@`, a
tab or a carriage return is read by Excel, LibreOffice and Google Sheets as a formula (and
`=HYPERLINK(...)` or a DDE call like `+cmd|' /C calc'!A0` runs when the file is opened).
Prefixing such a cell with a single quote makes it text. Cells that are only a number or
written like a phone number (`+12127365000`, `-3.5`, `+1 (212) 736-5000`) cannot call
anything and are left alone, so E.164 numbers stay as they are. The full-width forms of the
four characters are treated like them: some spreadsheets fold them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_FORMULA_START = "^[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]"
# Digits, spaces and the punctuation of written phone numbers or plain numbers only.
_INERT = r"^[+\-]?[0-9][0-9 ().\-/]*$|^[+\-]?[0-9]*\.?[0-9]+([eE][+\-]?[0-9]+)?$"
_TEXT = pa.string()
# First bytes (UTF-8) of the cells `_FORMULA_START` can match: the ASCII characters, and the
# lead byte 0xEF of the full-width forms (U+FF0B and the others encode as EF BC xx).
_MAYBE_FORMULA = np.zeros(256, dtype=bool)
_MAYBE_FORMULA[list(b"=+-@\t\r\xef")] = True
_NO_BYTES = np.zeros(1, dtype=np.uint8)  # an array of empty cells has no bytes to read


def _may_start_formula(values: pa.Array) -> np.ndarray:
    """Per cell: whether its first byte is one a formula can start with (False for null or
    empty cells). Read from the Arrow buffers: a byte lookup, no regex per cell."""
    wide = pa.types.is_large_string(values.type)
    buffers = values.buffers()
    raw = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    offsets: np.ndarray = raw[values.offset : values.offset + len(values) + 1].astype(np.int64)
    text = buffers[2]
    data = np.frombuffer(text, dtype=np.uint8) if text is not None and text.size else _NO_BYTES
    starts, ends = offsets[:-1], offsets[1:]
    present: np.ndarray = np.greater(ends, starts)
    found: np.ndarray = present & _MAYBE_FORMULA[data[np.where(present, starts, 0)]]
    if values.null_count:
        found &= values.is_valid().to_numpy(zero_copy_only=False)
    return found


def _risky(values: pa.Array) -> pa.Array | None:
    """Which cells of one array look like formulas; None when none does."""
    maybe = np.flatnonzero(_may_start_formula(values))
    if not len(maybe):
        return None
    picked = values.take(pa.array(maybe))
    hits = pc.and_(
        pc.match_substring_regex(picked, _FORMULA_START),
        pc.invert(pc.match_substring_regex(picked, _INERT)),
    ).to_numpy(zero_copy_only=False)
    if not hits.any():
        return None
    risky = np.zeros(len(values), dtype=bool)
    risky[maybe[hits]] = True
    return pa.array(risky)


def neutralise(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text cells with every formula-looking cell prefixed with a single quote.

    Nulls stay null; cells that are not text are returned unchanged.

    Example:
        >>> cells = pa.array(["=HYPERLINK(\\"http://x\\")", "@SUM(1)", "+12127365000",
        ...                   "-3.5", "Ana", "+cmd|' /C calc'!A0", None])
        >>> for cell in neutralise(cells).to_pylist():
        ...     print(cell)
        '=HYPERLINK("http://x")
        '@SUM(1)
        +12127365000
        -3.5
        Ana
        '+cmd|' /C calc'!A0
        None
    """
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values
    parts = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    found = [_risky(part) for part in parts]
    if all(part is None for part in found):
        return values
    masks = [
        pa.array(np.zeros(len(p), bool)) if f is None else f
        for p, f in zip(parts, found, strict=True)
    ]
    risky = pa.chunked_array(masks, pa.bool_()) if isinstance(values, pa.ChunkedArray) else masks[0]
    quoted = pc.binary_join_element_wise(
        pa.scalar("'", values.type), values, pa.scalar("", values.type)
    )
    return pc.if_else(risky, quoted, values)


def neutralise_table(table: pa.Table) -> pa.Table:
    """Every text column of `table` through `neutralise` (for CSV files people open).

    Example:
        >>> neutralise_table(pa.table({"name": ["=1+1"], "n": [3]})).to_pylist()
        [{'name': "'=1+1", 'n': 3}]
    """
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            table = table.set_column(i, field, neutralise(table.column(i)))
    return table
