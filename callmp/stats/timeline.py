"""Contacts made over time, per local hour or day, for the dashboard's charts.

Domain code: no Flask. Reads the half-hour running totals (``CountByTime``), so a local
hour or day is exact in every Canadian time zone, Newfoundland's included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from callmp.models import BUCKET_SECONDS, Channel, CountByTime
from callmp.stats.totals import REACHED


@dataclass(frozen=True)
class Point:
    """One bar of a chart: its local start time and contacts made per channel."""

    start: datetime
    by_channel: dict[str, int]


def timeline(
    session: Session,
    campaign_id: int,
    zone: ZoneInfo,
    *,
    unit: str,  # "hour" or "day"
    since: datetime | None,
    now: datetime,
) -> list[Point]:
    """Contacts made per local hour or day, from ``since`` (else the first event) to now."""
    reached = or_(
        *(
            and_(CountByTime.channel == channel, CountByTime.outcome.in_(outcomes))
            for channel, outcomes in REACHED.items()
        )
    )
    total = func.sum(CountByTime.n)
    query = (
        select(CountByTime.bucket, CountByTime.channel, total)
        .where(CountByTime.campaign_id == campaign_id, reached)
        .group_by(CountByTime.bucket, CountByTime.channel)
        .order_by(CountByTime.bucket)
    )
    first = _floor(since, zone, unit) if since is not None else None
    if first is not None:
        # A local hour or day starts on a half hour in UTC in every Canadian zone.
        query = query.where(CountByTime.bucket >= int(first.timestamp()) // BUCKET_SECONDS)
    points: dict[datetime, dict[str, int]] = {}
    for bucket, channel, n in session.execute(query):
        if not n:
            continue
        start = _floor(datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC), zone, unit)
        point = points.setdefault(start, dict.fromkeys(map(str, Channel), 0))
        point[channel] += int(n)
    if first is None:
        first = min(points, default=None)
    if first is None:
        return []
    return [
        Point(t, points.get(t, dict.fromkeys(map(str, Channel), 0)))
        for t in _steps(first, _floor(now, zone, unit), unit)
    ]


def _floor(moment: datetime, zone: ZoneInfo, unit: str) -> datetime:
    """The start of the local hour or day holding ``moment``."""
    local = moment.astimezone(zone)
    if unit == "day":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.replace(minute=0, second=0, microsecond=0)


def _steps(first: datetime, last: datetime, unit: str) -> list[datetime]:
    """Every local hour or day from ``first`` to ``last`` (wall clock, across DST)."""
    zone = first.tzinfo
    steps: list[datetime] = []
    current = first
    while current <= last and len(steps) < 5000:
        steps.append(current)
        if unit == "day":
            day = (current + timedelta(days=1, hours=2)).date()
            current = datetime(day.year, day.month, day.day, tzinfo=zone)
        else:  # step in UTC: a repeated or skipped hour at a DST change stays right
            current = (current.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    return steps
