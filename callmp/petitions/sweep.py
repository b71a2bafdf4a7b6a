"""The petition's part of the mail sweep: remind once, expire, purge.

Domain code: no Flask; flushes, never commits. Called from ``letters.delivery.sweep``, so
the one periodic mail job keeps letters and signatures on the same schedule and the same
retention period (``EMAIL_RETENTION_DAYS``). A purge clears what names a person (name,
address, postal code, city, comment, the connection's HMAC) and the confirmation emails
that carried it; the riding, the MP, the referral, the share source and the status stay,
so the counts outlive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from callmp.db import rare
from callmp.letters.records import MailSettings
from callmp.models import (
    Campaign,
    EmailMessage,
    MessageKind,
    MessageStatus,
    PetitionSignature,
    SignatureStatus,
)
from callmp.petitions import confirmation


@dataclass
class PetitionSweep:
    """What one sweep did to signatures."""

    due: list[int] = field(default_factory=list)  # reminder message ids to queue
    reminded: int = 0
    expired: int = 0
    purged: int = 0


def sweep(session: Session, settings: MailSettings, now: datetime) -> PetitionSweep:
    """Remind, expire and purge signatures as their periods end."""
    result = PetitionSweep()
    _remind(session, settings, now, result)
    result.expired = expire(session, settings, now)
    result.purged = purge(session, settings, now)
    return result


def _remind(session: Session, settings: MailSettings, now: datetime, out: PetitionSweep) -> None:
    """One reminder to signers who haven't confirmed after ``reminder_hours``."""
    waiting = session.scalars(
        select(PetitionSignature).where(
            rare(PetitionSignature.status == SignatureStatus.awaiting_confirmation),
            PetitionSignature.reminded_at.is_(None),
            PetitionSignature.created_at <= now - timedelta(hours=settings.reminder_hours),
            PetitionSignature.created_at > now - timedelta(hours=settings.confirm_hours),
        )
    ).all()
    for signature in waiting:
        moved = session.execute(
            update(PetitionSignature)
            .where(PetitionSignature.id == signature.id, PetitionSignature.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        campaign = session.get(Campaign, signature.campaign_id)
        if moved.rowcount != 1 or campaign is None:  # type: ignore[attr-defined]
            continue  # another sweeper got there first
        reminder = confirmation.confirmation_message(
            campaign, signature, settings, now, reminder=True
        )
        session.add(reminder)
        session.flush()
        out.due.append(reminder.id)
        out.reminded += 1


def expire(session: Session, settings: MailSettings, now: datetime) -> int:
    """Signatures never confirmed in time expire: never counted; the address may sign again."""
    moved = session.execute(
        update(PetitionSignature)
        .where(
            rare(PetitionSignature.status == SignatureStatus.awaiting_confirmation),
            PetitionSignature.created_at <= now - timedelta(hours=settings.confirm_hours),
        )
        .values(status=SignatureStatus.expired)
        .execution_options(synchronize_session=False)
    )
    return int(moved.rowcount or 0)  # type: ignore[attr-defined]


def purge(session: Session, settings: MailSettings, now: datetime) -> int:
    """Clear signers' personal data after the retention period; the counts stay."""
    cutoff = now - timedelta(days=settings.retention_days)
    sending = (MessageStatus.queued, MessageStatus.sending)
    busy = select(EmailMessage.signature_id).where(
        EmailMessage.signature_id.is_not(None), rare(EmailMessage.status.in_(sending))
    )
    old = list(
        session.scalars(
            select(PetitionSignature.id).where(
                PetitionSignature.purged_at.is_(None),
                PetitionSignature.created_at <= cutoff,
                PetitionSignature.id.not_in(busy),  # never erase what a worker still sends
            )
        )
    )
    if not old:
        return 0
    # The confirmation emails carry the address and the name.
    session.execute(
        delete(EmailMessage)
        .where(
            # Rare: through its own index, not a read of every letter's message.
            rare(EmailMessage.signature_id.in_(old)),
            EmailMessage.kind == MessageKind.petition_confirmation,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(PetitionSignature)
        .where(PetitionSignature.id.in_(old))
        .values(name="", email=None, postal_code="", city="", comment="", ip_hmac="", purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(old)
