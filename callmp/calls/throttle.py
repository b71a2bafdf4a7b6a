"""The calls-per-second throttle, shared by every worker through the queue's storage.

Huey's own ``RateLimit`` keeps one counter and resets it when it sees a new window: read
the window, delete the counter, write the window, increment. Two workers that reach a new
window together can each reset it after the other's increment, so both (and a third)
take the first slot: three calls in a window of two, as the two-server test showed.
Here each window has its own counter, and one atomic increment decides the slot: nothing
is ever reset, so no interleaving lets more than ``limit`` through.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from huey.api import Huey
from huey.constants import EmptyData
from huey.exceptions import RateLimitExceeded


class WindowThrottle:
    """At most ``limit`` acquisitions per ``per`` seconds (windows aligned on the epoch).

    Use as ``with throttle:`` in a task; when the window is full it raises
    ``RateLimitExceeded`` with the time until the next window, and Huey retries then.
    """

    def __init__(
        self,
        huey: Huey,
        name: str,
        limit: int,
        per: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.huey = huey
        self.name = name
        self.limit = limit
        self.per = per
        self.clock = clock
        self._prefix = f"{huey.name}.throttle.{name}"

    def _counter(self, window: int) -> str:
        """The counter key of one window."""
        return f"{self._prefix}.{window}"

    def acquire(self) -> None:
        """Take a slot in the current window, or raise ``RateLimitExceeded``."""
        now = self.clock()
        window = int(now) // self.per
        taken = self.huey.storage.incr(self._counter(window))
        if taken == 1:
            self._forget_before(window)
        if taken > self.limit:
            wait = (window + 1) * self.per - now
            raise RateLimitExceeded(self.name, wait)

    def _forget_before(self, window: int) -> None:
        """Delete the counters of windows that can no longer be taken (bounded storage).

        The first taker of a window remembers it and deletes the window remembered
        before, unless that was the previous one (a late worker may still count in it);
        that one goes the next time.
        """
        marker = f"{self._prefix}.last"
        last = self.huey.storage.peek_data(marker)
        self.huey.storage.put_data(marker, str(window).encode())
        if last is EmptyData:
            return
        try:
            previous = int(last)
        except (TypeError, ValueError):
            return
        for old in (previous - 1, previous):
            if old < window - 1:
                self.huey.storage.delete_counter(self._counter(old))

    def current_usage(self) -> int:
        """Slots taken in the current window."""
        window = int(self.clock()) // self.per
        return int(self.huey.storage.incr(self._counter(window), 0))

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None
