"""Email use cases: store a supporter's letter, confirm it, and follow each message.

Domain code: no Flask. Functions flush but do not commit. A submission holds the
supporter's letter; each recipient gets one ``EmailMessage`` row carrying every header,
which the queue claims with one atomic UPDATE (``queued`` -> ``sending``) so a retried
job never sends it twice. Each letter to a target is one ``ContactEvent`` (dedupe key
``e:<message id>``), queued first and then sent or failed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from callmp import mail
from callmp.db import insert_once
from callmp.i18n import N_, InputError, translator
from callmp.letters import Letter, Supporter
from callmp.models import (
    Campaign,
    Channel,
    ContactEvent,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    Outcome,
    SubmissionStatus,
)

TOKEN_SALT = "callmp email confirmation"  # noqa: S105 - a namespace, not a secret
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

    @property
    def hmac_key(self) -> bytes:
        """Key of the HMACs kept for addresses and IPs (derived from the secret)."""
        return hmac.new(self.secret.encode(), b"callmp email addresses", hashlib.sha256).digest()


class LetterRefused(InputError):
    """A letter we won't take; ``status`` is the HTTP status to answer with."""

    status: int = 400


def keyed_hash(value: str, settings: MailSettings) -> str:
    """HMAC of an address or IP: enough to spot repeats, useless to recover it."""
    return hmac.new(settings.hmac_key, value.casefold().encode(), hashlib.sha256).hexdigest()


def identical_count(session: Session, campaign_id: int, fingerprint: str) -> int:
    """How many letters in the campaign used exactly these words (confirmed or sending)."""
    query = select(func.count()).where(
        EmailSubmission.campaign_id == campaign_id,
        EmailSubmission.fingerprint == fingerprint,
        EmailSubmission.status == SubmissionStatus.queued,
    )
    return int(session.scalar(query) or 0)


def already_written(
    session: Session, campaign_id: int, email_hmac: str, person_ids: Sequence[int], since: datetime
) -> set[int]:
    """The people among ``person_ids`` this address already wrote to since ``since``."""
    query = (
        select(EmailMessage.person_id)
        .join(EmailSubmission, EmailMessage.submission_id == EmailSubmission.id)
        .where(
            EmailSubmission.campaign_id == campaign_id,
            EmailSubmission.email_hmac == email_hmac,
            EmailSubmission.created_at >= since,
            EmailMessage.kind == MessageKind.letter,
            EmailMessage.person_id.in_(person_ids),
            EmailMessage.status.in_(LIVE),
        )
    )
    return {pid for pid in session.scalars(query) if pid is not None}


def from_address(campaign: Campaign, settings: MailSettings) -> str:
    """The address the campaign's mail comes from."""
    return campaign.email_from_address or settings.default_from


def _message(
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
        message_id=mail.new_message_id(sender),
        status=status,
        queued_at=now if status == MessageStatus.queued else None,
    )


def submit(
    session: Session,
    campaign: Campaign,
    letters_: Sequence[Letter],
    *,
    supporter: Supporter,
    email: str,
    personal_line: str,
    fingerprint: str,
    fed_num: int,
    consent_followup: bool,
    referral: str,
    ip: str,
    settings: MailSettings,
    now: datetime,
) -> EmailSubmission:
    """Store a letter: held for confirmation, or queued at once. Raises LetterRefused."""
    if not letters_:
        raise LetterRefused("no_recipient", N_("None of these people has an email address."))
    ip_key = keyed_hash("ip:" + ip, settings) if ip else ""
    if ip_key:
        recent = select(func.count()).where(
            EmailSubmission.campaign_id == campaign.id,
            EmailSubmission.ip_hmac == ip_key,
            EmailSubmission.created_at >= now - timedelta(hours=1),
        )
        if int(session.scalar(recent) or 0) >= settings.max_per_ip_per_hour:
            error = LetterRefused(
                "ip_limit",
                N_("Too many letters were sent from this connection. Please try again later."),
            )
            error.status = 429
            raise error
    if (
        campaign.email_block_identical
        and not personal_line
        and identical_count(session, campaign.id, fingerprint) >= settings.identical_nudge
    ):
        raise LetterRefused(
            "identical",
            N_("Many people already sent these exact words. Please add a line of your own."),
        )
    email_key = keyed_hash(email, settings)
    person_ids = [letter.item.person.id for letter in letters_ if letter.item.person is not None]
    since = now - timedelta(hours=settings.duplicate_hours)
    done = already_written(session, campaign.id, email_key, person_ids, since)
    fresh = [
        letter
        for letter in letters_
        if letter.item.person is not None and letter.item.person.id not in done
    ]
    if not fresh:
        error = LetterRefused(
            "duplicate",
            N_(
                "You already wrote to them from this address recently. "
                "Thank you! One letter each is what counts."
            ),
        )
        error.status = 409
        raise error
    confirm = campaign.email_confirm
    submission = EmailSubmission(
        public_id=secrets.token_urlsafe(16),
        campaign_id=campaign.id,
        fed_num=fed_num,
        locale=supporter.locale,
        referral=referral[:64],
        name=supporter.name,
        email=email,
        email_hmac=email_key,
        ip_hmac=ip_key,
        postal_code=supporter.postal_code,
        city=supporter.city,
        personal_line=personal_line,
        consent_followup=consent_followup,
        fingerprint=fingerprint,
        status=SubmissionStatus.awaiting_confirmation if confirm else SubmissionStatus.queued,
        confirmed_at=None if confirm else now,
        created_at=now,
    )
    session.add(submission)
    sender = from_address(campaign, settings)
    for position, letter in enumerate(letters_):
        skip = letter not in fresh
        message = _message(
            submission,
            kind=MessageKind.letter,
            status=MessageStatus.duplicate
            if skip
            else (MessageStatus.held if confirm else MessageStatus.queued),
            sender=sender,
            from_name=supporter.name,
            to_name=letter.to_name,
            to_address=letter.to_address,
            subject=letter.subject,
            body=letter.body,
            locale=letter.locale,
            now=now,
        )
        message.target_id = letter.item.target.id
        message.person_id = letter.item.person.id if letter.item.person else None
        message.position = position
        message.reply_to_name = supporter.name
        message.reply_to_address = email
        session.add(message)
    if confirm:
        session.add(
            confirmation_message(campaign, submission, settings, now, MessageKind.confirmation)
        )
    session.flush()
    if not confirm:
        count_queued(session, submission)
    return submission


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


