"""Phone numbers as the stand-in stores them: ten NANP digits.

The platform normalises numbers on upload; its exact format was not found, so records and
DNC entries keep the bare ten digits, and anything that is not a plausible North American
number is invalid.

>>> normalize_phone("+1 (212) 555-0142"), normalize_phone(12125550142)
('2125550142', '2125550142')
>>> normalize_phone("555-0142") is None, normalize_phone("0125550142") is None
(True, True)
"""

from __future__ import annotations


def normalize_phone(value: str | int) -> str | None:
    """Ten digits (area code first), or None when `value` is no NANP number."""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    # Area and exchange codes never start with 0 or 1.
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return digits
