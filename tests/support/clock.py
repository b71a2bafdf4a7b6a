"""The clock in tests: stop it, or set it, with time-machine (which the whole process sees)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import time_machine


@contextmanager
def clock_stopped(when: datetime | None = None) -> Iterator[datetime]:
    """Inside the block, "now" stays at ``when`` (default: the instant the block began);
    that instant."""
    now = when or datetime.now(UTC)
    with time_machine.travel(now, tick=False):
        yield now


@contextmanager
def clock_at(when: datetime) -> Iterator[datetime]:
    """Inside the block, "now" starts at ``when`` and runs on from there; ``when``."""
    with time_machine.travel(when, tick=True):
        yield when


def window_start(when: datetime, per: int) -> datetime:
    """The start of the epoch-aligned window of ``per`` seconds (as Huey's ``RateLimit``
    counts them: ``int(now) // per``) that holds ``when``."""
    return datetime.fromtimestamp(int(when.timestamp()) // per * per, UTC)
