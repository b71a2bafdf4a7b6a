"""Letters through the queue to a real SMTP server: delivery, retries, failures, confirmation.

The app sends with its SMTP backend to an aiosmtpd peer on loopback. The queue is Huey in
immediate mode: a job runs inline when queued, and a retry lands in Huey's schedule,
which ``run_scheduled`` runs regardless of its time. Letters go in through the JSON API.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Callable
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage as ParsedMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update

from callmp.db import utcnow
from callmp.demo import DEMO_SLUG, EMAIL_FROM
from callmp.letters import confirmation, records
from callmp.letters.confirmation import ConfirmError
from callmp.models import (
    Campaign,
    CampaignStatus,
    Channel,
    ContactEvent,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    Outcome,
    SubmissionStatus,
)
from tests.factories import make_campaign, make_target
from tests.support.app import mail_service, sessions
from tests.support.letters import confirmation_link, make_due, messages, run_mail_jobs, smtp_app
from tests.support.smtp_peer import SmtpPeer, free_port

API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
SUPPORTER = "camille.tremblay@example.org"


def set_confirm(app: Flask, confirm: bool) -> None:
    """Turn the demo campaign's confirmation step on or off."""
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=confirm))
        session.commit()


def write(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    """Send a letter through the API; the JSON answer (status 202 asserted)."""
    body = {"name": "Camille Tremblay", "email": SUPPORTER, "postal_code": "K2P 1L4", **fields}
    response = client.post(API, json=body)
    assert response.status_code == 202, response.json
    answer: dict[str, Any] = response.json or {}
    return answer


def events(app: Flask) -> list[ContactEvent]:
    """Email contact events, oldest first."""
    with sessions(app)() as session:
        query = select(ContactEvent).where(ContactEvent.channel == Channel.email)
        return list(session.scalars(query.order_by(ContactEvent.id)))


def by_recipient(received: list[Any]) -> dict[str, ParsedMessage]:
    """Messages the peer received, by their single envelope recipient."""
    out = {}
    for item in received:
        assert len(item.rcpt_tos) == 1  # one message per target, never a list of MPs
        out[item.rcpt_tos[0]] = item.message
    return out


# -- Delivery ---------------------------------------------------------------------------


def test_each_target_gets_its_own_message_from_the_campaign_with_the_supporter_to_reply_to(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    set_confirm(app, False)
    answer = write(app.test_client(), name="Élise Côté-Nguyễn", personal_line="Ma voisine.")
    assert answer["status"] == "queued"
    stored = messages(app)
    received = by_recipient(smtp_peer.wait_for(len(stored)))
    assert len(stored) == 2 and set(received) == {m.to_address for m in stored}
    for row in stored:
        parsed = received[row.to_address or ""]
        (sender,) = parsed["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("Élise Côté-Nguyễn", EMAIL_FROM)
        (reply_to,) = parsed["Reply-To"].addresses
        assert reply_to.addr_spec == SUPPORTER
        (to,) = parsed["To"].addresses
        assert to.addr_spec == row.to_address
        assert "Cc" not in parsed and "Bcc" not in parsed
        assert parsed["Message-ID"] == row.message_id
        assert parsedate_to_datetime(parsed["Date"]).tzinfo is not None
        assert parsed["Subject"] == row.subject
        text = parsed.get_content()
        assert text.replace("\r\n", "\n") == row.body
        assert "Élise Côté-Nguyễn" in text and "Ma voisine." in text and "K2P 1L4" in text
    assert all(m.status == MessageStatus.sent and m.attempts == 1 for m in messages(app))
    outcomes = [(e.outcome, e.email_message_id) for e in events(app)]
    assert sorted(outcomes) == sorted((Outcome.sent, m.id) for m in stored)


def test_a_451_answer_is_retried_and_then_delivered_once(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    set_confirm(app, False)
    smtp_peer.answer_next("451 4.3.0 Try again later")
    write(app.test_client())
    first, second = messages(app)
    assert {first.status, second.status} == {MessageStatus.queued, MessageStatus.sent}
    waiting = first if first.status == MessageStatus.queued else second
    assert "451" in waiting.error and waiting.next_try_at is not None
    assert [e.outcome for e in events(app)].count(Outcome.queued) == 1
    make_due(app)
    assert run_mail_jobs(app) >= 1
    received = smtp_peer.wait_for(2)
    assert sorted(m["Message-ID"] for m in (r.message for r in received)) == sorted(
        m.message_id for m in (first, second)
    )
    assert all(m.status == MessageStatus.sent for m in messages(app))
    assert {e.outcome for e in events(app)} == {Outcome.sent}
    assert run_mail_jobs(app) == 0  # nothing left to retry
    time.sleep(0.1)
    assert len(smtp_peer.received) == 2  # and nothing sent twice


def test_a_550_answer_marks_the_message_failed_without_retrying(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    set_confirm(app, False)
    smtp_peer.answer_always("550 5.1.1 No such mailbox")
    write(app.test_client())
    stored = messages(app)
    assert [m.status for m in stored] == [MessageStatus.failed] * 2
    assert all("550" in m.error and m.attempts == 1 for m in stored)
    assert [e.outcome for e in events(app)] == [Outcome.failed] * 2
    assert run_mail_jobs(app) == 0


def test_letters_written_while_the_mail_server_is_down_go_out_once_it_is_back(
    make_app: Callable[..., Flask],
) -> None:
    port = free_port()
    app = smtp_app(make_app, port)
    set_confirm(app, False)
    answer = write(app.test_client())
    assert answer["status"] == "queued"  # the supporter is told it's on its way
    stored = messages(app)
    assert [m.status for m in stored] == [MessageStatus.queued] * 2
    assert all(m.attempts == 1 and m.error for m in stored)
    peer = SmtpPeer().start(port)
    try:
        make_due(app)
        run_mail_jobs(app)
        received = peer.wait_for(2)
        assert len({r.message["Message-ID"] for r in received}) == 2
        assert all(m.status == MessageStatus.sent for m in messages(app))
        make_due(app)
        assert mail_service(app).sweep() == []  # nothing due: the sweeper sends nothing again
        time.sleep(0.1)
        assert len(peer.received) == 2
    finally:
        peer.stop()


def test_temporary_failures_past_the_retry_period_mark_the_message_failed(
    make_app: Callable[..., Flask],
) -> None:
    app = smtp_app(make_app, free_port(), EMAIL_RETRY_HOURS=1)
    set_confirm(app, False)
    write(app.test_client())
    with sessions(app)() as session:
        session.execute(update(EmailMessage).values(queued_at=utcnow() - timedelta(hours=2)))
        session.commit()
    make_due(app)
    run_mail_jobs(app)
    stored = messages(app)
    assert [m.status for m in stored] == [MessageStatus.failed] * 2
    assert all(m.error.startswith("gave up after 2 tries") for m in stored)
    assert [e.outcome for e in events(app)] == [Outcome.failed] * 2


def test_a_message_is_claimed_once_so_a_repeated_job_sends_nothing(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    set_confirm(app, False)
    write(app.test_client())
    smtp_peer.wait_for(2)
    for message in messages(app):
        assert mail_service(app).deliver(message.id) is None
    mail_service(app).enqueue(m.id for m in messages(app))
    time.sleep(0.1)
    assert len(smtp_peer.received) == 2


def test_the_sweeper_requeues_a_message_a_crashed_worker_left_sending(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port, EMAIL_SWEEP_AFTER_S=60)
    set_confirm(app, True)
    write(app.test_client())
    smtp_peer.wait_for(1)  # the confirmation
    letter = messages(app)[0]
    with sessions(app)() as session:
        # A worker claimed it two minutes ago and died before sending.
        session.execute(
            update(EmailMessage)
            .where(EmailMessage.id == letter.id)
            .values(status=MessageStatus.sending, claimed_at=utcnow() - timedelta(minutes=2))
        )
        session.commit()
    due = mail_service(app).sweep()
    assert letter.id in due
    mail_service(app).enqueue(due)
    received = smtp_peer.wait_for(2)
    assert received[-1].message["Message-ID"] == letter.message_id


# -- Confirmation ------------------------------------------------------------------------


def test_nothing_goes_to_targets_until_the_supporter_confirms_then_everything_goes_once(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port, PUBLIC_URL="https://letters.example")
    answer = write(app.test_client())
    assert answer["status"] == "awaiting_confirmation"
    (link_mail,) = smtp_peer.wait_for(1)
    assert link_mail.rcpt_tos == (SUPPORTER,)
    assert [m.status for m in messages(app)] == [MessageStatus.held] * 2
    assert events(app) == []  # nothing counted before anything is sent
    link = confirmation_link(link_mail.message)
    assert link.startswith(f"https://letters.example/c/{DEMO_SLUG}/emails/confirm/")
    assert SUPPORTER not in link
    token = link.rsplit("/", 1)[1]
    settings = mail_service(app).settings
    with sessions(app)() as session:
        submission, confirmed = confirmation.confirm(session, token, settings, utcnow())
        session.commit()
        assert confirmed and submission.status == SubmissionStatus.queued
        ids = records.queued_ids(submission)
    mail_service(app).enqueue(ids)
    assert len(smtp_peer.wait_for(3)) == 3
    with sessions(app)() as session:
        _, again = confirmation.confirm(session, token, settings, utcnow())
        session.commit()
    assert not again  # a second click confirms nothing more
    assert [e.outcome for e in events(app)] == [Outcome.sent] * 2


def test_tampered_and_unknown_confirmation_links_are_refused(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    write(app.test_client())
    token = confirmation_link(smtp_peer.wait_for(1)[0].message).rsplit("/", 1)[1]
    settings = mail_service(app).settings
    other = records.MailSettings(secret="another secret")
    forged = URLSafeTimedSerializer(other.secret, salt=confirmation.TOKEN_SALT).dumps("x" * 22)
    unknown = URLSafeTimedSerializer(settings.secret, salt=confirmation.TOKEN_SALT).dumps(
        "not-a-submission"
    )
    with sessions(app)() as session:
        for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, unknown):
            with pytest.raises(ConfirmError) as caught:
                confirmation.confirm(session, bad, settings, utcnow())
            assert caught.value.reason == "invalid"
    assert [m.status for m in messages(app)] == [MessageStatus.held] * 2


def test_an_expired_confirmation_link_is_refused(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    write(app.test_client())
    token = confirmation_link(smtp_peer.wait_for(1)[0].message).rsplit("/", 1)[1]
    settings = mail_service(app).settings
    later = time.time() + (settings.confirm_hours + 1) * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    with sessions(app)() as session, pytest.raises(ConfirmError) as caught:
        confirmation.confirm(session, token, settings, utcnow())
    assert caught.value.reason == "expired"
    assert [m.status for m in messages(app)] == [MessageStatus.held] * 2


def age_submissions(app: Flask, hours: float) -> None:
    """Move every submission's creation back by ``hours``."""
    with sessions(app)() as session:
        past = utcnow() - timedelta(hours=hours)
        session.execute(update(EmailSubmission).values(created_at=past))
        session.commit()


def test_one_reminder_goes_to_a_supporter_who_has_not_confirmed(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    write(app.test_client())
    smtp_peer.wait_for(1)
    assert mail_service(app).sweep() == []  # too early for a reminder
    age_submissions(app, 25)
    mail_service(app).enqueue(mail_service(app).sweep())
    mail_service(app).enqueue(mail_service(app).sweep())  # a second sweep sends no second reminder
    received = smtp_peer.wait_for(2)
    time.sleep(0.1)
    assert len(smtp_peer.received) == 2
    assert received[1].rcpt_tos == (SUPPORTER,)
    assert [m.kind for m in messages(app, None)].count(MessageKind.reminder) == 1
    assert "/emails/confirm/" in confirmation_link(received[1].message)


def test_unconfirmed_letters_expire_and_are_never_sent_or_counted(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    write(app.test_client())
    smtp_peer.wait_for(1)
    age_submissions(app, 49)
    assert mail_service(app).sweep() == []
    assert [m.status for m in messages(app)] == [MessageStatus.expired] * 2
    with sessions(app)() as session:
        (submission,) = session.scalars(select(EmailSubmission))
        assert submission.status == SubmissionStatus.expired
    assert events(app) == []


# -- Duplicates, limits, purge ------------------------------------------------------------


def test_writing_the_same_targets_again_within_the_window_is_caught(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    client = app.test_client()
    write(client)
    again = client.post(
        API, json={"name": "C", "email": SUPPORTER.upper(), "postal_code": "K2P1L4"}
    )
    assert again.status_code == 409
    assert again.json and again.json["reason"] == "duplicate" and again.json["error"]
    # Another riding shares the minister: only the new MP gets a letter.
    other = write(client, postal_code="M5V 3L9")
    assert len(other["recipients"]) == 1
    with sessions(app)() as session:
        statuses = session.scalars(
            select(EmailMessage.status).where(EmailMessage.kind == MessageKind.letter)
        ).all()
    assert sorted(statuses) == sorted(
        [MessageStatus.held, MessageStatus.held, MessageStatus.held, MessageStatus.duplicate]
    )


def test_the_same_address_may_write_again_after_the_window(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    client = app.test_client()
    write(client)
    age_submissions(app, 25)
    write(client)


def test_too_many_letters_from_one_connection_are_refused_with_429(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(EMAIL_MAX_PER_IP_PER_HOUR=2)
    client = app.test_client()
    write(client, email="a@example.org")
    write(client, email="b@example.org")
    refused = client.post(
        API, json={"name": "C", "email": "c@example.org", "postal_code": "K2P 1L4"}
    )
    assert refused.status_code == 429
    assert refused.json and refused.json["reason"] == "ip_limit"


def test_the_connection_limit_holds_across_campaigns(make_app: Callable[..., Flask]) -> None:
    app = make_app(EMAIL_MAX_PER_IP_PER_HOUR=1)
    with sessions(app)() as session:
        other = make_campaign(
            session, slug="second-ask", status=CampaignStatus.published, emails=True
        )
        make_target(session, other)
        session.commit()
    client = app.test_client()
    write(client, email="a@example.org")
    refused = client.post(
        "/api/v1/campaigns/second-ask/emails",
        json={"name": "C", "email": "c@example.org", "postal_code": "K2P 1L4"},
    )
    assert refused.status_code == 429
    assert refused.json and refused.json["reason"] == "ip_limit"


def test_identical_letters_are_refused_only_when_the_campaign_says_so(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(EMAIL_IDENTICAL_NUDGE=2)
    set_confirm(app, False)
    client = app.test_client()
    write(client, email="a@example.org")
    second = write(client, email="b@example.org")
    assert second["identical"] == 1
    third = write(client, email="c@example.org")
    assert third["identical"] == 2  # told, not blocked
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_block_identical=True))
        session.commit()
    body = {"name": "D", "email": "d@example.org", "postal_code": "K2P 1L4"}
    blocked = client.post(API, json=body)
    assert blocked.status_code == 400
    assert blocked.json and blocked.json["reason"] == "identical"
    write(client, email="d@example.org", personal_line="I work on a farm near Ottawa.")


def test_old_letters_and_addresses_are_purged_and_the_counts_stay(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(EMAIL_RETENTION_DAYS=30)
    set_confirm(app, False)
    client = app.test_client()
    write(client, email="keep@example.org", consent_followup=True, personal_line="Mine.")
    write(client, email="gone@example.org", postal_code="M5V 3L9", city="Toronto")
    counted = len(events(app))
    assert mail_service(app).sweep() == [] and counted == 4
    age_submissions(app, 31 * 24)
    mail_service(app).sweep()
    with sessions(app)() as session:
        rows = {s.email_hmac: s for s in session.scalars(select(EmailSubmission))}
        kept = rows[records.keyed_hash("keep@example.org", mail_service(app).settings)]
        gone = rows[records.keyed_hash("gone@example.org", mail_service(app).settings)]
        assert (kept.email, kept.name, kept.personal_line) == (
            "keep@example.org",
            "Camille Tremblay",
            "",
        )
        assert (gone.email, gone.name, gone.city) == (None, "", "")
        # The postal code goes for everyone; the riding stays for the counts.
        assert (kept.postal_code, gone.postal_code) == ("", "")
        assert (kept.fed_num, gone.fed_num) == (35079, 35100)
        assert kept.purged_at is not None and gone.purged_at is not None
        letters = session.scalars(select(EmailMessage)).all()
        assert all(m.body is None and m.reply_to_address is None for m in letters)
        assert all(m.kind == MessageKind.letter for m in letters)
        count = session.scalar(select(func.count()).select_from(ContactEvent))
    assert count == counted


def test_a_letter_still_in_the_queue_is_not_purged(make_app: Callable[..., Flask]) -> None:
    app = smtp_app(make_app, free_port(), EMAIL_RETENTION_DAYS=1)
    set_confirm(app, False)
    write(app.test_client())
    age_submissions(app, 48)
    mail_service(app).sweep()
    assert all(m.body for m in messages(app))


def test_header_injection_in_the_name_is_refused_before_anything_is_stored(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    client = app.test_client()
    for name in ("Eve\r\nBcc: everyone@example.org", "Eve\nSubject: hi", "Eve\r"):
        response = client.post(
            API, json={"name": name, "email": SUPPORTER, "postal_code": "K2P 1L4"}
        )
        assert response.status_code == 400
        assert response.json and response.json["field"] == "name"
    injected = client.post(
        API,
        json={
            "name": "Eve",
            "email": "eve@example.org\r\nBcc: x@example.org",
            "postal_code": "K2P 1L4",
        },
    )
    assert injected.status_code == 400 and injected.json and injected.json["field"] == "email"
    with sessions(app)() as session:
        assert session.scalar(select(func.count()).select_from(EmailSubmission)) == 0


def test_the_stored_name_in_from_is_encoded_and_cannot_add_headers(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    set_confirm(app, False)
    # Bidi overrides and zero-width characters are dropped; the rest stays as written.
    write(app.test_client(), name="Zoë \u202eO'Brien\u200b, Jr.")
    received = smtp_peer.wait_for(2)
    for item in received:
        (sender,) = item.message["From"].addresses
        assert isinstance(sender, Address)
        assert sender.display_name == "Zoë O'Brien, Jr."
        assert set(item.message.keys()) >= {"From", "To", "Reply-To", "Subject", "Message-ID"}
        assert "Bcc" not in item.message


# -- Display names in From and Reply-To -------------------------------------------------

#: What a name must never do: add an address to From or Reply-To (70 to 120 characters).
ADDRESS_LIKE_NAMES = [
    "Jane Doe, attacker@evil.example, " + "x" * 60,
    'Jane "The Boss" Doe; other@evil.example: ' + "y" * 50,
    "Jane <attacker@evil.example>, Doe (" + "z" * 50 + ")",
    "=?utf-8?q?Jane_=3Cattacker=40evil.example=3E?=, " + "w" * 45,
    "Zoë Côté-Tremblay, Élise <attacker@evil.example>, " + "é" * 40,
]


def _single(raw: bytes, field: str) -> str:
    """The one address of ``field`` as sent, read by both of the email package's parsers."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    (header,) = parsed.get_all(field) or []
    (address,) = header.addresses
    head = re.sub(rb"\r\n[ \t]", b" ", raw.split(b"\r\n\r\n", 1)[0]).decode("ascii")
    (line,) = [h for h in head.split("\r\n") if h.lower().startswith(field.lower() + ":")]
    (pair,) = getaddresses([line.split(":", 1)[1]])
    assert pair[1] == address.addr_spec
    return str(address.addr_spec)


def test_a_name_with_address_syntax_is_refused_at_input(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = app.test_client()
    for name in ADDRESS_LIKE_NAMES:
        assert 70 <= len(name) <= 120
        response = client.post(
            API, json={"name": name, "email": SUPPORTER, "postal_code": "K2P 1L4"}
        )
        assert response.status_code == 400, name
        assert response.json and response.json["field"] == "name"
        assert "<" in response.json["error"]
    with sessions(app)() as session:
        assert session.scalar(select(func.count()).select_from(EmailSubmission)) == 0


def test_a_long_name_with_commas_goes_out_as_one_address_in_from_and_reply_to(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    app = smtp_app(make_app, smtp_peer.port)
    set_confirm(app, False)
    name = "Zoë O'Brien-Côté, Jr., Marie-Ève (Mimi) Tremblay & Jean-François St. Pierre, PhD"
    assert len(name) > 78
    write(app.test_client(), name=name)
    received = smtp_peer.wait_for(2)
    assert len(received) == 2
    for item in received:
        assert _single(item.raw, "From") == EMAIL_FROM
        assert _single(item.raw, "Reply-To") == SUPPORTER
        assert _single(item.raw, "To") == item.rcpt_tos[0]
        assert name in item.message.get_content()  # the signature keeps the whole name
    assert [m.status for m in messages(app)] == [MessageStatus.sent] * 2


def test_a_stored_name_with_address_syntax_never_adds_an_address(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer
) -> None:
    """A name stored before the input check: each letter goes to one address or fails."""
    app = smtp_app(make_app, smtp_peer.port)
    set_confirm(app, True)
    write(app.test_client())
    (link_mail,) = smtp_peer.wait_for(1)
    letters = messages(app)
    with sessions(app)() as session:
        for row, name in zip(letters, ADDRESS_LIKE_NAMES[2:4], strict=True):
            session.execute(
                update(EmailMessage)
                .where(EmailMessage.id == row.id)
                .values(from_name=name, reply_to_name=name)
            )
        session.commit()
        token = confirmation_link(link_mail.message).rsplit("/", 1)[1]
        submission, _confirmed = confirmation.confirm(
            session, token, mail_service(app).settings, utcnow()
        )
        session.commit()
        ids = records.queued_ids(submission)
    mail_service(app).enqueue(ids)
    sent, refused = sorted(messages(app), key=lambda m: m.status != MessageStatus.sent)
    assert (sent.status, refused.status) == (MessageStatus.sent, MessageStatus.failed)
    assert "Reply-To does not parse back" in refused.error or "From does not" in refused.error
    (_link, letter) = smtp_peer.wait_for(2)
    assert _single(letter.raw, "From") == EMAIL_FROM
    assert _single(letter.raw, "Reply-To") == SUPPORTER
    outcomes = sorted(e.outcome for e in events(app))
    assert outcomes == sorted([Outcome.sent, Outcome.failed])
