"""Versions of campaigns, with their scripts, templates and targets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base, UtcDateTime, utcnow


class CampaignVersion(Base):
    """A campaign as it was after one save: every field, its targets and referral codes."""

    __tablename__ = "campaign_versions"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... per campaign
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_label: Mapped[str] = mapped_column(String(254), default="")
    # Which fields changed from the previous version, e.g. "talking_points_en, targets".
    summary: Mapped[str] = mapped_column(String(1000), default="")
    restored_from: Mapped[int | None] = mapped_column(Integer)  # the version number restored
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
