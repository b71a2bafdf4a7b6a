"""What the petition's public pages show: the counter, and recent signers who agreed.

Domain code: no Flask. A signer shows up only when they ticked the box, the campaign
lists signers, and their signature is confirmed and not purged; and then only the first
word of their name and their city: nothing else of theirs ever reaches a page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import Campaign, PetitionSignature
from callmp.petitions import counts


@dataclass(frozen=True)
class Signer:
    """One recent signer as the public page shows them."""

    first_name: str
    city: str


@dataclass(frozen=True)
class PetitionCounter:
    """Signatures so far and, with a goal, how far toward it."""

    total: int
    goal: int
    percent: int  # 0-100, toward the goal (0 without one)


def counter(session: Session, campaign: Campaign) -> PetitionCounter:
    """The petition's live counter."""
    total = counts.total(session, campaign.id)
    goal = max(0, int(campaign.petition_goal or 0))
    percent = min(100, total * 100 // goal) if goal else 0
    return PetitionCounter(total=total, goal=goal, percent=percent)


def first_name(name: str) -> str:
    """The first word of a name."""
    words = name.split()
    return words[0] if words else ""


def recent_signers(session: Session, campaign: Campaign, limit: int = 10) -> list[Signer]:
    """The last ``limit`` confirmed signers who agreed to be shown (none unless the campaign
    lists signers): first name and city only."""
    if not campaign.petition_show_signers or limit <= 0:
        return []
    rows = session.execute(
        select(PetitionSignature.name, PetitionSignature.city)
        .where(
            counts.counted(campaign.id),
            PetitionSignature.show_publicly.is_(True),
            PetitionSignature.purged_at.is_(None),
        )
        .order_by(PetitionSignature.created_at.desc(), PetitionSignature.id.desc())
        .limit(limit)
    ).all()
    found = [Signer(first_name(name), city) for name, city in rows]
    return [signer for signer in found if signer.first_name]
