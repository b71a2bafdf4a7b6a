"""The organization's list: a campaign's opted-in supporters as CSV (admins only).

Domain code: no Flask. One row per standing consent record (not withdrawn, not purged) of
the campaign, with the consent's proof (action, source, date, the exact words shown) and
what the person did in the campaign, found through the rows the consent links to and the
same keyed hashes (never by reading addresses): letters sent, petition signed, calls
asked for. Each row carries the person's one-click unsubscribe link, so the
organization's own mail can carry it too. Every cell goes through ``exports.safe`` (a
spreadsheet never runs one as a formula).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.models import (
    CallRequest,
    Campaign,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    PetitionSignature,
    Riding,
    SignatureStatus,
    SubmissionStatus,
)
from callmp.models.consent import ConsentRecord
from callmp.stats import exports
from callmp.supporters import unsubscribe

HEADER = (
    "name",
    "email",
    "postal_code",
    "riding_fed_num",
    "riding",
    "language",
    "consent_action",
    "consent_source",
    "consent_date_utc",
    "consent_wording",
    "consent_organization",
    "letters_sent",
    "petition_signed",
    "calls_requested",
    "unsubscribe_url",
)


def standing(session: Session, campaign_id: int) -> list[ConsentRecord]:
    """The campaign's consents that stand, oldest first: not withdrawn, not purged, and
    not given with a letter or signature whose address was never confirmed (awaiting its
    link, or expired): an unproven address is nobody's consent."""
    unconfirmed_letter = select(EmailSubmission.id).where(
        EmailSubmission.id == ConsentRecord.submission_id,
        EmailSubmission.status != SubmissionStatus.queued,
    )
    unconfirmed_signature = select(PetitionSignature.id).where(
        PetitionSignature.id == ConsentRecord.signature_id,
        PetitionSignature.status != SignatureStatus.confirmed,
    )
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(
                ConsentRecord.campaign_id == campaign_id,
                ConsentRecord.withdrawn_at.is_(None),
                ConsentRecord.purged_at.is_(None),
                ~unconfirmed_letter.exists(),
                ~unconfirmed_signature.exists(),
            )
            .order_by(ConsentRecord.created_at, ConsentRecord.id)
        )
    )


@dataclass
class _Actions:
    """What people did in one campaign, keyed by submission, signature, call and hash."""

    letters_by_submission: Counter[int]
    letters_by_hmac: Counter[str]
    signed_ids: set[int]
    signed_hmacs: set[str]
    calls_by_id: set[int]
    calls_by_phone: dict[str, set[int]]

    def letters(self, record: ConsentRecord) -> int:
        if record.email_hmac and record.email_hmac in self.letters_by_hmac:
            return self.letters_by_hmac[record.email_hmac]
        return self.letters_by_submission[record.submission_id or 0]

    def signed(self, record: ConsentRecord) -> bool:
        return (record.signature_id or 0) in self.signed_ids or (
            bool(record.email_hmac) and record.email_hmac in self.signed_hmacs
        )

    calls_of_person: dict[str, set[int]] = field(default_factory=dict)

    def calls(self, record: ConsentRecord) -> int:
        """Calls asked for by this person: through this consent, or any of theirs (same
        address) that names a call or a phone."""
        return len(self.calls_of_person.get(record.email_hmac, set()) | self._calls(record))

    def _calls(self, record: ConsentRecord) -> set[int]:
        found = (
            set(self.calls_by_phone.get(record.phone_hmac, set())) if record.phone_hmac else set()
        )
        if record.call_request_id in self.calls_by_id:
            found.add(record.call_request_id)
        return found

    def link_people(self, records: list[ConsentRecord]) -> None:
        """Gather each address's calls over all of its consents in the campaign."""
        for record in records:
            if record.email_hmac:
                self.calls_of_person.setdefault(record.email_hmac, set()).update(
                    self._calls(record)
                )


def _actions(session: Session, campaign_id: int) -> _Actions:
    """Everyone's actions in the campaign, read in three grouped queries."""
    letters = session.execute(
        select(EmailSubmission.id, EmailSubmission.email_hmac, func.count(EmailMessage.id))
        .join(EmailMessage, EmailMessage.submission_id == EmailSubmission.id)
        .where(
            EmailSubmission.campaign_id == campaign_id,
            EmailMessage.kind == MessageKind.letter,
            EmailMessage.status == MessageStatus.sent,
        )
        .group_by(EmailSubmission.id, EmailSubmission.email_hmac)
    ).all()
    by_submission: Counter[int] = Counter()
    by_hmac: Counter[str] = Counter()
    for submission_id, digest, sent in letters:
        by_submission[submission_id] += sent
        by_hmac[digest] += sent
    signatures = session.execute(
        select(PetitionSignature.id, PetitionSignature.email_hmac).where(
            PetitionSignature.campaign_id == campaign_id,
            PetitionSignature.status == SignatureStatus.confirmed,
        )
    ).all()
    calls = session.execute(
        select(CallRequest.id, CallRequest.phone_hmac).where(CallRequest.campaign_id == campaign_id)
    ).all()
    by_phone: dict[str, set[int]] = {}
    for call_id, digest in calls:
        by_phone.setdefault(digest, set()).add(call_id)
    return _Actions(
        letters_by_submission=by_submission,
        letters_by_hmac=by_hmac,
        signed_ids={row[0] for row in signatures},
        signed_hmacs={row[1] for row in signatures},
        calls_by_id={row[0] for row in calls},
        calls_by_phone=by_phone,
    )


def supporters_csv(
    session: Session, campaign: Campaign, public_url: str, locale: str
) -> tuple[str, int]:
    """The CSV text of the campaign's list, and how many supporters it holds."""
    records = standing(session, campaign.id)
    actions = _actions(session, campaign.id)
    actions.link_people(records)
    ridings = {
        riding.fed_num: riding
        for riding in session.scalars(
            select(Riding).where(Riding.fed_num.in_({r.fed_num for r in records if r.fed_num}))
        )
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for record in records:
        riding = ridings.get(record.fed_num or 0)
        riding_name = ""
        if riding is not None:
            riding_name = riding.name_fr if locale == "fr" else riding.name_en
        row = (
            record.name,
            record.email or "",
            record.postal_code,
            record.fed_num or "",
            riding_name,
            record.locale,
            record.action,
            record.source,
            record.created_at.isoformat(timespec="seconds"),
            record.wording,
            record.organization or campaign.org_legal_name,
            actions.letters(record),
            "yes" if actions.signed(record) else "no",
            actions.calls(record),
            unsubscribe.unsubscribe_url(public_url, record.unsubscribe_key),
        )
        writer.writerow([exports.safe(value) for value in row])
    return buffer.getvalue(), len(records)


def rows(text: str) -> Iterator[dict[str, str]]:
    """The export read back (for checks and tests)."""
    yield from csv.DictReader(io.StringIO(text))
