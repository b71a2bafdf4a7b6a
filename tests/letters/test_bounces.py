"""DSNs as Postfix, Exim and Gmail write them, read by the standard library and applied."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.demo import DEMO_SLUG
from callmp.letters import bounces, dsn
from callmp.letters.service import MailService
from callmp.letters.verp import Verp
from callmp.models import (
    BouncedAddress,
    Campaign,
    ContactEvent,
    EmailMessage,
    MessageKind,
    MessageStatus,
    Outcome,
)
from tests.support.app import mail_service, sessions

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dsn"
BOUNCES = "bounces@campaigns.example.org"
NOW = datetime(2026, 11, 3, 19, 5, tzinfo=UTC)
LETTER = {"name": "Jane Doe", "email": "jane@example.org", "postal_code": "M5V 3L9"}


def fixture(name: str, **values: str) -> bytes:
    """A DSN fixture with its ``{{placeholders}}`` filled in."""
    text = (FIXTURES / name).read_text("ascii")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    assert "{{" not in text, "a placeholder was left unfilled"
    return text.encode("ascii")


@pytest.fixture
def bounce_app(make_app: Callable[..., Flask]) -> Flask:
    """An app (local outbox) with bounce addresses, and a letter sent to two MPs."""
    app = make_app(BOUNCE_ADDRESS=BOUNCES)
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    response = app.test_client().post(f"/api/v1/campaigns/{DEMO_SLUG}/emails", json=LETTER)
    assert response.status_code == 202
    return app


def letters(session: Session) -> list[EmailMessage]:
    """The letters, oldest first."""
    query = select(EmailMessage).where(EmailMessage.kind == MessageKind.letter)
    return list(session.scalars(query.order_by(EmailMessage.id)))


def apply(app: Flask, session: Session, raw: bytes) -> bounces.BounceResult:
    """Process ``raw`` as the service does, in ``session``."""
    service: MailService = mail_service(app)
    result = bounces.process(
        session,
        raw,
        verp=service.verp,
        settings=service.settings,
        flag_after=2,
        now=NOW,
    )
    session.commit()
    return result


def verp(app: Flask) -> Verp:
    """The app's bounce addresses."""
    found = mail_service(app).verp
    assert found is not None
    return found


def test_the_fixtures_parse_with_the_standard_library() -> None:
    values = {
        "verp": "bounces+m7-0123456789abcdef@campaigns.example.org",
        "message_id": "<1.2.3@forets.example.org>",
        "rcpt": "minh.nguyen@parl.example.ca",
        "rcpt2": "other.mp@parl.example.ca",
    }
    postfix = dsn.parse(fixture("postfix_user_unknown.eml", **values))
    (only,) = postfix.recipients
    assert (only.recipient, only.action, only.status, only.permanent) == (
        "minh.nguyen@parl.example.ca",
        "failed",
        "5.1.1",
        True,
    )
    assert "no such mailbox" in only.diagnostic
    assert postfix.returned_message_id == "<1.2.3@forets.example.org>"
    assert any("bounces+m7-" in text for text in postfix.token_texts)

    delayed = dsn.parse(fixture("postfix_delayed.eml", **values))
    assert [(r.action, r.status, r.permanent) for r in delayed.recipients] == [
        ("delayed", "4.4.1", False)
    ]
    assert delayed.failed == ()

    exim = dsn.parse(fixture("exim_two_recipients.eml", **values))
    assert [(r.recipient, r.action, r.status) for r in exim.recipients] == [
        ("minh.nguyen@parl.example.ca", "failed", "5.2.1"),
        ("other.mp@parl.example.ca", "delayed", "4.2.2"),
    ]
    assert [r.recipient for r in exim.failed] == ["minh.nguyen@parl.example.ca"]
    assert exim.returned_message_id == "<1.2.3@forets.example.org>"

    gmail = dsn.parse(fixture("gmail_no_such_user.eml", **values))
    assert [(r.action, r.status) for r in gmail.recipients] == [("failed", "5.1.1")]
    assert gmail.returned_message_id == "<1.2.3@forets.example.org>"


@pytest.mark.parametrize("name", ["postfix_user_unknown.eml", "gmail_no_such_user.eml"])
def test_a_permanent_failure_bounces_the_letter_its_token_names(
    bounce_app: Flask, name: str
) -> None:
    with sessions(bounce_app)() as session:
        first, _ = letters(session)
        raw = fixture(
            name,
            verp=verp(bounce_app).address(first.id),
            message_id=first.message_id,
            rcpt=first.to_address or "",
        )
        result = apply(bounce_app, session, raw)
        assert result.message_id == first.id and len(result.notices) == 1
        session.expire_all()
        assert [m.status for m in letters(session)] == [MessageStatus.bounced, MessageStatus.sent]
        event = session.scalars(
            select(ContactEvent).where(ContactEvent.email_message_id == first.id)
        ).one()
        assert event.outcome == Outcome.bounced
        notice = session.get(EmailMessage, result.notices[0])
        assert notice is not None
        assert (notice.kind, notice.to_address, notice.locale) == (
            MessageKind.bounce_notice,
            LETTER["email"],
            first.locale,
        )
        address = session.get(BouncedAddress, (first.to_address or "").lower())
        assert address is not None
        assert (address.bounces, address.person_id) == (1, first.person_id)
        assert address.last_reason.startswith("5.1.1")


