"""Privacy requests: find a person by email or phone, show and export what is held, erase it.

Domain code: no Flask; functions flush but do not commit. A person is found only through
the keyed hashes stored beside their data (``email_hmac`` of letters, signatures and
consents; ``phone_hmac`` of call requests and consents), never by scanning plaintext,
plus the rows a found consent record links to. Erasing clears every personal field of
those rows and deletes the messages addressed to the person, but leaves contact events
and the running totals alone, so every count stays as it was. The hashes are replaced
with random values: the person's address or number no longer matches anything (not even
a duplicate check), and a second search finds nothing (``erasure``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from callmp.directory import phones
from callmp.letters.records import MailSettings, keyed_hash
from callmp.models import (
    CallRequest,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    PetitionSignature,
)
from callmp.models.consent import ConsentRecord

#: Messages addressed to the supporter themself (deleted on erase; they carry the address).
TO_PERSON = (
    MessageKind.confirmation,
    MessageKind.reminder,
    MessageKind.petition_confirmation,
    MessageKind.bounce_notice,
)


@dataclass(frozen=True)
class Lookup:
    """The keyed hashes a person is searched by (one of them set)."""

    email_hmac: str = ""
    phone_hmac: str = ""

    @property
    def kind(self) -> str:
        """``email`` or ``phone``: what the search was by (for the audit log)."""
        return "phone" if self.phone_hmac else "email"


def by_email(email: str, settings: MailSettings) -> Lookup:
    """Search by email address (as letters and signatures hash it)."""
    return Lookup(email_hmac=keyed_hash(email.strip(), settings))


def by_phone(raw: str, phone_key: bytes) -> Lookup:
    """Search by phone number (as call requests hash it); ``phones.PhoneError`` if unreadable."""
    e164 = phones.parse_supporter_phone(raw, allow_fictional=True)
    return Lookup(phone_hmac=phones.phone_hmac(e164, phone_key))


@dataclass
class Held:
    """Every row held about one person."""

    submissions: list[EmailSubmission] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)
    signatures: list[PetitionSignature] = field(default_factory=list)
    calls: list[CallRequest] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many rows of each kind (what the audit log keeps)."""
        return {
            "letters": len(self.submissions),
            "messages": len(self.messages),
            "signatures": len(self.signatures),
            "calls": len(self.calls),
            "consents": len(self.consents),
        }

    @property
    def total(self) -> int:
        """All rows together."""
        return sum(self.counts().values())


def _matching(session: Session, model: Any, column: Any, key: str, linked: set[int]) -> list[Any]:
    """Rows of ``model`` whose keyed hash ``column`` is ``key`` (none for ""), or that a
    consent of the person links to, in id order."""
    query = (
        select(model)
        .where(or_((column == key) if key else false(), model.id.in_(linked)))
        .order_by(model.id)
    )
    return list(session.scalars(query))


def find(session: Session, lookup: Lookup) -> Held:
    """Everything held about the person behind ``lookup``."""
    held = Held()
    digest, phone = lookup.email_hmac, lookup.phone_hmac
    consent_match = []
    if digest:
        consent_match.append(ConsentRecord.email_hmac == digest)
    if phone:
        consent_match.append(ConsentRecord.phone_hmac == phone)
    if not consent_match:
        return held
    held.consents = list(
        session.scalars(select(ConsentRecord).where(or_(*consent_match)).order_by(ConsentRecord.id))
    )
    linked_submissions = {c.submission_id for c in held.consents if c.submission_id}
    linked_signatures = {c.signature_id for c in held.consents if c.signature_id}
    linked_calls = {c.call_request_id for c in held.consents if c.call_request_id}
    held.submissions = _matching(
        session, EmailSubmission, EmailSubmission.email_hmac, digest, linked_submissions
    )
    held.signatures = _matching(
        session, PetitionSignature, PetitionSignature.email_hmac, digest, linked_signatures
    )
    held.calls = _matching(session, CallRequest, CallRequest.phone_hmac, phone, linked_calls)
    submission_ids = [s.id for s in held.submissions]
    signature_ids = [s.id for s in held.signatures]
    held.messages = list(
        session.scalars(
            select(EmailMessage)
            .where(
                or_(
                    EmailMessage.submission_id.in_(submission_ids),
                    EmailMessage.signature_id.in_(signature_ids) & EmailMessage.kind.in_(TO_PERSON),
                )
            )
            .order_by(EmailMessage.id)
        )
    )
    return held


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def as_data(held: Held) -> dict[str, Any]:
    """What is held, as JSON-ready data (the person's copy of their data)."""
    return {
        "letters": [
            {
                "campaign_id": s.campaign_id,
                "created_at": _when(s.created_at),
                "name": s.name,
                "email": s.email,
                "postal_code": s.postal_code,
                "city": s.city,
                "riding": s.fed_num,
                "language": s.locale,
                "personal_line": s.personal_line,
                "follow_up_consent": s.consent_followup,
                "status": str(s.status),
            }
            for s in held.submissions
        ],
        "messages": [
            {
                "kind": str(m.kind),
                "to": m.to_name if m.kind == MessageKind.letter else m.to_address,
                "subject": m.subject,
                "body": m.body,
                "status": str(m.status),
                "sent_at": _when(m.sent_at),
            }
            for m in held.messages
        ],
        "signatures": [
            {
                "campaign_id": s.campaign_id,
                "created_at": _when(s.created_at),
                "name": s.name,
                "email": s.email,
                "postal_code": s.postal_code,
                "city": s.city,
                "riding": s.fed_num,
                "comment": s.comment,
                "show_publicly": s.show_publicly,
                "status": str(s.status),
            }
            for s in held.signatures
        ],
        "calls": [
            {
                "campaign_id": c.campaign_id,
                "created_at": _when(c.created_at),
                "phone": c.phone,
                "riding": c.fed_num,
                "status": str(c.status),
            }
            for c in held.calls
        ],
        "consents": [
            {
                "campaign_id": c.campaign_id,
                "action": c.action,
                "source": c.source,
                "language": c.locale,
                "wording": c.wording,
                "organization": c.organization,
                "name": c.name,
                "email": c.email,
                "postal_code": c.postal_code,
                "riding": c.fed_num,
                "created_at": _when(c.created_at),
                "withdrawn_at": _when(c.withdrawn_at),
            }
            for c in held.consents
        ],
    }
