"""Erasing a person on a privacy request: every personal field of the rows ``requests.find``
found is cleared, messages addressed to them are deleted, letters not sent yet are not
sent; contact events and running totals are never touched, so counts stay.

Domain code: no Flask; flushes but does not commit. The keyed hashes of letters,
signatures and calls are replaced with random values (so the address or number matches
nothing again); consent records keep their proof (words, dates), withdrawn by staff and
marked erased, until ``CONSENT_PROOF_DAYS`` (``retention``).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from callmp.models import (
    CallRequest,
    EmailMessage,
    EmailSubmission,
    MessageStatus,
    PetitionSignature,
)
from callmp.models.consent import ConsentRecord
from callmp.petitions import comments
from callmp.supporters.requests import TO_PERSON, Held
from callmp.supporters.unsubscribe import VIA_STAFF


def _random_hash() -> str:
    """A value no address or number hashes to (so nothing matches it again)."""
    return "erased-" + secrets.token_hex(28)


def erase(session: Session, held: Held, now: datetime) -> dict[str, int]:
    """Clear every personal field of the person's rows; the counts stay. What was erased."""
    counts = held.counts()
    submission_ids = [s.id for s in held.submissions]
    signature_ids = [s.id for s in held.signatures]
    to_person = [m.id for m in held.messages if m.kind in TO_PERSON]
    if to_person:
        session.execute(delete(EmailMessage).where(EmailMessage.id.in_(to_person)))
    if submission_ids:
        letters = EmailMessage.submission_id.in_(submission_ids)
        # A letter not sent yet is not sent at all: its text is going.
        session.execute(
            update(EmailMessage)
            .where(letters, EmailMessage.status.in_((MessageStatus.held, MessageStatus.queued)))
            .values(status=MessageStatus.failed, error="erased on request", updated_at=now)
        )
        session.execute(
            update(EmailMessage)
            .where(letters)
            .values(body=None, reply_to_address=None, reply_to_name="", from_name="", subject="")
        )
        for submission_id in submission_ids:
            session.execute(
                update(EmailSubmission)
                .where(EmailSubmission.id == submission_id)
                .values(
                    name="",
                    email=None,
                    email_hmac=_random_hash(),
                    ip_hmac="",
                    postal_code="",
                    city="",
                    personal_line="",
                    consent_followup=False,
                    purged_at=now,
                )
            )
    for signature in held.signatures:
        # Delivery emails to the signer's MP quoted their comment (and their name).
        comments.scrub_signer(session, signature)
    session.flush()
    for signature_id in signature_ids:
        session.execute(
            update(PetitionSignature)
            .where(PetitionSignature.id == signature_id)
            .values(
                name="",
                email=None,
                email_hmac=_random_hash(),
                ip_hmac="",
                postal_code="",
                city="",
                comment="",
                show_publicly=False,
                share_with_target=False,
                consent_followup=False,
                purged_at=now,
            )
        )
    for call in held.calls:
        session.execute(
            update(CallRequest)
            .where(CallRequest.id == call.id)
            .values(phone=None, phone_hmac=_random_hash(), ip_hmac="", transcript=None)
        )
    for consent in held.consents:
        # The proof that consent was given and withdrawn (wording, dates) stays until
        # CONSENT_PROOF_DAYS; nothing in it names the person any more.
        session.execute(
            update(ConsentRecord)
            .where(ConsentRecord.id == consent.id)
            .values(
                name="",
                email=None,
                email_hmac="",
                phone_hmac="",
                postal_code="",
                referral="",
                withdrawn_at=consent.withdrawn_at or now,
                withdrawn_via=consent.withdrawn_via or VIA_STAFF,
                purged_at=now,
            )
        )
    session.flush()
    session.expire_all()
    return counts
