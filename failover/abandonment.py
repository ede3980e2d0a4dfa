"""The abandonment-rate guard: is a campaign within the FTC's 3% safe harbor?

16 CFR 310.4(b)(4)(i): at most 3% of the calls *answered by a person* may be abandoned,
measured per campaign over the campaign's duration if under 30 days, else over each
successive 30-day period. An abandoned call was answered by a person who was not connected
to a representative within two seconds, so the answered calls are the handled ones plus the
abandoned ones. Plain functions on plain data: the monitor reads the platform's counts over
a rolling 30 days and acts on the verdict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

SAFE_HARBOR = 0.03  # the legal limit: never configurable upwards
DEFAULT_WARNING = 0.025
WINDOW = dt.timedelta(days=30)

Level = Literal["ok", "warning", "over", "no_answered_calls"]


@dataclass(frozen=True)
class AbandonmentReading:
    """A campaign's counts over the measuring window."""

    abandoned: int
    handled: int  # answered calls connected to a representative

    @property
    def answered(self) -> int:
        return self.handled + self.abandoned

    @property
    def rate(self) -> float:
        """Abandoned share of the calls answered by a person; 0 when none were answered.

        Example:
            >>> AbandonmentReading(abandoned=3, handled=97).rate
            0.03
        """
        return self.abandoned / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class AbandonmentVerdict:
    level: Level
    rate: float
    reason: str


def judge_abandonment(
    reading: AbandonmentReading, warning: float = DEFAULT_WARNING
) -> AbandonmentVerdict:
    """Compare the rate with the warning level and the 3% safe harbor.

    At 3% or more the campaign must stop dialling ("over"); at the warning level or more an
    operator should look ("warning"). Without answered calls there is no rate to judge.

    Example:
        >>> judge_abandonment(AbandonmentReading(abandoned=3, handled=97)).level
        'over'
        >>> judge_abandonment(AbandonmentReading(abandoned=0, handled=0)).level
        'no_answered_calls'

    Raises:
        ValueError: a warning level at or above the safe harbor, or not positive.
    """
    if not 0 < warning < SAFE_HARBOR:
        raise ValueError(f"the warning level must lie between 0 and {SAFE_HARBOR:.0%}")
    if reading.answered == 0:
        return AbandonmentVerdict("no_answered_calls", 0.0, "no call answered in 30 days")
    rate = reading.rate
    detail = f"{reading.abandoned} of {reading.answered} answered calls abandoned ({rate:.2%})"
    if rate >= SAFE_HARBOR:
        return AbandonmentVerdict("over", rate, f"{detail}: at or over the 3% safe harbor")
    if rate >= warning:
        return AbandonmentVerdict("warning", rate, f"{detail}: at or over {warning:.1%}")
    return AbandonmentVerdict("ok", rate, detail)
