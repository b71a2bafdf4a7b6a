"""Delivering stored messages: claim, send, record the result; sweep, remind, expire, purge.

Domain code: no Flask. The ``EmailMessage`` row is the source of truth: a worker claims
a message with one conditional UPDATE, so two workers (or a retried job and the
sweeper) never both send it; the result moves it on with another conditional UPDATE.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from callmp.db import rare
from callmp.letters import confirmation, smtp
from callmp.letters.records import MailSettings
from callmp.models import (
    Campaign,
    ContactEvent,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    Outcome,
    SubmissionStatus,
)
from callmp.petitions import sweep as petition_sweep
from callmp.supporters import retention, unsubscribe

log = logging.getLogger(__name__)

#: Longest wait between two tries at sending one message, in seconds.
MAX_BACKOFF_S = 3600


def backoff(attempts: int) -> int:
    """Seconds before try ``attempts + 1``: 30, 60, 120 ... up to an hour."""
    return int(min(MAX_BACKOFF_S, 30 * 2 ** max(0, attempts - 1)))


def claim(session: Session, message_id: int, now: datetime) -> EmailMessage | None:
    """Take a queued message that is due, for this worker alone; None if it isn't ours."""
    moved = session.execute(
        update(EmailMessage)
        .where(
            EmailMessage.id == message_id,
            EmailMessage.status == MessageStatus.queued,
            (EmailMessage.next_try_at.is_(None)) | (EmailMessage.next_try_at <= now),
        )
        .values(
            status=MessageStatus.sending,
            claimed_at=now,
            attempts=EmailMessage.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return None
    message = session.get(EmailMessage, message_id, populate_existing=True)
    return message


def outgoing(message: EmailMessage, public_url: str = "") -> smtp.OutgoingMail:
    """The message's headers and text, ready to build (with the supporter's one-click
    unsubscribe when a consent of theirs stands and ``public_url`` is given)."""
    mail = smtp.OutgoingMail(
        message_id=message.message_id,
        from_name=message.from_name,
        from_address=message.from_address,
        to_name=message.to_name,
        to_address=message.to_address or "",
        reply_to_name=message.reply_to_name,
        reply_to_address=message.reply_to_address,
        subject=message.subject,
        body=message.body or "",
        locale=message.locale,
    )
    return unsubscribe.with_link(mail, message, public_url)


def _finish(
    session: Session, message: EmailMessage, status: MessageStatus, now: datetime, error: str = ""
) -> None:
    """Move a claimed message to its final status, and its contact event with it."""
    session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == message.id, EmailMessage.status == MessageStatus.sending)
        .values(
            status=status,
            error=error[:300],
            sent_at=now if status == MessageStatus.sent else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if message.kind == MessageKind.letter:
        outcome = Outcome.sent if status == MessageStatus.sent else Outcome.failed
        session.execute(
            update(ContactEvent)
            .where(ContactEvent.email_message_id == message.id)
            .values(outcome=outcome)
            .execution_options(synchronize_session=False)
        )


def sent(session: Session, message: EmailMessage, now: datetime) -> None:
    """The mail server accepted the message."""
    _finish(session, message, MessageStatus.sent, now)


def failed(session: Session, message: EmailMessage, now: datetime, reason: str) -> None:
    """The message will not go: a permanent refusal, or retries ran out."""
    log.warning("Email message %s failed: %s", message.id, reason)
    _finish(session, message, MessageStatus.failed, now, reason)


def retry_later(
    session: Session, message: EmailMessage, now: datetime, reason: str, settings: MailSettings
) -> int | None:
    """A temporary failure: seconds until the next try, or None when the period is over."""
    started = message.queued_at or message.created_at
    if now - started >= timedelta(hours=settings.retry_hours):
        failed(session, message, now, f"gave up after {message.attempts} tries: {reason}")
        return None
    delay = backoff(message.attempts)
    session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == message.id, EmailMessage.status == MessageStatus.sending)
        .values(
            status=MessageStatus.queued,
            error=reason[:300],
            next_try_at=now + timedelta(seconds=delay),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return delay


@dataclass
class SweepResult:
    """What one sweep did."""

    due: list[int] = field(default_factory=list)  # message ids to hand to the queue
    reminded: int = 0
    expired: int = 0
    purged: int = 0


def sweep(
    session: Session, settings: MailSettings, now: datetime, stuck_after_s: int
) -> SweepResult:
    """Find due and stuck messages, send reminders, expire unconfirmed letters, purge old data."""
    result = SweepResult()
    stuck = now - timedelta(seconds=stuck_after_s)
    # A worker that died mid-send: the message goes back to the queue.
    session.execute(
        update(EmailMessage)
        .where(rare(EmailMessage.status == MessageStatus.sending), EmailMessage.claimed_at <= stuck)
        .values(status=MessageStatus.queued, next_try_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    due = select(EmailMessage.id).where(
        rare(EmailMessage.status == MessageStatus.queued),
        (EmailMessage.next_try_at <= now)
        | (EmailMessage.next_try_at.is_(None) & (EmailMessage.updated_at <= stuck)),
    )
    result.due = list(session.scalars(due.order_by(EmailMessage.id)))
    _remind(session, settings, now, result)
    _expire(session, settings, now, result)
    result.purged = purge(session, settings, now)
    retention.purge(session, retention.from_mail_settings(settings), now)
    # Petition signatures: the same reminders, expiry and retention period as letters.
    signatures = petition_sweep.sweep(session, settings, now)
    result.due.extend(signatures.due)
    result.reminded += signatures.reminded
    result.expired += signatures.expired
    result.purged += signatures.purged
    return result


def _remind(session: Session, settings: MailSettings, now: datetime, result: SweepResult) -> None:
    """One reminder to supporters who haven't confirmed after ``reminder_hours``."""
    waiting = session.scalars(
        select(EmailSubmission).where(
            EmailSubmission.status == SubmissionStatus.awaiting_confirmation,
            EmailSubmission.reminded_at.is_(None),
            EmailSubmission.created_at <= now - timedelta(hours=settings.reminder_hours),
            EmailSubmission.created_at > now - timedelta(hours=settings.confirm_hours),
        )
    ).all()
    for submission in waiting:
        moved = session.execute(
            update(EmailSubmission)
            .where(EmailSubmission.id == submission.id, EmailSubmission.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another sweeper got there first
        campaign = session.get(Campaign, submission.campaign_id)
        if campaign is None:
            continue
        reminder = confirmation.confirmation_message(
            campaign, submission, settings, now, MessageKind.reminder
        )
        session.add(reminder)
        session.flush()
        result.due.append(reminder.id)
        result.reminded += 1


def _expire(session: Session, settings: MailSettings, now: datetime, result: SweepResult) -> None:
    """Letters never confirmed in time expire: nothing was sent to any target."""
    old = select(EmailSubmission.id).where(
        EmailSubmission.status == SubmissionStatus.awaiting_confirmation,
        EmailSubmission.created_at <= now - timedelta(hours=settings.confirm_hours),
    )
    ids = list(session.scalars(old))
    if not ids:
        return
    session.execute(
        update(EmailSubmission)
        .where(
            EmailSubmission.id.in_(ids),
            EmailSubmission.status == SubmissionStatus.awaiting_confirmation,
        )
        .values(status=SubmissionStatus.expired)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(EmailMessage)
        .where(EmailMessage.submission_id.in_(ids), EmailMessage.status == MessageStatus.held)
        .values(status=MessageStatus.expired, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result.expired = len(ids)


def purge(session: Session, settings: MailSettings, now: datetime) -> int:
    """Erase letters, names, addresses and postal codes after the retention period.

    The counts and each letter's riding stay. Supporters who ticked the follow-up box
    keep their name and address (that is what they agreed to); their letter text and
    postal code go like everyone else's.
    """
    cutoff = now - timedelta(days=settings.retention_days)
    old = list(
        session.scalars(
            select(EmailSubmission.id).where(
                EmailSubmission.created_at <= cutoff,
                EmailSubmission.purged_at.is_(None),
                # Never erase what a worker still has to send.
                ~EmailSubmission.messages.any(
                    EmailMessage.status.in_((MessageStatus.queued, MessageStatus.sending))
                ),
            )
        )
    )
    if not old:
        return 0
    session.execute(
        update(EmailMessage)
        .where(EmailMessage.submission_id.in_(old))
        .values(body=None, reply_to_address=None, reply_to_name="", from_name="", subject="")
        .execution_options(synchronize_session=False)
    )
    # Messages to the supporter carry their address as the recipient.
    session.execute(
        delete(EmailMessage)
        .where(EmailMessage.submission_id.in_(old), EmailMessage.kind != MessageKind.letter)
        .execution_options(synchronize_session=False)
    )
    for consenting in (False, True):
        # The postal code can name a single building: it goes for everyone. The riding
        # (fed_num) stays, which is all the counts and a follow-up need.
        values: dict[str, object] = {
            "personal_line": "",
            "city": "",
            "postal_code": "",
            "purged_at": now,
        }
        if not consenting:
            values.update(name="", email=None)
        session.execute(
            update(EmailSubmission)
            .where(
                EmailSubmission.id.in_(old),
                EmailSubmission.consent_followup.is_(consenting),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return len(old)
