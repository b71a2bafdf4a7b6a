"""Running totals of contact events, kept by database triggers (see migration 0006).

Every figure an organizer or the public counter sees is a sum over these tables, which
are small whatever the number of events: one row per campaign and office (and target,
channel, outcome), per half hour, or per referral code. Triggers on ``contact_events``
add each inserted event, move an event whose outcome changes (a queued letter that is
sent), and take deleted events back out, in the same transaction as the event itself, so
the totals are exact under concurrency. ``callmp.stats.consistency.rebuild`` recomputes
them from the events, and ``flask check-counts`` compares the two.

Keys that may be missing on an event (target, person, office) are stored as 0, because
NULL never equals NULL in a primary key.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base

#: Width of a time bucket in seconds. Half an hour keeps local days and hours exact in
#: every Canadian time zone (Newfoundland is UTC-3:30).
BUCKET_SECONDS = 1800


class CountByOffice(Base):
    """Events per campaign, target, person, office, channel and outcome."""

    __tablename__ = "counts_by_office"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    office_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[int] = mapped_column(BigInteger, default=0)


class CountByTime(Base):
    """Events per campaign, half hour (seconds since 1970 // BUCKET_SECONDS), channel, outcome."""

    __tablename__ = "counts_by_time"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class CountByReferral(Base):
    """Events per campaign, referral code ("" for none), channel and outcome."""

    __tablename__ = "counts_by_referral"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    referral: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ReportLimit(Base):
    """Self-reports counted per limit key (an IP's HMAC, a page's client) and hour.

    One row per key and hour since 1970; a conditional ``UPDATE ... SET n = n + 1 WHERE
    n < limit`` takes a place atomically, so the limit holds across processes.
    """

    __tablename__ = "report_limits"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    # Indexed on its own: each new hour deletes the rows older than a day.
    hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
