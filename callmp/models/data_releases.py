"""Which directory data is loaded: the shipped files, then each refresh applied to it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base, UtcDateTime, utcnow


class DataRelease(Base):
    """One load of MPs, offices and ministers into the database, newest last.

    ``kind`` is "shipped" (the data files in the repository, at import) or "refresh"
    (``flask data refresh --apply``); ``as_of`` is the date of the data itself (the oldest
    of the sources read), not of the load, so its age is what staff are warned about.
    """

    __tablename__ = "data_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(300))
    as_of: Mapped[date]
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    user_label: Mapped[str] = mapped_column(String(254), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
