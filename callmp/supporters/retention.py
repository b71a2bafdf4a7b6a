"""Retention of every personal field: what is kept, for how long, and the purge.

Domain code: no Flask; flushes but does not commit. The mail sweeper runs ``purge`` after
the letters' and signatures' own purges (``letters.delivery.sweep``). Contact events and
the running totals hold no personal data and are never touched, so counts stay.

``FIELDS`` lists every personal field of every table with the setting that bounds it;
``tests/supporters/test_retention.py`` checks each one, kept before its period and gone
after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Delete, Update, delete, update
from sqlalchemy.orm import Session

from callmp.letters.records import MailSettings
from callmp.models import CallRequest, EmailSubmission, PetitionSignature
from callmp.models.consent import ConsentRecord


@dataclass(frozen=True)
class Field:
    """One personal field, the setting that bounds how long it is kept, and how."""

    table: str
    column: str
    setting: str
    note: str


#: Every personal field. EMAIL_RETENTION_DAYS is applied by ``letters.delivery.purge``
#: and ``petitions.sweep.purge``; the others by ``purge`` below.
FIELDS: tuple[Field, ...] = (
    Field("email_submissions", "personal_line", "EMAIL_RETENTION_DAYS", "cleared"),
    Field("email_submissions", "postal_code", "EMAIL_RETENTION_DAYS", "cleared"),
    Field("email_submissions", "city", "EMAIL_RETENTION_DAYS", "cleared"),
    Field(
        "email_submissions",
        "name, email",
        "EMAIL_RETENTION_DAYS",
        "cleared, unless the supporter's follow-up consent stands; then as soon as withdrawn",
    ),
    Field("email_submissions", "ip_hmac", "IP_HASH_RETENTION_DAYS", "cleared"),
    Field(
        "email_messages", "body, subject, from_name, reply_to", "EMAIL_RETENTION_DAYS", "cleared"
    ),
    Field("email_messages", "messages to the supporter", "EMAIL_RETENTION_DAYS", "deleted"),
    Field(
        "petition_signatures",
        "name, email, postal_code, city, comment, ip_hmac",
        "EMAIL_RETENTION_DAYS",
        "cleared (ip_hmac also by IP_HASH_RETENTION_DAYS if shorter)",
    ),
    Field(
        "call_requests",
        "phone, transcript",
        "CALL_RETENTION_DAYS",
        "cleared (the phone already when the call ends)",
    ),
    Field("call_requests", "ip_hmac", "IP_HASH_RETENTION_DAYS", "cleared"),
    Field(
        "consent_records",
        "name, email, postal_code",
        "CONSENT_PROOF_DAYS",
        "kept while consent stands; cleared at the withdrawal itself",
    ),
    Field(
        "consent_records",
        "the whole record (wording, dates, keyed hashes)",
        "CONSENT_PROOF_DAYS",
        "deleted this many days after withdrawal",
    ),
    Field("report_limits", "key (keyed hash of an IP)", "-", "deleted after 24 hours"),
)


@dataclass(frozen=True)
class RetentionSettings:
    """The periods, in days."""

    call_days: int = 30
    ip_hash_days: int = 30
    consent_proof_days: int = 1095


def from_mail_settings(settings: MailSettings) -> RetentionSettings:
    """The periods carried by the mail settings (read from the config there)."""
    return RetentionSettings(
        call_days=settings.call_retention_days,
        ip_hash_days=settings.ip_hash_retention_days,
        consent_proof_days=settings.consent_proof_days,
    )


def _clear(session: Session, statement: Update | Delete) -> int:
    """Run one bulk UPDATE or DELETE; how many rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def purge(session: Session, settings: RetentionSettings, now: datetime) -> int:
    """Clear what is past its period; how many rows changed."""
    changed = 0
    ip_cutoff = now - timedelta(days=settings.ip_hash_days)
    for model in (EmailSubmission, PetitionSignature, CallRequest):
        # Through the partial index of hashes not yet cleared (migration 0026): it holds
        # the rows of the retention period, not the whole history.
        changed += _clear(
            session,
            update(model)
            .where(model.ip_hmac != "", model.created_at <= ip_cutoff)
            .values(ip_hmac=""),
        )
    call_cutoff = now - timedelta(days=settings.call_days)
    changed += _clear(
        session,
        update(CallRequest)
        .where(CallRequest.purged_at.is_(None), CallRequest.created_at <= call_cutoff)
        .values(phone=None, transcript=None, purged_at=now),
    )
    # A withdrawn consent's name and address, and those of a letter purged while the
    # consent stood, go at the withdrawal itself (supporters.unsubscribe).
    proof_cutoff = now - timedelta(days=settings.consent_proof_days)
    changed += _clear(
        session,
        delete(ConsentRecord).where(
            ConsentRecord.withdrawn_at.is_not(None), ConsentRecord.withdrawn_at <= proof_cutoff
        ),
    )
    session.flush()
    return changed
