"""The calls-per-second throttle: one atomic count per window in the queue's storage, so
workers in any number of threads and processes never pass more than the limit."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey
from huey.exceptions import RateLimitExceeded

from callmp.calls.throttle import WindowThrottle
from callmp.job_queue import close_queue

#: A moment 0.25 s into a one-second window (and into a four-second one).
NOW = 1_800_000_000.25


def make_huey(kind: str, folder: Path, redis_url: str) -> Huey:
    """A fresh queue of ``kind``; each call builds its own connections, like a process."""
    if kind == "redis":
        return RedisHuey("callmp", url=redis_url)
    if kind == "sqlite":
        return SqliteHuey("callmp", filename=str(folder / "queue.sqlite3"))
    return MemoryHuey("callmp")


def passes(throttle: WindowThrottle) -> bool:
    """True when the throttle lets one more in."""
    try:
        with throttle:
            return True
    except RateLimitExceeded:
        return False


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_of_many_workers_racing_into_a_window_only_the_limit_pass(
    kind: str, tmp_path: Path, redis_url: str
) -> None:
    shared = make_huey(kind, tmp_path, redis_url)
    # Redis and SQLite: four workers with their own connections, as separate processes
    # have; memory storage lives in one process.
    hueys = [shared] + [
        shared if kind == "memory" else make_huey(kind, tmp_path, redis_url) for _ in range(3)
    ]
    throttles = [WindowThrottle(h, "calls", 2, 1, clock=lambda: NOW) for h in hueys]
    start = threading.Barrier(16)
    results: list[bool] = []
    lock = threading.Lock()

    def worker(throttle: WindowThrottle) -> None:
        start.wait()
        outcome = passes(throttle)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(throttles[n % 4],)) for n in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 14 + [True] * 2
        assert throttles[0].usage() == 16
    finally:
        for huey in hueys:
            close_queue(huey)


def test_a_refusal_says_when_the_window_ends() -> None:
    throttle = WindowThrottle(MemoryHuey("callmp"), "calls", 1, 4, clock=lambda: NOW)
    assert passes(throttle)
    with pytest.raises(RateLimitExceeded) as refused:
        throttle.acquire()
    assert refused.value.delay == pytest.approx(3.75)


def test_each_window_counts_afresh_and_finished_windows_are_forgotten() -> None:
    huey = MemoryHuey("callmp")
    now = [NOW]
    throttle = WindowThrottle(huey, "calls", 1, 1, clock=lambda: now[0])
    seen = []
    for offset in (0, 0, 1, 2, 2, 3, 9, 10):
        now[0] = NOW + offset
        seen.append(passes(throttle))
    assert seen == [True, False, True, True, False, True, True, True]
    counters = sorted(huey.storage._counters)  # the windows still kept
    first = int(NOW)
    assert counters == [f"callmp.throttle.calls.{first + 9}", f"callmp.throttle.calls.{first + 10}"]
