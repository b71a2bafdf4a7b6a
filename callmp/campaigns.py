"""Campaign use cases: list, find, and pick the targets a supporter should contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from callmp.lookup import Candidate
from callmp.models import Campaign, CampaignStatus, Person, Target, TargetKind
from callmp.models.campaigns import utcnow


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


def get_active(session: Session, slug: str, now: datetime | None = None) -> Campaign | None:
    """The running, published campaign with ``slug``, with its targets loaded."""
    query = (
        select(Campaign)
        .where(Campaign.slug == slug, *_open_now(now or utcnow()))
        .options(
            selectinload(Campaign.targets).selectinload(Target.person).selectinload(Person.offices)
        )
    )
    return session.scalars(query).first()


@dataclass(frozen=True)
class ResolvedTarget:
    """One person the supporter is asked to contact, in campaign order."""

    target: Target
    person: Person | None  # None when the target is the supporter's MP and the seat is vacant
    candidate: Candidate | None  # the supporter's riding, when known

    @property
    def own_mp(self) -> bool:
        """True when this is the supporter's own MP."""
        return self.target.kind == TargetKind.own_mp

    @property
    def vacant(self) -> bool:
        """True for an own-MP target whose seat has nobody in it."""
        return self.own_mp and self.person is None


def targets_for(campaign: Campaign, candidate: Candidate | None) -> list[ResolvedTarget]:
    """The campaign's targets for a supporter in ``candidate``'s riding, in order."""
    resolved = []
    for target in campaign.targets:
        if target.kind == TargetKind.own_mp:
            if candidate is None:
                continue
            resolved.append(ResolvedTarget(target, candidate.member, candidate))
        else:
            resolved.append(ResolvedTarget(target, target.person, candidate))
    return resolved
