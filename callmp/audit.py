"""The audit log: who changed what, when. Domain code, no Flask."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import AuditEntry, Campaign, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    summary: str,
    *,
    campaign: Campaign | None = None,
    user: User | None = None,
    object_type: str = "",
    object_id: int | None = None,
) -> AuditEntry:
    """Add one entry; ``action`` is a dotted name such as ``campaign.publish``.

    ``summary`` is a short sentence for staff; it never holds a supporter's data.
    """
    if user is not None and not object_type:
        object_type, object_id = "user", user.id
    elif campaign is not None and not object_type:
        object_type, object_id = "campaign", campaign.id
    entry = AuditEntry(
        user_id=actor.id if actor else None,
        user_label=actor.label if actor else "command line",
        action=action,
        object_type=object_type,
        object_id=object_id,
        campaign_id=campaign.id if campaign else None,
        summary=summary[:2000],
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session, *, campaign_id: int | None = None, limit: int = 200, before: int | None = None
) -> list[AuditEntry]:
    """The newest entries first (of one campaign if given), ``limit`` at a time."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if campaign_id is not None:
        query = query.where(AuditEntry.campaign_id == campaign_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return list(session.scalars(query))
