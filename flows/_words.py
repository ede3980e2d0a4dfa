"""Counts as people write them."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` and `noun`, in the plural (`many`, else `noun` + "s") unless there is one.

    Example:
        >>> plural(1, "pair"), plural(2, "pair"), plural(0, "contact"), plural(1500, "number")
        ('1 pair', '2 pairs', '0 contacts', '1,500 numbers')
        >>> plural(2, "entry", "entries")
        '2 entries'
    """
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"
