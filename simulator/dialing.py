"""What both simulators' dialers share: the run's steps on the clock, the attempt rules, and
deterministic call outcomes. Neither platform's sources describe a dialer; everything here is
the stand-ins' own (inferred) model of one, and the same on both.

A run (`POST .../dial-until`, body `DialUntil`) moves the simulator's `FakeClock` from now to
`until` in steps of `stepMinutes`: at each step time t in [now, until) the clock reads t and
the platform's dialer attempts every record that is due, then the clock stands at `until`. A
step at `until` itself belongs to the next run, so back-to-back runs never attempt twice at
one instant. A run needs a clock tests can move (409 on the system clock) and an `until` not
before now (400).

A record is due at t when its platform-specific checks pass (consent, DNC, call request time)
and, here:

- t's local time in the record's zone is within 08:00-21:00 (21:00 itself is out);
- it has had fewer than `maxAttemptsPerRecord` attempts (every run counts), and its last one
  was at least `retryMinutes` before t.

Each attempt's result is drawn from the simulator's seed, the record's key and the attempt's
number, so the same seed dials the same day the same way: about 40% answered, 25% no answer,
10% busy, 20% answering machine, 5% abandoned (answered by a person, no agent free). An
answered call ends with an agent's disposition (Sale/Completed, Callback or Wrong Number),
unless one was set for that number through the control API (`PUT .../dispositions`): the
next attempt to the number is answered (the person picks up, whatever the draw said) and
ends with that one instead (an agent's opt-out), once, so a test's opt-out never depends on
the draw. A "Do Not Call" disposition is never drawn: only an agent, through the control
API, gives it.

>>> from datetime import UTC, datetime
>>> from zoneinfo import ZoneInfo
>>> at = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # 08:00 in New York
>>> within_window(at, ZoneInfo("America/New_York"))
True
>>> within_window(at, ZoneInfo("America/Chicago"))  # 07:00 there
False
>>> book = AttemptBook()
>>> book.record("c1", at)  # the first attempt
1
>>> rules = DialUntil(until=datetime(2026, 3, 3, tzinfo=UTC), retryMinutes=60)
>>> book.due("c1", at.replace(minute=59), rules), book.due("c1", at.replace(hour=14), rules)
(False, True)
>>> draw_result(42, "c1", 1) == draw_result(42, "c1", 1)
True
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .clock import Clock, FakeClock, iso
from .errors import ApiError

WINDOW_START = time(8, 0)
WINDOW_END = time(21, 0)
ANSWERED, NO_ANSWER, BUSY, ABANDONED, MACHINE = (
    "answered",
    "no_answer",
    "busy",
    "abandoned",
    "machine",
)
RESULTS = (ANSWERED, NO_ANSWER, BUSY, ABANDONED, MACHINE)
_WEIGHTS = {ANSWERED: 40, NO_ANSWER: 25, BUSY: 10, MACHINE: 20, ABANDONED: 5}
# What an agent ends an answered call with when no opt-out was set (weights).
AGENT_OUTCOMES = {"sale": 50, "callback": 30, "wrong_number": 20}


class DialUntil(BaseModel):
    """Body of `POST .../dial-until`."""

    model_config = ConfigDict(extra="forbid")

    until: AwareDatetime
    stepMinutes: int = Field(15, ge=1, le=24 * 60)
    maxAttemptsPerRecord: int = Field(3, ge=1)
    retryMinutes: float = Field(60, ge=0)


@dataclass(frozen=True)
class Call:
    """How one attempt went: the result, what an agent chose (a key of `AGENT_OUTCOMES`, or
    None when no agent spoke to anyone) and its durations in seconds."""

    result: str
    agent_outcome: str | None
    total_seconds: int
    agent_seconds: int
    abandon_seconds: int


def _rng(seed: int, key: Hashable, number: int) -> random.Random:
    return random.Random(f"{seed}|{key}|{number}")


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    roll = rng.random() * sum(weights.values())
    for name, weight in weights.items():
        roll -= weight
        if roll < 0:
            return name
    return name


def draw_result(seed: int, key: Hashable, number: int) -> str:
    """The result of the `number`th attempt (from 1) of the record `key`."""
    return draw_call(seed, key, number).result


def draw_call(seed: int, key: Hashable, number: int) -> Call:
    """The whole outcome of the `number`th attempt of the record `key`, from the seed."""
    rng = _rng(seed, key, number)
    result = _weighted(rng, _WEIGHTS)
    if result == ANSWERED:
        talk = 30 + int(rng.random() * 570)
        return Call(result, _weighted(rng, AGENT_OUTCOMES), talk + 12, talk, 0)
    seconds = {NO_ANSWER: 30, BUSY: 4, MACHINE: 25, ABANDONED: 9}[result]
    return Call(result, None, seconds, 0, 3 if result == ABANDONED else 0)


def picked_up(call: Call) -> Call:
    """`call` as answered by the person: a drawn answered call as it is, any other one a
    minute's conversation (the attempt a control-API disposition is set for)."""
    if call.result == ANSWERED:
        return call
    return Call(ANSWERED, "callback", 72, 60, 0)


