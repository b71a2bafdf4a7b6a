"""Stored letters: the email settings, new message rows, lookups and counting.

Shared by submitting (``submit``), confirming (``confirmation``) and delivering
(``delivery``) letters. Domain code: no Flask; functions flush but do not commit.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.db import insert_once, utcnow
from callmp.letters import smtp
from callmp.models import (
    Campaign,
    Channel,
    ContactEvent,
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

    @property
    def hmac_key(self) -> bytes:
        """Key of the HMACs kept for addresses and IPs (derived from the secret)."""
        return hmac.new(self.secret.encode(), b"callmp email addresses", hashlib.sha256).digest()


def keyed_hash(value: str, settings: MailSettings) -> str:
    """HMAC of an address or IP: enough to spot repeats, useless to recover it."""
    return hmac.new(settings.hmac_key, value.casefold().encode(), hashlib.sha256).hexdigest()


def from_address(campaign: Campaign, settings: MailSettings) -> str:
    """The address the campaign's mail comes from."""
    return campaign.email_from_address or settings.default_from


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
    return EmailMessage(
        submission=submission,
        campaign_id=submission.campaign_id,
        kind=kind,
        locale=locale,
        from_name=from_name,
        from_address=sender,
        to_name=to_name,
        to_address=to_address,
        subject=subject,
        body=body,
        message_id=smtp.new_message_id(sender),
        status=status,
        queued_at=now if status == MessageStatus.queued else None,
    )


def count_queued(session: Session, submission: EmailSubmission) -> None:
    """One contact event per letter now in the queue (replays insert nothing)."""
    # One time for the whole letter: its events then share their half-hour running total,
    # so concurrent confirmations lock the totals in the same order (no deadlock).
    now = utcnow()
    for message in submission.messages:
        if message.kind != MessageKind.letter or message.status != MessageStatus.queued:
            continue
        insert_once(
            session,
            ContactEvent,
            {
                "campaign_id": submission.campaign_id,
                "target_id": message.target_id,
                "person_id": message.person_id,
                "fed_num": submission.fed_num,
                "channel": Channel.email,
                "outcome": Outcome.queued,
                "referral": submission.referral,
                "share_source": submission.share_source,
                "email_message_id": message.id,
                "dedupe_key": f"e:{message.id}",
                "created_at": now,
            },
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
