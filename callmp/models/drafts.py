"""Unpublished changes to a published campaign: one draft per campaign."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base, UtcDateTime, utcnow


class CampaignDraft(Base):
    """A campaign as its leads are changing it, in the snapshot format of its versions.

    Supporters keep seeing the campaign's rows; publishing the draft applies the snapshot
    to them and records a version. ``target_keys`` names each target of the snapshot: the
    id of the campaign's target row it edits, or a key of its own for a target the draft
    adds (from ``next_key``). ``revision`` goes up with every save, so a lead who saves
    over a draft that changed since they opened it is told instead of overwriting it.
    """

    __tablename__ = "campaign_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True
    )
    base_version: Mapped[int] = mapped_column(Integer)  # the live version it started from
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    target_keys: Mapped[list[int]] = mapped_column(JSON)
    next_key: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_label: Mapped[str] = mapped_column(String(254), default="")  # who saved last

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - read once by the mapper
