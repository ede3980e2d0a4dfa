"""Named points where a run can be held from outside: the seam of the interleaving tests.

A run passes a pause point between reading something and acting on it (a state write, a
step's answer). In production no hook is installed and a point costs one attribute read.
A test installs a hook with `installed`; the hook is awaited at every point with the point's
name and what it is about, and may wait there (for an `asyncio.Event`) while the test runs
another flow to completion: a restore landing between a monitor's read and its write, a
takeover in the middle of a step.

Example:
    >>> import asyncio
    >>> seen = []
    >>> async def hook(name, about):
    ...     seen.append((name, about["group"]))
    >>> with installed(hook):
    ...     asyncio.run(point("state.write", group="low"))
    >>> asyncio.run(point("state.write", group="low"))  # no hook: nothing happens
    >>> seen
    [('state.write', 'low')]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

Hook = Callable[[str, Mapping[str, Any]], Awaitable[None]]

_hooks: list[Hook] = []

# The points there are, for the tests that hold runs at them.
STATE_WRITE = "state.write"  # about: document, group (a runtime-state write, after its read)
PAIR_EVALUATE = "pair.evaluate"  # about: primary (state read, nothing acted on yet)
STEP_DONE = "operation.step-done"  # about: record, step (acted; the answer not yet recorded)
LEASE_RENEW = "operation.renew"  # about: record (a holder about to renew its lease)


async def point(name: str, **about: Any) -> None:
    """Pass the pause point `name`: await the installed hook, if any."""
    for hook in list(_hooks):
        await hook(name, about)


@contextmanager
def installed(hook: Hook) -> Iterator[Hook]:
    """Await `hook` at every pause point until the block ends.

    Raises:
        Nothing of its own: what the hook raises is raised at the point it was awaited.

    Example:
        >>> async def hook(name, about):
        ...     pass
        >>> with installed(hook) as h:
        ...     h is hook
        True
    """
    _hooks.append(hook)
    try:
        yield hook
    finally:
        _hooks.remove(hook)
