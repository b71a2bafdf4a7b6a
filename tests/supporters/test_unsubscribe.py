"""One-click unsubscribe: the link and its RFC 8058 POST, the public page, the mail's header.

Each works once and only for the record it names; the page answers the same whether or
not the address was on a list. Mail is built by the delivery code and parsed back with
the ``email`` package; pages are parsed as HTML.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.db import utcnow
from callmp.demo import DEMO_SLUG
from callmp.letters import delivery, records, smtp
from callmp.models import EmailMessage, EmailSubmission, MessageKind, MessageStatus
from callmp.models.consent import ConsentRecord
from callmp.supporters import unsubscribe
from tests.factories import demo_campaign, make_consent, make_signature
from tests.support.app import mail_service, sessions
from tests.support.html import one, parse, text

API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
SUPPORTER = "camille.tremblay@example.org"
PUBLIC = "https://callmp.example"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def record(app: Flask, record_id: int) -> ConsentRecord:
    with sessions(app)() as session:
        found = session.get(ConsentRecord, record_id)
        assert found is not None
        return found


def text_of(page: bytes) -> str:
    """The page's main text, whitespace collapsed."""
    return text(one(parse(page), "main"))


def test_link_withdraws_once_and_only_that_record(
    client: FlaskClient, session: Session, app: Flask
) -> None:
    campaign = demo_campaign(session)
    mine = make_consent(session, campaign, email="jeanne@example.org")
    other = make_consent(session, campaign, email="other@example.org")
    session.commit()
    shown = client.get(f"/u/{mine.unsubscribe_key}")
    assert shown.status_code == 200
    page = text_of(shown.data)
    assert "j•••@example.org" in page and "jeanne@example.org" not in shown.data.decode()
    assert len(parse(shown.data).select("main form[method=post] button")) == 1
    assert record(app, mine.id).withdrawn_at is None  # a GET changes nothing

    first = client.post(f"/u/{mine.unsubscribe_key}", data=ONE_CLICK)
    assert first.status_code == 200
    done = record(app, mine.id)
    assert done.withdrawn_at is not None and done.withdrawn_via == "link"
    assert record(app, other.id).withdrawn_at is None

    second = client.post(f"/u/{mine.unsubscribe_key}", data=ONE_CLICK)
    assert second.status_code == 200
    assert "already" in text_of(second.data)
    assert record(app, mine.id).withdrawn_at == done.withdrawn_at


def test_unknown_or_absurd_key_is_404(client: FlaskClient) -> None:
    assert client.get("/u/not-a-key").status_code == 404
    assert client.post("/u/not-a-key", data=ONE_CLICK).status_code == 404
    assert client.post("/u/" + "x" * 500, data=ONE_CLICK).status_code == 404


def test_link_clears_the_follow_up_flag_of_its_signature(
    client: FlaskClient, session: Session, app: Flask
) -> None:
    campaign = demo_campaign(session)
    signature = make_signature(session, campaign, consent_followup=True)
    consent = make_consent(session, campaign, action="petition", signature_id=signature.id)
    session.commit()
    assert client.post(f"/u/{consent.unsubscribe_key}", data=ONE_CLICK).status_code == 200
    session.expire_all()
    assert signature.consent_followup is False


def _page_token(client: FlaskClient) -> str:
    page = parse(client.get("/unsubscribe").data)
    return str(one(page, "input[name=csrf_token]")["value"])


def test_page_withdraws_every_consent_of_the_address_and_answers_the_same(
    client: FlaskClient, session: Session, app: Flask
) -> None:
    settings = mail_service(app).settings
    digest = records.keyed_hash("Jeanne@Example.org", settings)
    campaign = demo_campaign(session)
    a = make_consent(session, campaign, email_hmac=digest)
    b = make_consent(session, campaign, email_hmac=digest, action="petition")
    stranger = make_consent(session, campaign)
    session.commit()

    matched = client.post(
        "/unsubscribe", data={"csrf_token": _page_token(client), "email": " jeanne@example.org "}
    )
    missed = client.post(
        "/unsubscribe", data={"csrf_token": _page_token(client), "email": "nobody@example.org"}
    )
    assert matched.status_code == missed.status_code == 200
    assert text_of(matched.data) == text_of(missed.data)
    assert {record(app, r.id).withdrawn_via for r in (a, b)} == {"page"}
    assert record(app, stranger.id).withdrawn_at is None


def test_page_needs_its_token(client: FlaskClient, session: Session, app: Flask) -> None:
    campaign = demo_campaign(session)
    digest = records.keyed_hash("jeanne@example.org", mail_service(app).settings)
    consent = make_consent(session, campaign, email_hmac=digest)
    session.commit()
    refused = client.post("/unsubscribe", data={"email": "jeanne@example.org"})
    assert refused.status_code == 400
    assert record(app, consent.id).withdrawn_at is None


def test_page_is_limited_per_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(UNSUBSCRIBE_MAX_PER_IP_PER_HOUR=2)
    client = app.test_client()
    answers = [
        client.post(
            "/unsubscribe", data={"csrf_token": _page_token(client), "email": f"p{n}@example.org"}
        ).status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]


