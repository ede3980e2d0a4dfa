"""Progress updates sent from a worker thread, at most one a second."""

from __future__ import annotations

import time
from collections.abc import Callable

# A progress update from the evaluating thread inside a task is a blocking call to the Prefect
# server (8-9 ms each, measured): a 1M list's 40 chunk updates held the evaluation 0.35 s.
PROGRESS_EVERY_SECONDS = 1.0


class Throttle:
    """Whether an update may go out now: the first one, then one per `every` seconds.

    Example:
        >>> times = iter([0.0, 0.5, 1.0, 1.2, 2.5])
        >>> throttle = Throttle(1.0, clock=lambda: next(times))
        >>> [throttle.ready() for _ in range(5)]
        [True, False, True, False, True]
    """

    def __init__(
        self, every: float = PROGRESS_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._every = every
        self._clock = clock
        self._last: float | None = None

    def ready(self) -> bool:
        """True (and the time noted) when `every` seconds passed since the last True."""
        now = self._clock()
        if self._last is not None and now - self._last < self._every:
            return False
        self._last = now
        return True
