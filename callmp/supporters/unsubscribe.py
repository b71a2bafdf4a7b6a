"""Withdrawing a supporter's consent: the one-click link, the public page, the mail's link.

Domain code: no Flask; functions flush but do not commit. A consent record is found by
its ``unsubscribe_key`` (a random secret, never an address or an id) or, on the public
page, by the keyed hash of the address, never by reading plaintext. Withdrawing is one
conditional UPDATE (``withdrawn_at IS NULL``), so a replayed one-click POST changes
nothing, and it also clears the follow-up flag of the letter or signature it came with.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from callmp.i18n import translator
from callmp.letters import smtp
from callmp.letters.records import MailSettings, keyed_hash
from callmp.models import Campaign, EmailMessage, EmailSubmission, MessageKind, PetitionSignature
from callmp.models.consent import ConsentRecord
from callmp.stats import report_limits

#: Path of the one-click link (the view's route is built from it).
PATH = "/u/{key}"

#: Messages to the supporter themself: the ones that carry the link.
TO_SUPPORTER = (
    MessageKind.confirmation,
    MessageKind.reminder,
    MessageKind.petition_confirmation,
    MessageKind.bounce_notice,
)

#: The longest key we look up (``new_key`` makes 43 characters).
MAX_KEY = 64

#: How withdrawals arrive (``ConsentRecord.withdrawn_via``).
VIA_LINK, VIA_PAGE, VIA_STAFF = "link", "page", "staff"


def new_key() -> str:
    """A fresh unsubscribe key: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def mask(email: str | None) -> str:
    """An address shown without giving it away: ``j•••@example.org``."""
    if not email or "@" not in email:
        return "•••"
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}•••@{domain}"


def unsubscribe_url(public_url: str, key: str) -> str:
    """The one-click link of the consent with ``key``."""
    return public_url.rstrip("/") + PATH.format(key=key)


def standing(session: Session, key: str) -> ConsentRecord | None:
    """The (not purged) consent record whose link this is, withdrawn or not; None if unknown."""
    if not key or len(key) > MAX_KEY:
        return None
    return session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.unsubscribe_key == key, ConsentRecord.purged_at.is_(None)
        )
    ).first()


@dataclass(frozen=True)
class Withdrawal:
    """What a one-click withdrawal did."""

    record: ConsentRecord
    changed: bool  # False: it was withdrawn already


def _withdraw_ids(session: Session, ids: list[int], now: datetime, via: str) -> list[int]:
    """Withdraw the standing ones of ``ids``; the ids this call withdrew."""
    if not ids:
        return []
    rows = session.execute(
        select(ConsentRecord.id, ConsentRecord.submission_id, ConsentRecord.signature_id).where(
            ConsentRecord.id.in_(ids), ConsentRecord.withdrawn_at.is_(None)
        )
    ).all()
    done: list[int] = []
    for record_id, submission_id, signature_id in rows:
        moved = session.execute(
            update(ConsentRecord)
            .where(ConsentRecord.id == record_id, ConsentRecord.withdrawn_at.is_(None))
            # The proof (the words, the dates) stays; whom it was about goes now.
            .values(withdrawn_at=now, withdrawn_via=via, name="", email=None, postal_code="")
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another request withdrew it first
        done.append(record_id)
        if submission_id is not None:
            session.execute(
                update(EmailSubmission)
                .where(EmailSubmission.id == submission_id)
                .values(consent_followup=False)
                .execution_options(synchronize_session=False)
            )
            # A letter purged while the consent stood kept only the name and address
            # the consent was for: they go with it.
            session.execute(
                update(EmailSubmission)
                .where(EmailSubmission.id == submission_id, EmailSubmission.purged_at.is_not(None))
                .values(name="", email=None)
                .execution_options(synchronize_session=False)
            )
        if signature_id is not None:
            session.execute(
                update(PetitionSignature)
                .where(PetitionSignature.id == signature_id)
                .values(consent_followup=False)
                .execution_options(synchronize_session=False)
            )
    session.flush()
    return done


def withdraw(session: Session, record: ConsentRecord, now: datetime, via: str) -> Withdrawal:
    """Withdraw this one record (idempotent: a second call changes nothing)."""
    changed = bool(_withdraw_ids(session, [record.id], now, via))
    session.refresh(record)
    return Withdrawal(record, changed)


def withdraw_address(session: Session, email: str, settings: MailSettings, now: datetime) -> int:
    """Withdraw every standing consent of ``email`` (found by its keyed hash); how many."""
    address = email.strip()
    if not address:
        return 0
    digest = keyed_hash(address, settings)
    ids = list(
        session.scalars(
            select(ConsentRecord.id).where(
                ConsentRecord.email_hmac == digest,
                ConsentRecord.withdrawn_at.is_(None),
                ConsentRecord.purged_at.is_(None),
            )
        )
    )
    return len(_withdraw_ids(session, ids, now, VIA_PAGE))


def key_for_message(session: Session, message: EmailMessage) -> str | None:
    """The unsubscribe key of the standing consent behind a message to the supporter."""
    if message.kind not in TO_SUPPORTER:
        return None
    if message.submission_id is not None:
        link = ConsentRecord.submission_id == message.submission_id
    elif message.signature_id is not None:
        link = ConsentRecord.signature_id == message.signature_id
    else:
        return None
    return session.scalars(
        select(ConsentRecord.unsubscribe_key)
        .where(link, ConsentRecord.withdrawn_at.is_(None), ConsentRecord.purged_at.is_(None))
        .order_by(ConsentRecord.id)
    ).first()


def with_link(mail: smtp.OutgoingMail, message: EmailMessage, public_url: str) -> smtp.OutgoingMail:
    """``mail`` with the supporter's one-click link (header and a line of text), if any."""
    session = object_session(message)
    if session is None or not public_url:
        return mail
    key = key_for_message(session, message)
    if key is None:
        return mail
    url = unsubscribe_url(public_url, key)
    _ = translator(message.locale)
    line = _("To stop emails from this campaign's organization: %(url)s") % {"url": url}
    body = f"{mail.body.rstrip()}\n\n-- \n{line}\n"
    return dataclasses.replace(mail, body=body, unsubscribe_url=url)


def limited_withdraw_address(
    session: Session, email: str, ip: str, settings: MailSettings, now: datetime, per_hour: int
) -> bool:
    """The public page's withdrawal under its per-IP hourly limit (counted in the database,
    shared by every process); False, with nothing withdrawn, when the IP is over it."""
    if not report_limits.take(session, [(f"unsub:{keyed_hash(ip, settings)}", per_hour)], now):
        return False
    withdraw_address(session, email, settings, now)
    return True


def organization(session: Session, record: ConsentRecord, locale: str) -> str:
    """Who the supporter allowed to email them: the name recorded, else the campaign's."""
    if record.organization:
        return record.organization
    campaign = session.get(Campaign, record.campaign_id)
    if campaign is None:
        return ""
    return campaign.org_legal_name or campaign.text("title", locale)
