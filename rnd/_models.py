"""What the Reassigned Numbers Database answers, the errors of asking it, and numbers masked.

The FCC's RND answers a query of a number and a date (of consent) with `yes` (permanently
disconnected on or after that date: the number may have changed hands), `no`, or `no_data`
(FCC DA 21-1649). A caller who checked the most recent data and got a wrong `no` has a safe
harbor (47 CFR 64.1200(m)) and bears the burden of proof: an `RndAnswer` keeps when it was
queried and how recent the data was.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from cxone import mask_phone

_TEN_DIGITS = re.compile(r"\d{10}")
_LONG_DIGIT_RUNS = re.compile(r"\d{5,}")


class RndResult(StrEnum):
    """The RND's answer for a number and a date.

    Example:
        >>> RndResult("no_data"), str(RndResult.YES)
        (<RndResult.NO_DATA: 'no_data'>, 'yes')
    """

    YES = "yes"  # permanently disconnected on or after the date asked about
    NO = "no"  # not disconnected since: the consent still reaches its giver
    NO_DATA = "no_data"  # the database cannot say


@dataclass(frozen=True, slots=True)
class RndAnswer:
    """The RND's answer for one number and the date asked about, and the evidence of it.

    Attributes:
        number: Ten digits (NANP, no country code).
        date: The date asked about (of consent): `yes` means disconnected on or after it.
        result: The answer.
        queried_at: When the answer was obtained (UTC).
        data_as_of: The date of the data that answered, when the service said it.

    Example:
        >>> answer = RndAnswer("2125550101", dt.date(2025, 1, 2), "no",
        ...                    dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), dt.date(2026, 3, 1))
        >>> answer.result, answer.masked()
        (<RndResult.NO: 'no'>, '***-***-0101')

    Raises:
        ValueError: The number is not ten digits, the result is not one of `RndResult`, or
            `queried_at` has no time zone.
    """

    number: str
    date: dt.date
    result: RndResult
    queried_at: dt.datetime
    data_as_of: dt.date | None = None

    def __post_init__(self) -> None:
        if not is_ten_digits(self.number):
            raise ValueError(f"an RND number is ten digits, got {mask_phone(self.number)}")
        if self.queried_at.tzinfo is None:
            raise ValueError("queried_at must be timezone-aware")
        object.__setattr__(self, "result", RndResult(self.result))
        object.__setattr__(self, "queried_at", self.queried_at.astimezone(dt.UTC))

    def masked(self) -> str:
        """The number as logs may show it: its last four digits."""
        return mask_phone(self.number)


def mask_digits(text: str) -> str:
    """`text` with every run of five or more digits masked (a server's message may quote a
    number).

    Example:
        >>> mask_digits("queries[3].tn 2125550101 is not valid on 2025-01-02")
        'queries[3].tn ***-***-0101 is not valid on 2025-01-02'
    """
    return _LONG_DIGIT_RUNS.sub(lambda run: mask_phone(run.group(0)), text)


def is_ten_digits(number: object) -> bool:
    """Whether `number` is the ten-digit string the RND is asked about.

    Example:
        >>> is_ten_digits("2125550101"), is_ten_digits("+12125550101"), is_ten_digits(2125550101)
        (True, False, False)
    """
    return isinstance(number, str) and _TEN_DIGITS.fullmatch(number) is not None


class RndError(Exception):
    """Base of every error asking the RND; messages never hold the API key or a whole number.

    Attributes:
        status_code: The HTTP status that caused it, if any.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RndInvalidQuery(RndError, ValueError):
    """A query the service cannot take: a number that is not ten digits, a date that is not a
    `datetime.date`, or a 400 from the service."""


class RndAuthError(RndError):
    """401 or 403: the API key was refused."""


class RndRateLimited(RndError):
    """429 after every retry, or a Retry-After longer than the client will wait."""


class RndServerError(RndError):
    """5xx after every retry, a timeout, or a lost connection."""


class RndInvalidResponse(RndError):
    """A 2xx answer that is not the JSON the API describes, or lacks some of the queries."""