def within_window(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether `moment`'s wall time in `zone` is within 08:00-21:00 (the end excluded)."""
    return WINDOW_START <= moment.astimezone(zone).time() < WINDOW_END


class AttemptBook:
    """When each record (by key) was attempted, over every run since the last reset."""

    def __init__(self) -> None:
        self._times: dict[Hashable, list[datetime]] = {}

    def clear(self) -> None:
        self._times.clear()

    def count(self, key: Hashable) -> int:
        return len(self._times.get(key, ()))

    def due(self, key: Hashable, at: datetime, rules: DialUntil) -> bool:
        """Fewer attempts than the run allows, the last one at least `retryMinutes` ago."""
        times = self._times.get(key, [])
        if len(times) >= rules.maxAttemptsPerRecord:
            return False
        return not times or at - times[-1] >= timedelta(minutes=rules.retryMinutes)

    def record(self, key: Hashable, at: datetime) -> int:
        """Log an attempt at `at`; returns its number (from 1)."""
        self._times.setdefault(key, []).append(at)
        return len(self._times[key])


class PendingDispositions:
    """Dispositions set for numbers (ten digits) that their next attempt, answered, takes."""

    def __init__(self) -> None:
        self._pending: dict[str, object] = {}

    def clear(self) -> None:
        self._pending.clear()

    def set(self, dispositions: dict[str, object]) -> dict[str, object]:
        self._pending.update(dispositions)
        return dict(self._pending)

    def __contains__(self, number: object) -> bool:
        return number in self._pending

    def take(self, number: str) -> object | None:
        """The disposition set for `number`, now used up; None when none was set."""
        return self._pending.pop(number, None)

    def all(self) -> dict[str, object]:
        return dict(self._pending)


T = TypeVar("T")


class AttemptRecords(Generic[T]):
    """What a platform's dialer keeps until a reset: every attempt made (ids counting from
    `first_id`), the book its rules read, and the dispositions waiting for numbers' next
    answered attempts."""

    first_id = 1

    def __init__(self) -> None:
        self.book = AttemptBook()
        self.pending = PendingDispositions()
        self.clear()

    def clear(self) -> None:
        self.book.clear()
        self.pending.clear()
        self._items: list[T] = []
        self._ids = itertools.count(self.first_id)

    def _keep(self, item: T) -> T:
        self._items.append(item)
        return item


def pending_from(
    body: dict[str, object], number: Callable[[str], str | None], known: Callable[[object], bool]
) -> dict[str, object]:
    """{ten digits: disposition} from a `PUT .../dispositions` body; `number` gives a key's ten
    digits (None for no number), `known` says whether a value names a disposition.

    Raises:
        ApiError: 400 naming the first pair that is no number and disposition.
    """
    pending = {}
    for raw, disposition in body.items():
        digits = number(raw)
        if digits is None or not known(disposition):
            raise ApiError(
                400, f"{raw!r}: {disposition!r} needs a valid number and a known disposition"
            )
        pending[digits] = disposition
    return pending


def run_answer(owner: dict[str, object], start: datetime, end: datetime, attempts: list) -> dict:
    """The answer to a dial-until run: who dialled, from and until when, counts, attempts."""
    return {
        **owner,
        "from": iso(start),
        "until": iso(end),
        "counts": counts(attempts),
        "attempts": attempts,
    }


def run_steps(clock: Clock, rules: DialUntil, step: Callable[[datetime], None]) -> list[str]:
    """Move the clock through the run's steps, calling `step(t)` at each, then to `until`;
    returns the step times (ISO).

    Raises:
        ApiError: 409 on a clock that cannot be moved, 400 for an `until` before now.
    """
    if not isinstance(clock, FakeClock):
        raise ApiError(409, "dialing moves the simulator's clock; start it with a FakeClock")
    start, until = clock.now(), rules.until.astimezone(UTC)
    if until < start:
        raise ApiError(400, f"until {iso(until)} is before the simulator's clock {iso(start)}")
    done = []
    for moment in _steps(start, until, timedelta(minutes=rules.stepMinutes)):
        clock.advance((moment - clock.now()).total_seconds())
        step(moment)
        done.append(iso(moment))
    clock.advance((until - clock.now()).total_seconds())
    return done


def _steps(start: datetime, until: datetime, step: timedelta) -> Iterator[datetime]:
    moment = start
    while moment < until:
        yield moment
        moment += step


def counts(attempts: list[dict]) -> dict[str, int]:
    """How many attempts ended with each result (every result named, zeros included)."""
    return {result: sum(a["result"] == result for a in attempts) for result in RESULTS}
