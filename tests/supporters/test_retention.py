"""Retention, field by field: each personal field is kept before its period and gone after
it, through the mail sweeper that runs the purges; the counts never move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.letters import delivery
from callmp.letters.records import MailSettings
from callmp.models import (
    CallRequest,
    Campaign,
    Channel,
    ContactEvent,
    CountByOffice,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    Outcome,
    SubmissionStatus,
)
from callmp.models.consent import ConsentRecord
from callmp.supporters import retention, unsubscribe
from tests.factories import add_event, make_call_request, make_consent, make_signature, mp

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = MailSettings(
    secret="test-secret",
    retention_days=30,
    call_retention_days=20,
    ip_hash_retention_days=10,
    consent_proof_days=100,
)


def _submission(session: Session, campaign: Campaign, **fields: Any) -> EmailSubmission:
    n = session.scalar(select(func.count()).select_from(EmailSubmission)) or 0
    submission = EmailSubmission(
        **{
            "public_id": f"retention-{n}",
            "campaign_id": campaign.id,
            "fed_num": 35075,
            "name": "Ana Silva",
            "email": "ana@example.org",
            "email_hmac": f"h-{n}",
            "ip_hmac": "ip-hash",
            "postal_code": "K1P 5J2",
            "city": "Ottawa",
            "personal_line": "My own words.",
            "fingerprint": "f",
            "status": SubmissionStatus.queued,
            "created_at": T0,
            **fields,
        }
    )
    session.add(submission)
    session.flush()
    message = EmailMessage(
        submission=submission,
        campaign_id=campaign.id,
        kind=MessageKind.letter,
        from_name="Ana Silva",
        from_address="c@example.org",
        to_name="MP",
        to_address="mp@example.org",
        reply_to_name="Ana Silva",
        reply_to_address="ana@example.org",
        subject="Hello",
        body="Dear MP, my own words.",
        message_id=f"<r{n}@example.org>",
        status=MessageStatus.sent,
        created_at=T0,
    )
    session.add(message)
    session.flush()
    return submission


@dataclass(frozen=True)
class Case:
    """A personal field: how to make a row holding it, how to read it, its period."""

    table: str
    field: str
    make: Callable[[Session, Campaign], Any]  # returns (model, id)
    read: Callable[[Any], Any]  # the field's value on the row
    days: int


def _letter(**fields: Any) -> Callable[[Session, Campaign], Any]:
    return lambda s, c: (EmailSubmission, _submission(s, c, **fields).id)


def _message(s: Session, c: Campaign) -> Any:
    submission = _submission(s, c)
    return EmailMessage, submission.messages[0].id


def _signature(s: Session, c: Campaign) -> Any:
    return type(
        sig := make_signature(s, c, ip_hmac="ip-hash", comment="Yes.", created_at=T0)
    ), sig.id


def _call(s: Session, c: Campaign) -> Any:
    call = make_call_request(
        s, c, phone="+16135550142", transcript="[]", ip_hmac="ip-hash", created_at=T0
    )
    return CallRequest, call.id


def _withdrawn_consent(s: Session, c: Campaign) -> Any:
    record = make_consent(s, c, created_at=T0 - timedelta(days=400))
    unsubscribe.withdraw(s, record, T0, "link")
    return ConsentRecord, record.id


def _consent_withdrawn_elsewhere(s: Session, c: Campaign) -> Any:
    """Withdrawn by a path that did not clear the identity (an older release)."""
    return ConsentRecord, make_consent(
        s, c, created_at=T0 - timedelta(days=400), withdrawn_at=T0
    ).id


CASES = [
    Case("email_submissions", "personal_line", _letter(), lambda r: r.personal_line, 30),
    Case("email_submissions", "postal_code", _letter(), lambda r: r.postal_code, 30),
    Case("email_submissions", "city", _letter(), lambda r: r.city, 30),
    Case("email_submissions", "name", _letter(), lambda r: r.name, 30),
    Case("email_submissions", "email", _letter(), lambda r: r.email, 30),
    Case("email_submissions", "ip_hmac", _letter(), lambda r: r.ip_hmac, 10),
    Case("email_messages", "body", _message, lambda r: r.body, 30),
    Case("email_messages", "reply_to_address", _message, lambda r: r.reply_to_address, 30),
    Case("email_messages", "from_name", _message, lambda r: r.from_name, 30),
    Case("petition_signatures", "name", _signature, lambda r: r.name, 30),
    Case("petition_signatures", "email", _signature, lambda r: r.email, 30),
    Case("petition_signatures", "postal_code", _signature, lambda r: r.postal_code, 30),
    Case("petition_signatures", "city", _signature, lambda r: r.city, 30),
    Case("petition_signatures", "comment", _signature, lambda r: r.comment, 30),
    Case("petition_signatures", "ip_hmac", _signature, lambda r: r.ip_hmac, 10),
    Case("call_requests", "phone", _call, lambda r: r.phone, 20),
    Case("call_requests", "transcript", _call, lambda r: r.transcript, 20),
    Case("call_requests", "ip_hmac", _call, lambda r: r.ip_hmac, 10),
    Case("consent_records", "name", _withdrawn_consent, lambda r: r.name, 0),
    Case("consent_records", "email", _withdrawn_consent, lambda r: r.email, 0),
    Case("consent_records", "postal_code", _withdrawn_consent, lambda r: r.postal_code, 0),
    Case("consent_records", "the record", _consent_withdrawn_elsewhere, lambda r: r.wording, 100),
]


def _counts(session: Session) -> tuple[int, int]:
    events = session.scalar(select(func.count()).select_from(ContactEvent)) or 0
    offices = session.scalar(select(func.coalesce(func.sum(CountByOffice.n), 0))) or 0
    return int(events), int(offices)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.table}.{c.field}" for c in CASES])
def test_each_personal_field_goes_after_its_period(
    db_session: Session, campaign: Campaign, case: Case
) -> None:
    add_event(db_session, campaign, mp(db_session, 35075), Channel.email, Outcome.sent, at=T0)
    model, row_id = case.make(db_session, campaign)
    db_session.commit()
    counts = _counts(db_session)
    if case.days:
        delivery.sweep(db_session, SETTINGS, T0 + timedelta(days=case.days - 1), 600)
        db_session.commit()
        db_session.expire_all()
        row = db_session.get(model, row_id)
        assert row is not None and case.read(row) not in (None, ""), "kept before its period"
    delivery.sweep(db_session, SETTINGS, T0 + timedelta(days=case.days, hours=1), 600)
    db_session.commit()
    db_session.expire_all()
    row = db_session.get(model, row_id)
    assert row is None or case.read(row) in (None, "")
    assert _counts(db_session) == counts


def test_a_standing_consent_keeps_its_name_and_address(
    db_session: Session, campaign: Campaign
) -> None:
    consent = make_consent(db_session, campaign, created_at=T0 - timedelta(days=1000))
    delivery.sweep(db_session, SETTINGS, T0 + timedelta(days=1000), 600)
    db_session.commit()
    db_session.expire_all()
    assert consent.email and consent.name and consent.postal_code


def test_a_consenting_writer_keeps_name_and_address_until_withdrawal(
    db_session: Session, campaign: Campaign
) -> None:
    submission = _submission(db_session, campaign, consent_followup=True)
    delivery.sweep(db_session, SETTINGS, T0 + timedelta(days=31), 600)
    db_session.expire_all()
    assert submission.email == "ana@example.org" and submission.postal_code == ""
    consent = make_consent(db_session, campaign, submission_id=submission.id)
    unsubscribe.withdraw(db_session, consent, T0 + timedelta(days=32), "link")
    db_session.expire_all()
    assert submission.consent_followup is False
    assert submission.email is None
    assert submission.name == ""


def test_every_table_holding_personal_data_is_listed() -> None:
    tables = {field.table for field in retention.FIELDS}
    assert tables >= {c.table for c in CASES} | {"report_limits"}
