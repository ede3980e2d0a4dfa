"""The one clock every flow, operation and state write reads (UTC, timezone-aware).

Production reads the system clock. A test hands in its own with `using`, for the length of a
`with` block, instead of patching module globals: leases, backoffs, cooldowns, metric
windows and day lists then all move together.

Example:
    >>> import datetime as dt
    >>> fixed = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    >>> with using(lambda: fixed):
    ...     now() == fixed
    True
    >>> now() == fixed
    False
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Clock = Callable[[], dt.datetime]


def system() -> dt.datetime:
    """The system clock in UTC."""
    return dt.datetime.now(dt.UTC)


_current: list[Clock] = [system]


def now() -> dt.datetime:
    """The current instant by the clock in use (UTC)."""
    return _current[-1]()


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Read `clock` instead of the system's until the block ends (nested uses stack).

    Raises:
        ValueError: `clock` answers a naive datetime (checked once, on entry).

    Example:
        >>> import datetime as dt
        >>> with using(lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):
        ...     now().year
        2026
    """
    if clock().tzinfo is None:
        raise ValueError("a clock must answer timezone-aware datetimes")
    _current.append(clock)
    try:
        yield clock
    finally:
        _current.remove(clock)
