"""Calls created per throttle window, as the Twilio stand-in saw them.

Shared by the two-worker test (tests/calls/test_worker.py) and the two-server run
(tests/support/cluster_run.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ThrottleReport:
    """Calls created per one-second window (aligned to the epoch, as the throttle is)."""

    per_second: dict[int, int]
    late_start: dict[int, int]  # per window, calls created after its first ``slack`` s
    span_s: float  # first to last creation

    @property
    def max_per_second(self) -> int:
        """The most calls created in one window."""
        return max(self.per_second.values(), default=0)


def throttle_report(created: Sequence[datetime], slack_s: float) -> ThrottleReport:
    """Count creations per window.

    The throttle counts a call when a worker takes its slot; the provider sees it a little
    later (a database claim and an HTTP request). A call created in the first ``slack_s``
    of a window may have taken the previous window's slot, so only creations after that
    are pinned to their window: those can never exceed the limit.
    """
    stamps = sorted(moment.timestamp() for moment in created)
    per_second: Counter[int] = Counter(math.floor(t) for t in stamps)
    late: Counter[int] = Counter(math.floor(t) for t in stamps if t - math.floor(t) >= slack_s)
    span = stamps[-1] - stamps[0] if stamps else 0.0
    return ThrottleReport(dict(per_second), dict(late), span)