def confirm_url(campaign: Campaign, submission: EmailSubmission, settings: MailSettings) -> str:
    """The signed, expiring link that confirms ``submission``."""
    token = URLSafeTimedSerializer(settings.secret, salt=TOKEN_SALT).dumps(submission.public_id)
    return f"{settings.public_url.rstrip('/')}/c/{campaign.slug}/emails/confirm/{token}"


def confirmation_message(
    campaign: Campaign,
    submission: EmailSubmission,
    settings: MailSettings,
    now: datetime,
    kind: MessageKind,
) -> EmailMessage:
    """The message asking the supporter to confirm their address (or the one reminder)."""
    translate = translator(submission.locale)
    title = campaign.text("title", submission.locale)
    lines = [
        translate(N_("Hello %(name)s,")) % {"name": submission.name},
        translate(
            N_(
                "Please confirm your email address so that your letter to %(recipients)s "
                "can be sent. Open this link and press the button:"
            )
        )
        % {"recipients": recipients_line(submission)},
        confirm_url(campaign, submission, settings),
        translate(
            N_(
                "The link works for %(hours)s hours. If you did not write this letter, "
                "ignore this message: nothing will be sent."
            )
        )
        % {"hours": settings.confirm_hours},
        "— " + title,
    ]
    subject = (
        translate(N_("Reminder: confirm your letter"))
        if kind == MessageKind.reminder
        else translate(N_("Confirm your letter"))
    )
    return _message(
        submission,
        kind=kind,
        status=MessageStatus.queued,
        sender=from_address(campaign, settings),
        from_name=title[:200],
        to_name=submission.name,
        to_address=submission.email or "",
        subject=f"{subject}: {title}"[:300],
        body="\n\n".join(lines) + "\n",
        locale=submission.locale,
        now=now,
    )


def count_queued(session: Session, submission: EmailSubmission) -> None:
    """One contact event per letter now in the queue (replays insert nothing)."""
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
                "email_message_id": message.id,
                "dedupe_key": f"e:{message.id}",
            },
        )


class ConfirmError(InputError):
    """A confirmation link that does not confirm anything."""


def find_by_token(
    session: Session, token: str, settings: MailSettings, now: datetime
) -> EmailSubmission:
    """The submission a confirmation link names; ConfirmError if tampered, expired or unknown."""
    serializer = URLSafeTimedSerializer(settings.secret, salt=TOKEN_SALT)
    expired = ConfirmError(
        "expired", N_("This link has expired. Your letter was not sent; please write again.")
    )
    try:
        public_id = serializer.loads(token, max_age=settings.confirm_hours * 3600)
    except SignatureExpired as error:
        raise expired from error
    except BadSignature as error:
        raise ConfirmError(
            "invalid", N_("This link is not valid. Please copy the whole link from the email.")
        ) from error
    submission = by_public_id(session, str(public_id))
    if submission is None:
        raise ConfirmError("invalid", N_("This link is not valid."))
    if submission.status == SubmissionStatus.expired or (
        submission.status == SubmissionStatus.awaiting_confirmation
        and submission.created_at + timedelta(hours=settings.confirm_hours) < now
    ):
        raise expired
    return submission


def confirm(
    session: Session, token: str, settings: MailSettings, now: datetime
) -> tuple[EmailSubmission, bool]:
    """Confirm the submission a link names: (submission, True if this click confirmed it).

    Raises ConfirmError for tampered, expired or unknown links; a second click on a good
    link returns False and sends nothing again.
    """
    submission = find_by_token(session, token, settings, now)
    session.flush()
    # One conditional UPDATE: of two clicks at once, exactly one confirms.
    moved = session.execute(
        update(EmailSubmission)
        .where(
            EmailSubmission.id == submission.id,
            EmailSubmission.status == SubmissionStatus.awaiting_confirmation,
        )
        .values(status=SubmissionStatus.queued, confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return submission, False
    session.execute(
        update(EmailMessage)
        .where(
            EmailMessage.submission_id == submission.id,
            EmailMessage.status == MessageStatus.held,
        )
        .values(status=MessageStatus.queued, queued_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    count_queued(session, submission)
    return submission, True


def queued_ids(submission: EmailSubmission) -> list[int]:
    """Ids of the submission's messages waiting in the queue."""
    return [m.id for m in submission.messages if m.status == MessageStatus.queued]


def by_public_id(session: Session, public_id: str) -> EmailSubmission | None:
    """The submission with this public id."""
    return session.scalars(
        select(EmailSubmission).where(EmailSubmission.public_id == public_id)
    ).first()
