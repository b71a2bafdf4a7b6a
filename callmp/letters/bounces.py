"""Bounces: a message the receiving end accepted, then returned, is marked and counted.

Given a delivery status notification (``callmp.letters.dsn``), find our message by its
signed bounce address (``callmp.letters.verp``) or its Message-ID, move it from ``sent``
to ``bounced`` with one conditional UPDATE (a replayed DSN changes nothing), move its
contact event with it, count the recipient address (flagged for the leads after a few
bounces) and queue a notice to the supporter. Domain code: no Flask; flushes, never
commits. Logs message ids, never addresses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.db import insert_once
from callmp.i18n import N_, french_spacing, translator
from callmp.letters import dsn
from callmp.letters.records import MailSettings, from_address, new_message
from callmp.letters.verp import Verp
from callmp.models import (
    BouncedAddress,
    Campaign,
    ContactEvent,
    EmailMessage,
    MessageKind,
    MessageStatus,
    Outcome,
    Person,
)

log = logging.getLogger(__name__)


@dataclass
class BounceResult:
    """What one DSN did: the message it bounced (if any) and notices to queue."""

    message_id: int | None = None
    notices: list[int] = field(default_factory=list)
    ignored: str = ""  # why nothing changed ("" when a message bounced)


def find_message(session: Session, report: dsn.Report, verp: Verp | None) -> EmailMessage | str:
    """Our message the report is about, or why none is taken."""
    if verp is not None:
        token = verp.read(report.token_texts)
        if token.message_id is not None:
            message = session.get(EmailMessage, token.message_id)
            return message if message is not None else "unknown message"
        if token.forged:
            # Never fall back to the Message-ID: the token is the proof asked for.
            return "forged bounce token"
    if report.returned_message_id:
        message = session.scalars(
            select(EmailMessage).where(EmailMessage.message_id == report.returned_message_id)
        ).first()
        if message is not None:
            return message
    return "no bounce token and no known Message-ID"


def process(
    session: Session,
    raw: bytes,
    *,
    verp: Verp | None,
    settings: MailSettings,
    flag_after: int,
    now: datetime,
) -> BounceResult:
    """Apply one DSN; raises dsn.DsnError when ``raw`` is not one."""
    report = dsn.parse(raw)
    if not report.failed:
        return _ignore("no permanent failure (delayed or delivered)")
    found = find_message(session, report, verp)
    if isinstance(found, str):
        return _ignore(found)
    message = found
    address = (message.to_address or "").lower()
    failure = next((r for r in report.failed if address and address in r.addresses()), None)
    if failure is None:
        return _ignore(f"message {message.id}: its recipient is not among the failed ones")
    reason = " ".join(filter(None, (failure.status, failure.diagnostic)))[:300]
    moved = session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == message.id, EmailMessage.status == MessageStatus.sent)
        .values(status=MessageStatus.bounced, bounced_at=now, error=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return _ignore(f"message {message.id} is not a sent message (a replay?)")
    log.info("Email message %s bounced: %s", message.id, failure.status)
    result = BounceResult(message_id=message.id)
    if message.kind != MessageKind.letter:
        return result  # our own mail to a supporter: nobody else to tell
    session.execute(
        update(ContactEvent)
        .where(ContactEvent.email_message_id == message.id, ContactEvent.outcome == Outcome.sent)
        .values(outcome=Outcome.bounced)
        .execution_options(synchronize_session=False)
    )
    count_address(session, address, message.person_id, reason, now, flag_after)
    session.refresh(message)
    notice = bounce_notice(session, message, settings, now)
    if notice is not None:
        result.notices.append(notice.id)
    return result


def _ignore(why: str) -> BounceResult:
    log.info("DSN ignored: %s", why)
    return BounceResult(ignored=why)


def count_address(
    session: Session,
    address: str,
    person_id: int | None,
    reason: str,
    now: datetime,
    flag_after: int,
) -> None:
    """One more bounce from ``address``; flagged for the leads after ``flag_after``."""
    insert_once(session, BouncedAddress, {"address": address, "bounces": 0, "last_reason": ""})
    session.execute(
        update(BouncedAddress)
        .where(BouncedAddress.address == address)
        .values(
            bounces=BouncedAddress.bounces + 1,
            last_reason=reason,
            last_bounce_at=now,
            person_id=person_id,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(BouncedAddress)
        .where(
            BouncedAddress.address == address,
            BouncedAddress.bounces >= max(1, flag_after),
            BouncedAddress.flagged_at.is_(None),
        )
        .values(flagged_at=now)
        .execution_options(synchronize_session=False)
    )


def clear_flag(session: Session, person_id: int, new_email: str) -> int:
    """A lead saved ``new_email`` for the person: their bounced addresses are unflagged."""
    moved = session.execute(
        update(BouncedAddress)
        .where(
            BouncedAddress.person_id == person_id,
            BouncedAddress.flagged_at.is_not(None),
            BouncedAddress.address != new_email.strip().lower(),
        )
        .values(flagged_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(moved.rowcount)  # type: ignore[attr-defined]


def flagged(session: Session, person_ids: list[int] | None = None) -> list[BouncedAddress]:
    """Flagged addresses (of ``person_ids``), most recent bounce first."""
    query = select(BouncedAddress).where(BouncedAddress.flagged_at.is_not(None))
    if person_ids is not None:
        query = query.where(BouncedAddress.person_id.in_(person_ids))
    return list(session.scalars(query.order_by(BouncedAddress.last_bounce_at.desc())))


def flagged_rows(session: Session, limit: int = 200) -> list[tuple[BouncedAddress, Person]]:
    """Flagged addresses with the person each belongs to, for the leads' contact pages."""
    query = (
        select(BouncedAddress, Person)
        .join(Person, Person.id == BouncedAddress.person_id)
        .where(BouncedAddress.flagged_at.is_not(None))
        .order_by(BouncedAddress.last_bounce_at.desc(), BouncedAddress.address)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def bounce_notice(
    session: Session, letter: EmailMessage, settings: MailSettings, now: datetime
) -> EmailMessage | None:
    """Queue the supporter's notice that ``letter`` came back (None once their data is gone)."""
    submission = letter.submission
    if submission is None or submission.purged_at is not None or not submission.email:
        return None
    campaign = session.get(Campaign, submission.campaign_id)
    if campaign is None:
        return None
    locale = letter.locale if letter.locale in ("en", "fr") else submission.locale
    translate = translator(locale)
    title = campaign.text("title", locale)

    def say(text: str, **values: object) -> str:
        line = translate(text) % values if values else translate(text)
        return french_spacing(line) if locale == "fr" else line

    link = f"{settings.public_url.rstrip('/')}/c/{campaign.slug}"
    lines = [
        say(N_("Hello %(name)s,"), name=submission.name),
        say(
            N_(
                "Your letter to %(target)s could not be delivered: their mail server "
                "sent it back. We have asked the campaign team to check the address."
            ),
            target=letter.to_name,
        ),
        say(N_("You can still reach them: call their office from the campaign page.")),
        link,
        "— " + title,
    ]
    subject = say(N_("Your letter was not delivered"))
    notice = new_message(
        submission,
        kind=MessageKind.bounce_notice,
        status=MessageStatus.queued,
        sender=from_address(campaign, settings),
        from_name=title[:200],
        to_name=submission.name,
        to_address=submission.email,
        subject=f"{subject}: {title}"[:300],
        body="\n\n".join(lines) + "\n",
        locale=locale,
        now=now,
    )
    notice.target_id = letter.target_id
    notice.person_id = letter.person_id
    session.add(notice)
    session.flush()
    return notice
