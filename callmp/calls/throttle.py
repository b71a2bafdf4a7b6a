"""The calls-per-second throttle: a fixed window counted in the queue's own storage.

Every worker, in every process, draws on one count per window, kept where the queue is
(Redis, the SQLite file, or memory for the inline queue). Huey's own ``RateLimit`` resets
its counter when it sees a new window (read the window, delete the counter, store the
window, then count): two workers crossing into a window together both reset it and both
place a call. Here the window's number is part of the counter's key, so one atomic
increment decides, and there is nothing to reset. Windows are aligned to the epoch, as
Huey's are, on each worker's clock (keep the hosts' clocks synchronised).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from huey.api import Huey
from huey.constants import EmptyData
from huey.exceptions import RateLimitExceeded


class WindowThrottle:
    """At most ``limit`` entries per ``per`` seconds across everything sharing ``huey``'s
    storage; a context manager that raises Huey's ``RateLimitExceeded`` (the task is then
    retried when the window ends)."""

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
        return f"{self._prefix}.{window}"

    def acquire(self) -> None:
        """Count one entry in the current window, or raise when the window is full."""
        now = self.clock()
        window = int(now) // self.per
        count = int(self.huey.storage.incr(self._counter(window)))
        if count == 1:
            self._forget_before(window)
        if count > self.limit:
            raise RateLimitExceeded(self.name, (window + 1) * self.per - now)

    def _forget_before(self, window: int) -> None:
        """Delete the counters of windows that are over (run by the first entry of each).

        The previous window's counter is kept one window longer: a worker that read the
        clock just before the boundary may still be counting in it.
        """
        marker = f"{self._prefix}.last"
        previous = self.huey.storage.pop_data(marker)
        self.huey.storage.put_data(marker, str(window).encode())
        if previous is EmptyData:
            return
        last = int(previous)
        if last < window:
            self.huey.storage.delete_counter(self._counter(last - 1))
        if last < window - 1:
            self.huey.storage.delete_counter(self._counter(last))

    def usage(self) -> int:
        """Entries counted in the current window."""
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
