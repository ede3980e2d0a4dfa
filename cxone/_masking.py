"""Keep phone numbers out of logs, errors and reprs: only the last four digits are shown."""

from __future__ import annotations

import re

_NOT_DIGITS = re.compile(r"\D")


def mask_phone(value: object) -> str:
    """The last four digits of a phone number, in one shape whatever the number's format.

    Example:
        >>> mask_phone("+1 (212) 736-5000"), mask_phone("212.555.012"), mask_phone("12")
        ('***-***-5000', '***-***-5012', '**')
        >>> mask_phone(None), mask_phone("n/a")
        ('<none>', '<no digits>')
    """
    if value is None or value != value or str(value).strip() == "":  # value != value: NaN
        return "<none>"
    digits = _NOT_DIGITS.sub("", str(value))
    if len(digits) <= 4:
        return "*" * len(digits) or "<no digits>"
    return "***-***-" + digits[-4:]
