"""Email use cases: check and store a supporter's letter, one message per target.

Domain code: no Flask. Functions flush but do not commit. A submission holds the
supporter's letter; each recipient gets one ``EmailMessage`` row carrying every header,
which the queue claims with one atomic UPDATE (``queued`` -> ``sending``) so a retried
job never sends it twice. Each letter to a target is one ``ContactEvent`` (dedupe key
``e:<message id>``), queued first and then sent or failed.

Every letter runs the same few statements, built once (their compiled form is then
cached) and written through the tables themselves, not the unit of work: one SELECT for
all the checks (``checks``), one INSERT for the submission and one for all its messages.
The checks and the rows are done before the first write, so SQLite's write lock is held
only for the inserts and the commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from callmp.db import Base, lock_keys
from callmp.i18n import N_, InputError
from callmp.letters import confirmation
from callmp.letters.checks import run_checks
from callmp.letters.compose import Letter, Supporter
from callmp.letters.records import (
    MailSettings,
    QueuedLetter,
    from_address,
    keyed_hash,
    message_values,
    record_queued,
)
from callmp.models import Campaign, MessageKind, MessageStatus, SubmissionStatus


class LetterRefused(InputError):
    """A letter we won't take; ``status`` is the HTTP status to answer with."""

    status: int = 400


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
    # Count every earlier letter with the same words, for the answer (``Stored.identical``),
    # in the checks' own SELECT rather than in a statement of its own.
    count_identical: bool = False


@dataclass(frozen=True)
class Stored:
    """A stored letter: what the request answers with and hands to the queue."""

    id: int
    public_id: str
    status: SubmissionStatus
    recipients: list[str]  # names of the people it goes to (not those already written to)
    queued_ids: list[int]  # its messages now waiting in the queue, oldest first
    identical: int = 0  # earlier letters with the same words (with ``count_identical``)


_TABLES = Base.metadata.tables
_INSERT_SUBMISSION = (
    _TABLES["email_submissions"].insert().returning(_TABLES["email_submissions"].c.id)
)
# Message-IDs are unique: they pair each returned id with its row, so every message of a
# letter goes in one statement whatever order the database returns them in.
_INSERT_MESSAGES = (
    _TABLES["email_messages"]
    .insert()
    .returning(_TABLES["email_messages"].c.id, _TABLES["email_messages"].c.message_id)
)


def _refused(reason: str, message: str, status: int) -> LetterRefused:
    """A refusal answered with ``status``."""
    error = LetterRefused(reason, message)
    error.status = status
    return error


def _message_rows(
    ask: LetterAsk, fresh: Sequence[bool], public_id: str, settings: MailSettings, now: datetime
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of a letter's messages (one per target; ``fresh``: not written to already)
    and of its confirmation link, without their submission; and the recipients' names."""
    campaign, supporter, confirm = ask.campaign, ask.supporter, ask.campaign.email_confirm
    sender = from_address(campaign, settings)
    rows = []
    for position, (letter, go) in enumerate(zip(ask.letters, fresh, strict=True)):
        row = message_values(
            campaign_id=campaign.id,
            kind=MessageKind.letter,
            status=(MessageStatus.held if confirm else MessageStatus.queued)
            if go
            else MessageStatus.duplicate,
            sender=sender,
            from_name=supporter.name,
            to_name=letter.to_name,
            to_address=letter.to_address,
            subject=letter.subject,
            body=letter.body,
            locale=letter.locale,
            now=now,
        )
        row.update(
            target_id=letter.item.target.id,
            person_id=letter.item.person.id if letter.item.person else None,
            position=position,
            reply_to_name=supporter.name,
            reply_to_address=ask.email,
        )
        rows.append(row)
    recipients = [letter.to_name for letter, go in zip(ask.letters, fresh, strict=True) if go]
    if confirm:
        writer = confirmation.Writer(
            public_id=public_id,
            locale=supporter.locale,
            name=supporter.name,
            email=ask.email,
            recipients=", ".join(recipients),
        )
        note = confirmation.confirmation_values(
            campaign, writer, settings, now, MessageKind.confirmation
        )
        extra = {"target_id": None, "person_id": None, "position": 0}
        rows.append({**note, **extra, "reply_to_name": "", "reply_to_address": None})
    return rows, recipients


def submit(session: Session, ask: LetterAsk, *, settings: MailSettings, now: datetime) -> Stored:
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
    person_ids = [letter.item.person.id for letter in letters_ if letter.item.person is not None]
    checked = run_checks(
        session,
        campaign_id=campaign.id,
        ip_key=ip_key,
        email_key=email_key,
        fingerprint=fingerprint,
        person_ids=person_ids,
        now=now,
        settings=settings,
        identical="all" if ask.count_identical else "capped" if blocks_identical else "none",
    )
    if ip_key and checked.from_ip >= settings.max_per_ip_per_hour:
        raise _refused(
            "ip_limit",
            N_("Too many letters were sent from this connection. Please try again later."),
            429,
        )
    if blocks_identical and checked.identical >= settings.identical_nudge:
        raise LetterRefused(
            "identical",
            N_("Many people already sent these exact words. Please add a line of your own."),
        )
    fresh = [
        letter.item.person is not None and letter.item.person.id not in checked.written
        for letter in letters_
    ]
    if not any(fresh):
        raise _refused(
            "duplicate",
            N_(
                "You already wrote to them from this address recently. "
                "Thank you! One letter each is what counts."
            ),
            409,
        )
    confirm = campaign.email_confirm
    status = SubmissionStatus.awaiting_confirmation if confirm else SubmissionStatus.queued
    public_id = secrets.token_urlsafe(16)
    rows, recipients = _message_rows(ask, fresh, public_id, settings, now)
    # Everything is built: the write transaction (SQLite's lock) starts here.
    connection = session.connection()
    submission_id = connection.execute(
        _INSERT_SUBMISSION,
        {
            "public_id": public_id,
            "campaign_id": campaign.id,
            "fed_num": ask.fed_num,
            "locale": supporter.locale,
            "referral": ask.referral[:64],
            "share_source": ask.share_source[:16],
            "name": supporter.name,
            "email": email,
            "email_hmac": email_key,
            "ip_hmac": ip_key,
            "postal_code": supporter.postal_code,
            "city": supporter.city,
            "personal_line": personal_line,
            "consent_followup": ask.consent_followup,
            "fingerprint": fingerprint,
            "status": status,
            "confirmed_at": None if confirm else now,
            "created_at": now,
        },
    ).scalar_one()
    for row in rows:
        row["submission_id"] = submission_id
    ids = {message_id: row_id for row_id, message_id in connection.execute(_INSERT_MESSAGES, rows)}
    queued = [
        (ids[row["message_id"]], row) for row in rows if row["status"] == MessageStatus.queued
    ]
    queued.sort(key=lambda pair: pair[0])
    if not confirm:
        record_queued(
            session,
            campaign_id=campaign.id,
            fed_num=ask.fed_num,
            referral=ask.referral[:64],
            share_source=ask.share_source[:16],
            queued=[
                QueuedLetter(row_id, row["target_id"], row["person_id"]) for row_id, row in queued
            ],
        )
    return Stored(
        id=submission_id,
        public_id=public_id,
        status=status,
        recipients=recipients,
        queued_ids=[row_id for row_id, _ in queued],
        identical=checked.identical if ask.count_identical else 0,
    )
