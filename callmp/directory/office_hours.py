"""Office hours in each office's own time zone, and which of a person's offices to call first.

Pure functions: no database, no Flask. Times are compared on the office's wall clock, so
daylight saving (and Saskatchewan's lack of it, and Newfoundland's half hour) follows from
the IANA zone with ``zoneinfo``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callmp.directory.weekly_hours import (
    DEFAULT_HOURS,
    DEFAULT_WEEK,
    WEEKDAYS,
    Hours,
    HoursError,
    WeeklyHours,
    canonical_hours,
    format_hours,
    parse_hours,
    stored_hours,
)

__all__ = [
    "DEFAULT_HOURS",
    "DEFAULT_WEEK",
    "WEEKDAYS",
    "Hours",
    "HoursError",
    "OfficeLike",
    "OfficePolicy",
    "OpenState",
    "WeeklyHours",
    "canonical_hours",
    "format_hours",
    "open_state",
    "order_offices",
    "parse_hours",
    "stored_hours",
    "zone",
]


@dataclass(frozen=True)
class OpenState:
    """Whether an office is open at a moment, its local time then, and when it next opens."""

    open: bool
    local: datetime
    next_open: datetime | None


def zone(time_zone: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name, raising ValueError for an unknown one."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {time_zone!r}") from None


def _at(day: datetime, wall: time, tz: ZoneInfo) -> datetime:
    """``wall`` o'clock on ``day``'s date in ``tz``, moved past a DST gap if it falls in one."""
    naive = datetime.combine(day.date(), wall)
    # The round trip through UTC turns a nonexistent wall time into a real instant.
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _next_open(local: datetime, hours: Hours, tz: ZoneInfo) -> datetime:
    """When a span of ``hours`` next opens after ``local``."""
    for ahead in range(8):
        day = local + timedelta(days=ahead)
        if day.weekday() not in hours.days:
            continue
        opening = _at(day, hours.opens, tz)
        if opening > local:
            return opening
    raise AssertionError("an office with opening days opens within a week")  # pragma: no cover


def open_state(
    time_zone: str, now: datetime, hours: Hours | WeeklyHours | str | None = DEFAULT_HOURS
) -> OpenState:
    """Whether an office in ``time_zone`` keeping ``hours`` is open at the aware moment ``now``.

    ``hours`` may be an ``Office.hours`` text, read with ``stored_hours`` (None: the default).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    tz = zone(time_zone)
    local = now.astimezone(tz)
    wall = local.time()
    if hours is None or isinstance(hours, str):
        hours = stored_hours(hours or "")
    spans = hours.spans if isinstance(hours, WeeklyHours) else (hours,)
    if any(local.weekday() in s.days and s.opens <= wall < s.closes for s in spans):
        return OpenState(open=True, local=local, next_open=None)
    return OpenState(
        open=False, local=local, next_open=min(_next_open(local, s, tz) for s in spans)
    )


class OfficePolicy(enum.StrEnum):
    """Which office a campaign calls first: Parliament Hill, the riding, or whichever is open."""

    hill = "hill"
    constituency = "constituency"
    open_first = "open_first"


class OfficeLike(Protocol):
    """What ordering needs from an office (``models.people.Office`` has all of it)."""

    @property
    def kind(self) -> str: ...

    @property
    def position(self) -> int: ...

    @property
    def is_main(self) -> bool: ...

    @property
    def phone(self) -> str: ...

    @property
    def time_zone(self) -> str: ...

    @property
    def hours(self) -> str: ...


O = TypeVar("O", bound=OfficeLike)  # noqa: E741

# Group rank per policy; ministers' offices ("other") come after Hill and riding offices.
_HILL_RANK = {"hill": 0, "constituency": 1}
_CONSTITUENCY_RANK = {"constituency": 0, "hill": 1}
_LAST = 2


def _sorted(offices: Sequence[O], rank: dict[str, int]) -> list[O]:
    """``offices`` by group rank, then main office first, then position (stable otherwise)."""
    return sorted(
        offices,
        key=lambda office: (rank.get(str(office.kind), _LAST), not office.is_main, office.position),
    )


def order_offices(
    offices: Sequence[O],
    policy: OfficePolicy,
    now: datetime,
    hours: Hours | WeeklyHours | None = None,
) -> list[O]:
    """The offices with a phone number, in the order to try them under ``policy`` at ``now``.

    Each office keeps its own hours (``office.hours``) unless ``hours`` overrides them all.
    """
    policy = OfficePolicy(policy)
    callable_offices = [office for office in offices if office.phone]
    if policy == OfficePolicy.constituency:
        return _sorted(callable_offices, _CONSTITUENCY_RANK)
    in_order = _sorted(callable_offices, _HILL_RANK)
    if policy == OfficePolicy.hill:
        return in_order
    is_open = {
        id(office): open_state(office.time_zone, now, office.hours if hours is None else hours).open
        for office in in_order
    }
    return [o for o in in_order if is_open[id(o)]] + [o for o in in_order if not is_open[id(o)]]
