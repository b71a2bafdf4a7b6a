"""Email use cases: check and store a supporter's letter, one message per target.

Domain code: no Flask. Functions flush but do not commit. A submission holds the
supporter's letter; each recipient gets one ``EmailMessage`` row carrying every header,
which the queue claims with one atomic UPDATE (``queued`` -> ``sending``) so a retried
job never sends it twice. Each letter to a target is one ``ContactEvent`` (dedupe key
``e:<message id>``), queued first and then sent or failed.

Every letter runs the same few statements, so they are built once here (their compiled
form is then cached) and write through the tables themselves: one SELECT for all the
checks, one INSERT for the submission and one for all its messages. The checks run
before the first write, so SQLite's write lock is held only for the inserts and commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, cast, func, literal, select
from sqlalchemy.orm import Session

from callmp.db import Base, lock_keys
from callmp.i18n import N_, InputError
from callmp.letters import confirmation
from callmp.letters.compose import Letter, Supporter
from callmp.letters.records import (
    LIVE,
    MailSettings,
    QueuedLetter,
    from_address,
    keyed_hash,
    message_values,
    record_queued,
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


def _identical(capped: bool) -> Select[Any]:
    """Letters of a campaign with these words (confirmed or sending), counted up to a cap."""
    where = (
        EmailSubmission.campaign_id == bindparam("campaign_id"),
        EmailSubmission.fingerprint == bindparam("fingerprint"),
        EmailSubmission.status == SubmissionStatus.queued,
    )
    if not capped:
        return select(func.count()).where(*where)
    matching = select(EmailSubmission.id).where(*where).limit(bindparam("up_to"))
    return select(func.count()).select_from(matching.subquery())


_IDENTICAL = _identical(capped=False)
_IDENTICAL_UP_TO = _identical(capped=True)

#: Letters of every campaign sent from one connection since a time: every campaign
#: together, so more campaigns do not multiply the limit.
_SENT_FROM_IP = select(func.count()).where(
    EmailSubmission.ip_hmac == bindparam("ip_key"),
    EmailSubmission.created_at >= bindparam("hour_ago"),
)

#: The people among some this address already wrote to in a campaign since a time.
_ALREADY_WRITTEN = (
    select(EmailMessage.person_id)
    .join(EmailSubmission, EmailMessage.submission_id == EmailSubmission.id)
    .where(
        EmailSubmission.campaign_id == bindparam("campaign_id"),
        EmailSubmission.email_hmac == bindparam("email_key"),
        EmailSubmission.created_at >= bindparam("since"),
        EmailMessage.kind == MessageKind.letter,
        EmailMessage.person_id.in_(bindparam("person_ids", expanding=True)),
        EmailMessage.status.in_(LIVE),
    )
)


def identical_count(
    session: Session, campaign_id: int, fingerprint: str, up_to: int | None = None
) -> int:
    """How many letters in the campaign used exactly these words (confirmed or sending).

    With ``up_to``, counting stops there: a yes-or-no check then reads at most that many
    index entries, however many thousands sent the campaign's own words.
    """
    params: dict[str, Any] = {"campaign_id": campaign_id, "fingerprint": fingerprint}
    if up_to is None:
        return int(session.scalar(_IDENTICAL, params) or 0)
    return int(session.scalar(_IDENTICAL_UP_TO, {**params, "up_to": up_to}) or 0)


def sent_from_ip(session: Session, ip_key: str, since: datetime) -> int:
    """Letters of every campaign sent from the connection ``ip_key`` since ``since``."""
    return int(session.scalar(_SENT_FROM_IP, {"ip_key": ip_key, "hour_ago": since}) or 0)


def already_written(
    session: Session, campaign_id: int, email_hmac: str, person_ids: Sequence[int], since: datetime
) -> set[int]:
    """The people among ``person_ids`` this address already wrote to since ``since``."""
    params = {
        "campaign_id": campaign_id,
        "email_key": email_hmac,
        "since": since,
        "person_ids": list(person_ids),
    }
    return {pid for pid in session.scalars(_ALREADY_WRITTEN, params) if pid is not None}


def _all_checks(ip: bool, identical: bool) -> Select[Any]:
    """The three checks as one SELECT: each a scalar subquery read through its own index
    (a check that does not apply is a constant)."""
    written = _ALREADY_WRITTEN.subquery()
    return select(
        _SENT_FROM_IP.scalar_subquery() if ip else literal(0),
        _IDENTICAL_UP_TO.scalar_subquery() if identical else literal(0),
        select(func.aggregate_strings(cast(written.c.person_id, String), ",")).scalar_subquery(),
    )


_CHECKS = {(ip, same): _all_checks(ip, same) for ip in (False, True) for same in (False, True)}


@dataclass(frozen=True)
class Checked:
    """What the checks found: letters from the connection this hour, letters with these
    words (up to the nudge), and the people this address already wrote to."""

    from_ip: int
    identical: int
    written: set[int]


def run_checks(
    session: Session,
    *,
    campaign_id: int,
    ip_key: str,
    email_key: str,
    fingerprint: str,
    person_ids: Sequence[int],
    now: datetime,
    settings: MailSettings,
    identical: bool,
) -> Checked:
    """The hourly count per connection, the same-words count and the duplicate check."""
    statement = _CHECKS[(bool(ip_key), identical)]
    row = session.execute(
        statement,
        {
            "ip_key": ip_key,
            "hour_ago": now - timedelta(hours=1),
            "campaign_id": campaign_id,
            "fingerprint": fingerprint,
            "up_to": settings.identical_nudge,
            "email_key": email_key,
            "since": now - timedelta(hours=settings.duplicate_hours),
            "person_ids": list(person_ids),
        },
    ).one()
    written = {int(pid) for pid in (row[2] or "").split(",") if pid}
    return Checked(from_ip=int(row[0] or 0), identical=int(row[1] or 0), written=written)


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


@dataclass(frozen=True)
class Stored:
    """A stored letter: what the request answers with and hands to the queue."""

    id: int
    public_id: str
    status: SubmissionStatus
    recipients: list[str]  # names of the people it goes to (not those already written to)
    queued_ids: list[int]  # its messages now waiting in the queue, oldest first


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
        identical=blocks_identical,
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
    submission_id = session.execute(
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
    sender = from_address(campaign, settings)
    rows = []
    for position, (letter, go) in enumerate(zip(letters_, fresh, strict=True)):
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
            submission_id=submission_id,
            target_id=letter.item.target.id,
            person_id=letter.item.person.id if letter.item.person else None,
            position=position,
            reply_to_name=supporter.name,
            reply_to_address=email,
        )
        rows.append(row)
    recipients = [letter.to_name for letter, go in zip(letters_, fresh, strict=True) if go]
    if confirm:
        writer = confirmation.Writer(
            public_id=public_id,
            locale=supporter.locale,
            name=supporter.name,
            email=email,
            recipients=", ".join(recipients),
        )
        note = confirmation.confirmation_values(
            campaign, writer, settings, now, MessageKind.confirmation
        )
        rows.append(
            {
                **note,
                "submission_id": submission_id,
                "target_id": None,
                "person_id": None,
                "position": 0,
                "reply_to_name": "",
                "reply_to_address": None,
            }
        )
    ids = {message_id: row_id for row_id, message_id in session.execute(_INSERT_MESSAGES, rows)}
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
    )
