"""What a campaign id may look like, wherever one arrives from outside.

Both platforms issue ids of letters, digits and a few separators (`cmp_0A1B`, skill
`4100001`); ids go into API paths, so anything else (an empty value, `..`, a slash, a
template left unrendered) is refused before it is used.
"""

from __future__ import annotations

import re

CAMPAIGN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
"""Starts with a letter or digit; at most 128 characters of letters, digits and `_.:-`."""


def is_campaign_id(value: str) -> bool:
    """Whether `value` is a well-formed campaign id.

    Example:
        >>> [is_campaign_id(v) for v in ("cmp_0A1B", "4100001", "..", ".", "a/b", "")]
        [True, True, False, False, False, False]
    """
    return re.fullmatch(CAMPAIGN_ID_PATTERN, value) is not None
