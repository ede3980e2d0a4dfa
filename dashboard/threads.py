"""Running a heavy Prefect read away from the dashboard's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def off_the_loop(read: Callable[[], Awaitable[T]]) -> T:
    """`await read()`, on an event loop of its own in a worker thread.

    Listing hundreds of block documents costs tens of milliseconds of CPU in parsing and
    validation; on the app's loop that would stall every request meanwhile, while in a thread
    the interpreter switches between it and the loop every few milliseconds. The context
    (Prefect's settings among it) goes along.

    Example:
        >>> import threading
        >>> async def where():
        ...     return threading.current_thread() is threading.main_thread()
        >>> asyncio.run(off_the_loop(where))
        False
    """
    return await asyncio.to_thread(lambda: asyncio.run(read()))
