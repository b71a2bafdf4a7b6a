"""Stored letters: the email settings, new message rows, lookups and counting.

Shared by submitting (``submit``), confirming (``confirmation``) and delivering
(``delivery``) letters. Domain code: no Flask; functions flush but do not commit.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callmp.db import Base, utcnow
from callmp.letters import smtp
from callmp.models import (
    Campaign,
    Channel,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    Outcome,
)

#: Letters that count as "already written" for the duplicate check.
LIVE = (MessageStatus.held, MessageStatus.queued, MessageStatus.sending, MessageStatus.sent)


@dataclass(frozen=True)
class MailSettings:
    """Email limits and periods (from the app config)."""

    secret: str
    default_from: str = "campaigns@callmp.invalid"
    public_url: str = "http://127.0.0.1:5000"
    confirm_hours: int = 48
    reminder_hours: int = 24
    retry_hours: int = 48
    duplicate_hours: int = 24
    retention_days: int = 30
    max_per_ip_per_hour: int = 20
    identical_nudge: int = 5
    # Retention of the other personal fields (callmp/supporters/retention.py).
    call_retention_days: int = 30
    ip_hash_retention_days: int = 30
    consent_proof_days: int = 1095

    @cached_property
    def hmac_key(self) -> bytes:
        """Key of the HMACs kept for addresses and IPs (derived from the secret once)."""
        return hmac.new(self.secret.encode(), b"callmp email addresses", hashlib.sha256).digest()


def keyed_hash(value: str, settings: MailSettings) -> str:
    """HMAC of an address or IP: enough to spot repeats, useless to recover it."""
    return hmac.new(settings.hmac_key, value.casefold().encode(), hashlib.sha256).hexdigest()


def from_address(campaign: Campaign, settings: MailSettings) -> str:
    """The address the campaign's mail comes from."""
    return campaign.email_from_address or settings.default_from


def message_values(
    *,
    campaign_id: int,
    kind: MessageKind,
    status: MessageStatus,
    sender: str,
    from_name: str,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    locale: str,
    now: datetime,
) -> dict[str, Any]:
    """The columns of a stored message with all its headers (a new Message-ID each time)."""
    return {
        "campaign_id": campaign_id,
        "kind": kind,
        "locale": locale,
        "from_name": from_name,
        "from_address": sender,
        "to_name": to_name,
        "to_address": to_address,
        "subject": subject,
        "body": body,
        "message_id": smtp.new_message_id(sender),
        "status": status,
        "queued_at": now if status == MessageStatus.queued else None,
    }


def new_message(
    submission: EmailSubmission,
    *,
    kind: MessageKind,
    status: MessageStatus,
    sender: str,
    from_name: str,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    locale: str,
    now: datetime,
) -> EmailMessage:
    """A stored message with all its headers."""
    values = message_values(
        campaign_id=submission.campaign_id,
        kind=kind,
        status=status,
        sender=sender,
        from_name=from_name,
        to_name=to_name,
        to_address=to_address,
        subject=subject,
        body=body,
        locale=locale,
        now=now,
    )
    return EmailMessage(submission=submission, **values)


@dataclass(frozen=True)
class QueuedLetter:
    """A letter message now in the queue: what its contact event records."""

    message_id: int
    target_id: int | None
    person_id: int | None


#: One statement for all of a letter's contact events, per dialect: the table itself
#: (Core), so neither the unit of work nor a statement built per request is involved.
_EVENTS: dict[str, Insert] = {
    "postgresql": postgresql.insert(
        Base.metadata.tables["contact_events"]
    ).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(Base.metadata.tables["contact_events"]).on_conflict_do_nothing(),
}


def record_queued(
    session: Session,
    *,
    campaign_id: int,
    fed_num: int | None,
    referral: str,
    share_source: str,
    queued: Sequence[QueuedLetter],
) -> None:
    """One contact event per letter now in the queue (replays insert nothing)."""
    if not queued:
        return
    # One time for the whole letter: its events then share their half-hour running total,
    # so concurrent confirmations lock the totals in the same order (no deadlock).
    now = utcnow()
    rows = [
        {
            "campaign_id": campaign_id,
            "target_id": letter.target_id,
            "person_id": letter.person_id,
            "fed_num": fed_num,
            "channel": Channel.email,
            "outcome": Outcome.queued,
            "referral": referral,
            "share_source": share_source,
            "email_message_id": letter.message_id,
            "dedupe_key": f"e:{letter.message_id}",
            "created_at": now,
        }
        for letter in queued
    ]
    session.execute(_EVENTS[session.get_bind().dialect.name], rows)


def count_queued(session: Session, submission: EmailSubmission) -> None:
    """One contact event per letter of ``submission`` now in the queue."""
    record_queued(
        session,
        campaign_id=submission.campaign_id,
        fed_num=submission.fed_num,
        referral=submission.referral,
        share_source=submission.share_source,
        queued=[
            QueuedLetter(message.id, message.target_id, message.person_id)
            for message in submission.messages
            if message.kind == MessageKind.letter and message.status == MessageStatus.queued
        ],
    )


def recipient_names(submission: EmailSubmission) -> list[str]:
    """The names of the people this letter goes to (not those already written to)."""
    return [
        m.to_name
        for m in submission.messages
        if m.kind == MessageKind.letter and m.status != MessageStatus.duplicate
    ]


def recipients_line(submission: EmailSubmission) -> str:
    """The names of the letter's recipients, for the supporter's messages."""
    return ", ".join(recipient_names(submission))


def queued_ids(submission: EmailSubmission) -> list[int]:
    """Ids of the submission's messages waiting in the queue."""
    return [m.id for m in submission.messages if m.status == MessageStatus.queued]


def by_public_id(session: Session, public_id: str) -> EmailSubmission | None:
    """The submission with this public id."""
    return session.scalars(
        select(EmailSubmission).where(EmailSubmission.public_id == public_id)
    ).first()
