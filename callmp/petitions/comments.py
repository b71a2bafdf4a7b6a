"""Constituents' comments for their MP's delivery, named only with the signer's consent.

Domain code: no Flask. Only counted signatures; only those confirmed since the MP's
previous delivery; the newest first, capped so one message stays readable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from callmp.models import (
    EmailMessage,
    MessageKind,
    MessageStatus,
    PetitionDelivery,
    PetitionDeliveryRecipient,
    PetitionSignature,
)
from callmp.petitions import counts
from callmp.petitions.delivery_mail import COMMENT_MAX, MAX_COMMENTS, Comment, one_line


def last_sent(session: Session, campaign_id: int, key: str, before: int) -> datetime | None:
    """When ``key`` was last delivered to before round ``before``."""
    return session.scalar(
        select(func.max(PetitionDelivery.created_at))
        .join(
            PetitionDeliveryRecipient, PetitionDeliveryRecipient.delivery_id == PetitionDelivery.id
        )
        .where(
            PetitionDeliveryRecipient.campaign_id == campaign_id,
            PetitionDeliveryRecipient.recipient_key == key,
            PetitionDelivery.id < before,
        )
    )


def for_riding(
    session: Session, campaign_id: int, fed_num: int, since: datetime | None
) -> tuple[list[Comment], int]:
    """The riding's comments confirmed since ``since`` (newest first, capped) and how many
    more there are; a name and city only for signers who agreed to share them."""
    query = select(PetitionSignature).where(
        counts.counted(campaign_id),
        PetitionSignature.fed_num == fed_num,
        PetitionSignature.comment != "",
    )
    if since is not None:
        query = query.where(PetitionSignature.confirmed_at > since)
    rows = session.scalars(
        query.order_by(PetitionSignature.confirmed_at.desc(), PetitionSignature.id.desc()).limit(
            MAX_COMMENTS + 1
        )
    ).all()
    found = []
    for signature in rows[:MAX_COMMENTS]:
        text = one_line(signature.comment, COMMENT_MAX)
        if not text:
            continue
        if signature.share_with_target:
            found.append(
                Comment(text, one_line(signature.name, 100), one_line(signature.city, 100))
            )
        else:
            found.append(Comment(text))
    more = 0
    if len(rows) > MAX_COMMENTS:
        total = select(func.count()).select_from(query.subquery())
        more = int(session.scalar(total) or 0) - MAX_COMMENTS
    return found, more


def purge_sent(session: Session, now: datetime, retention_days: int) -> int:
    """Erase the text of delivery messages sent or failed before the retention period:
    it quotes signers' comments (and names, for those who agreed). The counts stay in
    the recipients' rows; how many messages were erased."""
    cutoff = now - timedelta(days=retention_days)
    erased = session.execute(
        update(EmailMessage)
        .where(
            EmailMessage.kind == MessageKind.petition_delivery,
            EmailMessage.status.in_((MessageStatus.sent, MessageStatus.failed)),
            EmailMessage.created_at <= cutoff,
            EmailMessage.body.is_not(None),
        )
        .values(body=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(erased.rowcount or 0)  # type: ignore[attr-defined]


def scrub_signer(session: Session, signature: PetitionSignature) -> int:
    """Take a signer's comment line (and with it their name and city) out of the stored
    delivery messages that quoted it, as a privacy request's erasure must; how many
    messages changed. Call before the signature itself is cleared."""
    text = one_line(signature.comment, COMMENT_MAX)
    if not text:
        return 0  # no comment: the messages never named or quoted this signer
    who = ""
    if signature.share_with_target:
        name, city = one_line(signature.name, 100), one_line(signature.city, 100)
        who = ", ".join(part for part in (name, city) if part)
    opening = f"- {text} ("
    messages = session.scalars(
        select(EmailMessage).where(
            EmailMessage.campaign_id == signature.campaign_id,
            EmailMessage.kind == MessageKind.petition_delivery,
            EmailMessage.body.is_not(None),
        )
    ).all()
    changed = 0
    for message in messages:
        lines = (message.body or "").split("\n")
        kept = [
            line
            for line in lines
            if not (line.startswith(opening) and (not who or line.endswith(f"({who})")))
        ]
        if len(kept) != len(lines):
            message.body = "\n".join(kept)
            changed += 1
    return changed