def test_a_delay_is_not_a_bounce(bounce_app: Flask) -> None:
    with sessions(bounce_app)() as session:
        first, _ = letters(session)
        raw = fixture(
            "postfix_delayed.eml",
            verp=verp(bounce_app).address(first.id),
            message_id=first.message_id,
            rcpt=first.to_address or "",
        )
        result = apply(bounce_app, session, raw)
        assert result.message_id is None and "delayed" in result.ignored
        session.expire_all()
        assert [m.status for m in letters(session)] == [MessageStatus.sent] * 2
        assert session.scalars(select(BouncedAddress)).all() == []


def test_of_two_recipients_only_the_failed_one_bounces(bounce_app: Flask) -> None:
    with sessions(bounce_app)() as session:
        first, second = letters(session)
        raw = fixture(
            "exim_two_recipients.eml",
            verp=verp(bounce_app).address(first.id),
            message_id=first.message_id,
            rcpt=first.to_address or "",
            rcpt2=second.to_address or "",
        )
        assert apply(bounce_app, session, raw).message_id == first.id
        session.expire_all()
        assert [m.status for m in letters(session)] == [MessageStatus.bounced, MessageStatus.sent]


def test_without_a_token_the_returned_message_id_finds_the_letter(bounce_app: Flask) -> None:
    with sessions(bounce_app)() as session:
        _, second = letters(session)
        raw = fixture(
            "gmail_no_such_user.eml",
            verp=BOUNCES,
            message_id=second.message_id,
            rcpt=second.to_address or "",
        )
        assert apply(bounce_app, session, raw).message_id == second.id


def test_no_token_and_no_known_message_is_ignored_with_a_log_line_without_addresses(
    bounce_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with sessions(bounce_app)() as session:
        first, _ = letters(session)
        raw = fixture(
            "postfix_user_unknown.eml",
            verp=BOUNCES,
            message_id="<not-ours@elsewhere.example.net>",
            rcpt=first.to_address or "",
        )
        result = apply(bounce_app, session, raw)
        assert result.message_id is None
        session.expire_all()
        assert [m.status for m in letters(session)] == [MessageStatus.sent] * 2
    ignored = [r.getMessage() for r in caplog.records if "DSN ignored" in r.getMessage()]
    assert ignored and "no bounce token" in ignored[0]
    assert "@" not in caplog.text.replace(BOUNCES, "")
    assert (first.to_address or "?") not in caplog.text


def test_a_forged_token_is_ignored_even_with_a_real_message_id(
    bounce_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with sessions(bounce_app)() as session:
        first, _ = letters(session)
        forged = f"bounces+m{first.id}-0123456789abcdef@campaigns.example.org"
        other = verp(bounce_app).address(first.id + 1000)
        for address in (forged, other.replace("+m", "+m9")):
            raw = fixture(
                "postfix_user_unknown.eml",
                verp=address,
                message_id=first.message_id,
                rcpt=first.to_address or "",
            )
            result = apply(bounce_app, session, raw)
            assert result.message_id is None and result.ignored == "forged bounce token"
        session.expire_all()
        assert [m.status for m in letters(session)] == [MessageStatus.sent] * 2
    assert (first.to_address or "?") not in caplog.text


def test_a_token_for_one_letter_cannot_bounce_another_recipient(bounce_app: Flask) -> None:
    with sessions(bounce_app)() as session:
        first, second = letters(session)
        raw = fixture(
            "postfix_user_unknown.eml",
            verp=verp(bounce_app).address(first.id),
            message_id=first.message_id,
            rcpt=second.to_address or "",
        )
        result = apply(bounce_app, session, raw)
        assert result.message_id is None and "not among the failed" in result.ignored


def test_the_flag_clears_when_a_lead_saves_a_new_address(bounce_app: Flask) -> None:
    with sessions(bounce_app)() as session:
        first, _ = letters(session)
        assert first.person_id is not None
        now = NOW
        for step in range(2):
            bounces.count_address(
                session, "old@parl.example.ca", first.person_id, "5.1.1", now, flag_after=2
            )
            row = session.get(BouncedAddress, "old@parl.example.ca", populate_existing=True)
            assert row is not None and (row.flagged_at is not None) == (step == 1)
        assert [b.address for b in bounces.flagged(session, [first.person_id])] == [
            "old@parl.example.ca"
        ]
        assert bounces.clear_flag(session, first.person_id, "old@parl.example.ca") == 0
        assert bounces.clear_flag(session, first.person_id, "new@parl.example.ca") == 1
        assert bounces.flagged(session) == []


def test_the_notice_is_in_the_letters_language_with_french_spacing(bounce_app: Flask) -> None:
    with sessions(bounce_app)() as session:
        first, _ = letters(session)
        session.execute(update(EmailMessage).where(EmailMessage.id == first.id).values(locale="fr"))
        session.commit()
        raw = fixture(
            "postfix_user_unknown.eml",
            verp=verp(bounce_app).address(first.id),
            message_id=first.message_id,
            rcpt=first.to_address or "",
        )
        (notice_id,) = apply(bounce_app, session, raw).notices
        notice = session.get(EmailMessage, notice_id)
        assert notice is not None and notice.locale == "fr"
        assert notice.subject.startswith("Votre lettre n’a pas été livrée")
        body = notice.body or ""
        assert f"Votre lettre à {first.to_name} n’a pas pu être livrée\u00a0:" in body
        assert " :" not in body
