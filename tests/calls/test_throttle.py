"""The calls-per-second throttle: one slot per increment, whatever the workers' timing."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.exceptions import RateLimitExceeded
from huey.storage import MemoryStorage

from callmp.calls.throttle import WindowThrottle
from callmp.job_queue import close_queue

#: A moment 0.25 s into a one-second window.
NOW = 1_796_000_000.25


class SlowStorage(MemoryStorage):  # type: ignore[misc]
    """Storage whose steps take a while, as round trips to Redis do, each worker's a little
    longer than the last one's: the steps of racing workers interleave."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deletes = 0
        self.delete_lock = threading.Lock()

    def peek_data(self, key: str) -> Any:
        time.sleep(0.02)
        return super().peek_data(key)

    def delete_counter(self, key: str) -> None:
        with self.delete_lock:
            self.deletes += 1
            delay = 0.03 * self.deletes
        time.sleep(delay)
        super().delete_counter(key)


def slow_queue() -> Huey:
    """A queue on ``SlowStorage``."""
    return Huey("throttle-test", storage_class=SlowStorage)


def taken(throttle: Any, workers: int) -> int:
    """How many of ``workers`` starting together get a slot."""
    gate = threading.Barrier(workers)

    def take(_n: int) -> bool:
        gate.wait()
        try:
            with throttle:
                return True
        except RateLimitExceeded:
            return False

    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(take, range(workers)))


def test_workers_reaching_a_new_window_together_take_only_the_limit() -> None:
    throttle = WindowThrottle(slow_queue(), "calls", limit=2, per=1, clock=lambda: NOW)
    assert taken(throttle, 6) == 2
    assert throttle.current_usage() == 6  # every try counted, two let through


def test_hueys_own_rate_limit_lets_racing_workers_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Why the throttle is ours: Huey's resets its one counter at each new window, and two
    # workers that reach the window together reset it after each other's increment.
    monkeypatch.setattr(time, "time", lambda: NOW)
    assert taken(slow_queue().rate_limit("calls", 2, 1), 6) > 2


def test_the_next_window_has_its_slots_and_old_counters_are_deleted() -> None:
    now = [NOW]
    queue = Huey("throttle-test", storage_class=MemoryStorage)
    throttle = WindowThrottle(queue, "calls", limit=1, per=1, clock=lambda: now[0])
    throttle.acquire()
    with pytest.raises(RateLimitExceeded) as full:
        throttle.acquire()
    assert full.value.delay == pytest.approx(0.75)
    for step in range(1, 50):
        now[0] = NOW + step * 1.5  # some windows skipped, as when no call waits
        throttle.acquire()
    counters = [key for key in queue.storage._counters if ".throttle.calls." in key]
    assert len(counters) <= 3, counters


# -- On each real storage, each worker with its own connection ----------------------------


def storage_queue(kind: str, folder: Path, redis_url: str) -> Huey:
    """A fresh queue of ``kind``; each call opens its own connections, like a process."""
    if kind == "redis":
        return RedisHuey("callmp", url=redis_url)
    if kind == "sqlite":
        return SqliteHuey("callmp", filename=str(folder / "queue.sqlite3"))
    return MemoryHuey("callmp")


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_workers_on_separate_connections_share_the_limit_on_each_storage(
    kind: str, tmp_path: Path, redis_url: str
) -> None:
    # Four workers with their own connections to Redis or to the SQLite file, as separate
    # processes have (memory storage lives in one process: one queue for all four).
    first = storage_queue(kind, tmp_path, redis_url)
    queues = [first] + [
        first if kind == "memory" else storage_queue(kind, tmp_path, redis_url) for _ in range(3)
    ]
    throttles = [WindowThrottle(q, "calls", limit=2, per=1, clock=lambda: NOW) for q in queues]
    gate = threading.Barrier(16)

    def take(n: int) -> bool:
        gate.wait()
        try:
            with throttles[n % 4]:
                return True
        except RateLimitExceeded:
            return False

    try:
        with ThreadPoolExecutor(16) as pool:
            assert sum(pool.map(take, range(16))) == 2
        assert throttles[1].current_usage() == 16
    finally:
        for queue in queues:
            close_queue(queue)
