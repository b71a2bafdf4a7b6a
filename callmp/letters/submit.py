"""Email use cases: check and store a supporter's letter, one message per target.

Domain code: no Flask. Functions flush but do not commit. A submission holds the
supporter's letter; each recipient gets one ``EmailMessage`` row carrying every header,
which the queue claims with one atomic UPDATE (``queued`` -> ``sending``) so a retried
job never sends it twice. Each letter to a target is one ``ContactEvent`` (dedupe key
``e:<message id>``), queued first and then sent or failed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.db import lock_keys
from callmp.i18n import N_, InputError
from callmp.letters import confirmation
from callmp.letters.compose import Letter, Supporter
from callmp.letters.records import (
    LIVE,
    MailSettings,
    count_queued,
    from_address,
    keyed_hash,
    new_message,
)
from callmp.models import (
    Campaign,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    SubmissionStatus,
)


class LetterRefused(InputError):
    """A letter we won't take; ``status`` is the HTTP status to answer with."""

    status: int = 400


def identical_count(
    session: Session, campaign_id: int, fingerprint: str, up_to: int | None = None
) -> int:
    """How many letters in the campaign used exactly these words (confirmed or sending).

    With ``up_to``, counting stops there: a yes-or-no check then reads at most that many
    index entries, however many thousands sent the campaign's own words.
    """
    matching = select(EmailSubmission.id).where(
        EmailSubmission.campaign_id == campaign_id,
        EmailSubmission.fingerprint == fingerprint,
        EmailSubmission.status == SubmissionStatus.queued,
    )
    if up_to is not None:
        matching = matching.limit(up_to)
    return int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)


def sent_from_ip(session: Session, ip_key: str, since: datetime) -> int:
    """Letters of every campaign sent from the connection ``ip_key`` since ``since``.

    Every campaign together: more campaigns must not multiply the limit.
    """
    query = select(func.count()).where(
        EmailSubmission.ip_hmac == ip_key, EmailSubmission.created_at >= since
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


@dataclass(frozen=True)
class LetterAsk:
    """A supporter's checked letters, one per target, with who writes and from where."""

    campaign: Campaign
    letters: Sequence[Letter]
    supporter: Supporter
    email: str
    personal_line: str
    fingerprint: str
    fed_num: int
    consent_followup: bool = False
    referral: str = ""
    share_source: str = ""  # a checked share channel (callmp.stats.share_sources), or ""
    ip: str = ""


def submit(
    session: Session, ask: LetterAsk, *, settings: MailSettings, now: datetime
) -> EmailSubmission:
    """Store a letter: held for confirmation, or queued at once. Raises LetterRefused."""
    campaign, letters_, supporter, email = ask.campaign, ask.letters, ask.supporter, ask.email
    personal_line, fingerprint, ip = ask.personal_line, ask.fingerprint, ask.ip
    if not letters_:
        raise LetterRefused("no_recipient", N_("None of these people has an email address."))
    ip_key = keyed_hash("ip:" + ip, settings) if ip else ""
    email_key = keyed_hash(email, settings)
    # The same letter sent twice at once (a double tap reaching two servers) would find
    # no earlier letter either time, and go twice: the second waits for the first here.
    # So do letters racing for the connection's last place or the words' last time before
    # the identical-letters nudge. Keys in one order: address, connection, words.
    blocks_identical = campaign.email_block_identical and not personal_line
    lock_keys(
        session,
        "letter-email:" + email_key,
        *(["letter-ip:" + ip_key] if ip_key else []),
        *([f"letter-words:{campaign.id}:{fingerprint}"] if blocks_identical else []),
    )
    hour_ago = now - timedelta(hours=1)
    if ip_key and sent_from_ip(session, ip_key, hour_ago) >= settings.max_per_ip_per_hour:
        error = LetterRefused(
            "ip_limit",
            N_("Too many letters were sent from this connection. Please try again later."),
        )
        error.status = 429
        raise error
    if (
        blocks_identical
        and identical_count(session, campaign.id, fingerprint, up_to=settings.identical_nudge)
        >= settings.identical_nudge
    ):
        raise LetterRefused(
            "identical",
            N_("Many people already sent these exact words. Please add a line of your own."),
        )
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
        fed_num=ask.fed_num,
        locale=supporter.locale,
        referral=ask.referral[:64],
        share_source=ask.share_source[:16],
        name=supporter.name,
        email=email,
        email_hmac=email_key,
        ip_hmac=ip_key,
        postal_code=supporter.postal_code,
        city=supporter.city,
        personal_line=personal_line,
        consent_followup=ask.consent_followup,
        fingerprint=fingerprint,
        status=SubmissionStatus.awaiting_confirmation if confirm else SubmissionStatus.queued,
        confirmed_at=None if confirm else now,
        created_at=now,
    )
    session.add(submission)
    sender = from_address(campaign, settings)
    for position, letter in enumerate(letters_):
        skip = letter not in fresh
        message = new_message(
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
            confirmation.confirmation_message(
                campaign, submission, settings, now, MessageKind.confirmation
            )
        )
    session.flush()
    if not confirm:
        count_queued(session, submission)
    return submission
