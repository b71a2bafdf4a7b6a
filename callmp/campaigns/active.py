"""The campaigns supporters can see now: published and within their dates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from callmp.db import utcnow
from callmp.models import Campaign, CampaignStatus


def _open_now(now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions for a published campaign whose dates include ``now``."""
    return [
        Campaign.status == CampaignStatus.published,
        or_(Campaign.starts_at.is_(None), Campaign.starts_at <= now),
        or_(Campaign.ends_at.is_(None), Campaign.ends_at > now),
    ]


def list_active(session: Session, now: datetime | None = None) -> list[Campaign]:
    """Published campaigns that are running now, newest first."""
    query = select(Campaign).where(*_open_now(now or utcnow()))
    return list(session.scalars(query.order_by(Campaign.created_at.desc(), Campaign.id.desc())))
