"""Keep phone numbers out of logs: only the last four digits are shown."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(value: object) -> str:
    """Mask every digit but the last four; empty or missing values say so.

    Example:
        >>> mask_phone("+1 (212) 736-5000")
        '+* (***) ***-5000'
        >>> mask_phone(None)
        '<none>'
    """
    if value is None or value != value or str(value).strip() == "":  # value != value: NaN
        return "<none>"
    text = str(value)
    digits = len(_DIGITS.findall(text))
    seen = 0

    def hide(match: re.Match) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen > digits - 4 else "*"

    return _DIGITS.sub(hide, text)
