"""The campaigns supporters can see now: published and within their dates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from callmp.db import utcnow
from callmp.directory import lookup
from callmp.models import Campaign, CampaignStatus, Target


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


def get_active(
    session: Session, slug: str, now: datetime | None = None, *, corrections: bool = False
) -> Campaign | None:
    """The running, published campaign with ``slug``, with its targets loaded.

    The targets' people come with their offices; with ``corrections`` (the riding page
    shows them) with the offices' and emails' active corrections too.
    """
    query = (
        select(Campaign)
        .where(Campaign.slug == slug, *_open_now(now or utcnow()))
        .options(
            selectinload(Campaign.targets)
            .selectinload(Target.person)
            .options(*lookup.contact_details(corrections)),
            selectinload(Campaign.targets)
            .selectinload(Target.fallback_person)
            .options(*lookup.contact_details(corrections)),
        )
    )
    return session.scalars(query).first()
