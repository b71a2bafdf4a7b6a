"""The scheduled comparisons of the data with the House of Commons' files (never applied)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base, UtcDateTime, utcnow


class DataCheck(Base):
    """One run of the worker's data check: what it found and whom it told.

    ``outcome`` is "differences" (``differences`` rows, maybe 0), "refused" (a refresh
    would refuse the House's files: ``refusals`` problems) or "failed" (the files could
    not be downloaded or read: ``error`` says why). ``report`` is the diff as the
    command prints it. Nothing here was applied to the data.
    """

    __tablename__ = "data_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(20))
    differences: Mapped[int] = mapped_column(Integer, default=0)
    refusals: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    report: Mapped[str] = mapped_column(Text, default="")
    notified: Mapped[int] = mapped_column(Integer, default=0)
