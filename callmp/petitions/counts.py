"""How many signed a campaign's petition, and where they live.

Domain code: no Flask. Only confirmed signatures count. Each figure is read through an
index that starts with (campaign, status), so its cost follows the petition's size, not
the whole table's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from callmp.models import PetitionSignature, SignatureStatus


def counted(campaign_id: int) -> ColumnElement[bool]:
    """The condition a signature meets to count on ``campaign_id``'s petition."""
    return (PetitionSignature.campaign_id == campaign_id) & (
        PetitionSignature.status == SignatureStatus.confirmed
    )


def total(session: Session, campaign_id: int) -> int:
    """Confirmed signatures on the campaign's petition."""
    query = select(func.count()).select_from(PetitionSignature).where(counted(campaign_id))
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class RidingCount:
    """Signatures from one riding, under the MP they counted for (None: a vacant seat)."""

    fed_num: int | None
    person_id: int | None
    signatures: int


def by_riding(session: Session, campaign_id: int) -> list[RidingCount]:
    """Confirmed signatures per riding and MP, most first (ties by riding number)."""
    n = func.count().label("n")
    rows = session.execute(
        select(PetitionSignature.fed_num, PetitionSignature.person_id, n)
        .where(counted(campaign_id))
        .group_by(PetitionSignature.fed_num, PetitionSignature.person_id)
    ).all()
    counts = [RidingCount(fed_num, person_id, int(count)) for fed_num, person_id, count in rows]
    return sorted(counts, key=lambda c: (-c.signatures, c.fed_num or 0, c.person_id or 0))