def _letter_with_consent(client: FlaskClient, app: Flask, *, withdrawn: bool = False) -> int:
    """A letter through the API (its confirmation message stored) and a consent for it."""
    body = {"name": "Camille Tremblay", "email": SUPPORTER, "postal_code": "K2P 1L4"}
    assert client.post(API, json=body).status_code == 202
    with sessions(app)() as session:
        submission = session.scalars(select(EmailSubmission)).one()
        consent = make_consent(
            session, demo_campaign(session), submission_id=submission.id, email=SUPPORTER
        )
        if withdrawn:
            consent.withdrawn_at = utcnow()
        session.commit()
        return submission.id


def _built(app: Flask, kind: MessageKind) -> email.message.EmailMessage:
    with sessions(app)() as session:
        message = session.scalars(select(EmailMessage).where(EmailMessage.kind == kind)).first()
        assert message is not None
        mail = delivery.outgoing(message, mail_service(app).settings.public_url)
        raw = smtp.build_message(mail, utcnow()).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_mail_to_a_consenting_supporter_carries_the_link(client: FlaskClient, app: Flask) -> None:
    _letter_with_consent(client, app)
    with sessions(app)() as session:
        (key,) = session.scalars(select(ConsentRecord.unsubscribe_key)).all()
    parsed = _built(app, MessageKind.confirmation)
    url = f"{PUBLIC}/u/{key}"
    assert str(parsed["List-Unsubscribe"]).strip() == f"<{url}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = parsed.get_body(("plain",))
    assert body is not None and url in body.get_content().splitlines()[-1]
    # The link in the mail is the one that works.
    assert client.post(url.removeprefix(PUBLIC), data=ONE_CLICK).status_code == 200


def test_letters_to_targets_and_withdrawn_consents_carry_no_link(
    client: FlaskClient, app: Flask
) -> None:
    _letter_with_consent(client, app, withdrawn=True)
    assert _built(app, MessageKind.confirmation)["List-Unsubscribe"] is None
    with sessions(app)() as session:
        session.execute(update(ConsentRecord).values(withdrawn_at=None))
        session.execute(
            update(EmailMessage)
            .where(EmailMessage.kind == MessageKind.letter)
            .values(status=MessageStatus.queued)
        )
        session.commit()
    assert _built(app, MessageKind.letter)["List-Unsubscribe"] is None
    assert _built(app, MessageKind.confirmation)["List-Unsubscribe"] is not None


def test_delivery_sends_the_header(client: FlaskClient, app: Flask, outbox: Path) -> None:
    """Through the mail service itself: the confirmation, sent again, now has the link."""
    _letter_with_consent(client, app)
    with sessions(app)() as session:
        message = session.scalars(
            select(EmailMessage).where(EmailMessage.kind == MessageKind.confirmation)
        ).one()
        message.status = MessageStatus.queued
        message.next_try_at = None
        session.commit()
        message_id = message.id
    mail_service(app).deliver(message_id)
    sent = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in outbox.glob("*.eml")
    ]
    headers = [str(m["List-Unsubscribe"] or "").strip() for m in sent if SUPPORTER in str(m["To"])]
    assert headers and headers[-1].startswith(f"<{PUBLIC}/u/")


def test_mask_keeps_only_the_first_letter_and_domain() -> None:
    assert unsubscribe.mask("jeanne@example.org") == "j•••@example.org"
    assert unsubscribe.mask(None) == "•••"


def test_a_consent_given_with_a_letter_is_withdrawn_from_its_own_mail_once(
    client: FlaskClient, app: Flask
) -> None:
    """End to end: the API writes the consent, the confirmation carries its link, and the
    provider's one-click POST withdraws it once, leaving another supporter's consent."""
    body = {
        "name": "Camille Tremblay",
        "email": SUPPORTER,
        "postal_code": "K2P 1L4",
        "consent_followup": True,
    }
    assert client.post(API, json=body).status_code == 202
    other = {**body, "name": "Noor Haddad", "email": "noor.haddad@example.org"}
    assert client.post(API, json=other).status_code == 202
    with sessions(app)() as session:
        mine = session.scalars(select(ConsentRecord).where(ConsentRecord.email == SUPPORTER)).one()
        key, mine_id = mine.unsubscribe_key, mine.id
        assert mine.action == "letter" and mine.source == "api" and mine.wording
    confirmations = _confirmations(app)
    url = f"{PUBLIC}/u/{key}"
    assert str(confirmations[SUPPORTER]["List-Unsubscribe"]).strip() == f"<{url}>"
    assert confirmations[SUPPORTER]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.post(url.removeprefix(PUBLIC), data=ONE_CLICK).status_code == 200
    withdrawn_at = record(app, mine_id).withdrawn_at
    assert withdrawn_at is not None
    assert client.post(url.removeprefix(PUBLIC), data=ONE_CLICK).status_code == 200
    assert record(app, mine_id).withdrawn_at == withdrawn_at
    with sessions(app)() as session:
        standing = session.scalars(
            select(ConsentRecord.email).where(ConsentRecord.withdrawn_at.is_(None))
        ).all()
    assert standing == ["noor.haddad@example.org"]


def _confirmations(app: Flask) -> dict[str, email.message.EmailMessage]:
    """Each supporter's confirmation message as it would be sent, by address."""
    found = {}
    with sessions(app)() as session:
        messages = session.scalars(
            select(EmailMessage).where(EmailMessage.kind == MessageKind.confirmation)
        ).all()
        for message in messages:
            mail = delivery.outgoing(message, mail_service(app).settings.public_url)
            raw = smtp.build_message(mail, utcnow()).as_bytes()
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, email.message.EmailMessage)
            found[mail.to_address] = parsed
    return found
