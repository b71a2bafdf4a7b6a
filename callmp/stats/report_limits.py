"""Hourly limits on self-reports, counted in the database so they hold in every process.

Domain code: no Flask. Each limit key (an IP's keyed hash, a page's client) has one row
per hour since 1970 in ``report_limits``; taking a place is one conditional
``UPDATE ... SET n = n + 1 WHERE n < limit``, atomic on SQLite and PostgreSQL alike, so
concurrent reports can never pass the limit together. Rows older than a day are deleted
as new hours begin.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from callmp.db import insert_once
from callmp.models import ReportLimit

#: Hours a limit row is kept (only the current hour is read).
KEEP_HOURS = 24


def hour_of(now: datetime) -> int:
    """Hours since 1970 at ``now``."""
    return int(now.timestamp()) // 3600


def take(session: Session, limits: Sequence[tuple[str, int]], now: datetime) -> bool:
    """Take one place under each (key, limit) this hour; False when any is full.

    Flushes but does not commit: when this returns False the caller rolls back, so a
    refused report takes no place.
    """
    hour = hour_of(now)
    for key, limit in limits:
        if insert_once(session, ReportLimit, {"key": key, "hour": hour, "n": 0}):
            # A new hour for this key: clear out what is too old to matter.
            session.execute(delete(ReportLimit).where(ReportLimit.hour < hour - KEEP_HOURS))
        taken = session.execute(
            update(ReportLimit)
            .where(ReportLimit.key == key, ReportLimit.hour == hour, ReportLimit.n < limit)
            .values(n=ReportLimit.n + 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return False
    return True
