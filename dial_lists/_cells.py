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

import pyarrow as pa
import pyarrow.compute as pc

_FORMULA_START = "^[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]"
# Digits, spaces and the punctuation of written phone numbers or plain numbers only.
_INERT = r"^[+\-]?[0-9][0-9 ().\-/]*$|^[+\-]?[0-9]*\.?[0-9]+([eE][+\-]?[0-9]+)?$"
_TEXT = pa.string()


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
    risky = pc.and_(
        pc.match_substring_regex(values, _FORMULA_START),
        pc.invert(pc.match_substring_regex(values, _INERT)),
    )
    if not pc.any(risky).as_py():
        return values
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
