"""Text that cannot be written as UTF-8, repaired."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

_TEXT = pa.string()


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
