"""Bounces end to end: a real SMTP peer accepts the letters, then returns them with DSNs
posted to ``/hooks/bounces``; the letters move from sent to bounced in the counts and the
supporter is told."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from callmp.demo import DEMO_SLUG
from callmp.models import (
    BouncedAddress,
    Campaign,
    ContactEvent,
    EmailMessage,
    MessageKind,
    MessageStatus,
    Outcome,
)
from callmp.stats import totals as stats
from tests.support.app import sessions
from tests.support.bouncing_peer import BouncingPeer
from tests.support.letters import messages, smtp_app
from tests.support.mail import text_of

TOKEN = "bounce-hook-token-0123456789abcdef"
BOUNCES = "bounces@campaigns.example.org"
LETTERS_API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
COUNTS_API = f"/api/v1/campaigns/{DEMO_SLUG}/counts"
SUPPORTERS = ("jane@example.org", "sam@example.org")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def peer() -> Iterator[BouncingPeer]:
    """Accepts every message; bounces those to anyone outside example.org (the MPs)."""
    running = BouncingPeer(lambda address: not address.endswith("@example.org"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def bouncing_app(make_app: Callable[..., Flask], peer: BouncingPeer) -> Flask:
    """An app sending by SMTP to the peer, with VERP and the bounce hook on."""
    app = smtp_app(
        make_app,
        peer.port,
        BOUNCE_ADDRESS=BOUNCES,
        BOUNCE_WEBHOOK_TOKEN=TOKEN,
        COUNTS_CACHE_SECONDS=0,  # the counts API recounts at each request
    )
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    return app


def write(client: FlaskClient, email: str) -> list[str]:
    """Send the demo letter as the supporter with ``email``; the recipients' names."""
    letter = {"name": "Jane Doe", "email": email, "postal_code": "M5V 3L9"}
    response = client.post(LETTERS_API, json=letter)
    assert response.status_code == 202, response.get_json()
    return [str(r) for r in response.get_json()["recipients"]]


def post_dsn(client: FlaskClient) -> Callable[[bytes], Any]:
    """The webhook call a provider makes for one DSN."""

    def deliver(raw: bytes) -> Any:
        response = client.post(
            "/hooks/bounces", data=raw, headers={**AUTH, "Content-Type": "message/rfc822"}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return deliver


def email_outcomes(client: FlaskClient) -> dict[str, int]:
    """The public counts API's email outcomes."""
    response = client.get(COUNTS_API)
    assert response.status_code == 200
    by_outcome: dict[str, dict[str, int]] = response.get_json()["by_outcome"]
    return by_outcome.get("email", {})


def test_letters_accepted_then_bounced_move_from_sent_to_bounced(
    bouncing_app: Flask, peer: BouncingPeer
) -> None:
    client = bouncing_app.test_client()
    write(client, SUPPORTERS[0])
    letters = messages(bouncing_app)
    assert letters and all(m.status == MessageStatus.sent for m in letters)
    received = peer.wait_for(len(letters))
    # Each letter went out with its own signed bounce address as the envelope sender.
    senders = {r.mail_from for r in received}
    assert len(senders) == len(letters)
    assert all(s.startswith("bounces+m") and s.endswith("@campaigns.example.org") for s in senders)
    assert all(r.message["From"].addresses[0].domain != "campaigns.example.org" for r in received)
    before = email_outcomes(client)
    assert before.get("sent") == len(letters) and not before.get("bounced")
    total_before = client.get(COUNTS_API).get_json()["emails"]

    answers = peer.return_bounces(post_dsn(client))

    assert [a["status"] for a in answers] == ["bounced"] * len(letters)
    after = messages(bouncing_app)
    assert [m.status for m in after] == [MessageStatus.bounced] * len(letters)
    assert all(m.bounced_at is not None and m.error.startswith("5.1.1") for m in after)
    moved = email_outcomes(client)
    assert (moved.get("sent", 0), moved.get("bounced")) == (0, len(letters))
    assert client.get(COUNTS_API).get_json()["emails"] == total_before - len(letters)
    offices = client.get(COUNTS_API).get_json()["by_office"]
    assert sum(o["emails_bounced"] for o in offices) == len(letters)
    assert sum(o["emails_sent"] for o in offices) == 0
    # The organizers' dashboard reads the same running totals: Sent 0, Bounced 2.
    with sessions(bouncing_app)() as session:
        campaign_id = session.scalars(select(Campaign.id).where(Campaign.slug == DEMO_SLUG)).one()
        figures = stats.totals(session, campaign_id).figures
        assert (figures.values["emails_sent"], figures.values["emails_bounced"]) == (
            0,
            len(letters),
        )
        assert figures.emails_reached == 0
        office_rows = stats.office_rows(session, campaign_id)
        assert sum(r.figures.values["emails_bounced"] for r in office_rows) == len(letters)

    # The supporter hears, once per letter that came back, by mail through the queue.
    notices = messages(bouncing_app, MessageKind.bounce_notice)
    assert [n.status for n in notices] == [MessageStatus.sent] * len(letters)
    to_supporter = [r for r in peer.received if r.rcpt_tos == (SUPPORTERS[0],)]
    assert len(to_supporter) == len(letters)
    names = {m.to_name for m in after}
    for notice in to_supporter:
        assert notice.message["Subject"].startswith("Your letter was not delivered")
        body = text_of(notice.message)
        assert any(name in body for name in names)
        assert "call" in body and f"/c/{DEMO_SLUG}" in body
        # The notice itself goes out with a bounce address too, and is not bounced.
        assert notice.mail_from.startswith("bounces+m")
    assert peer.pending == []

    with sessions(bouncing_app)() as session:
        rows = session.scalars(select(BouncedAddress).order_by(BouncedAddress.address)).all()
        assert sorted(r.address for r in rows) == sorted({m.to_address or "" for m in after})
        assert all(r.bounces == 1 and r.flagged_at is None for r in rows)
        assert all(r.person_id is not None for r in rows)
        events = session.scalars(select(ContactEvent.outcome)).all()
        assert sorted(events) == [Outcome.bounced] * len(letters)


def test_a_replayed_dsn_changes_nothing(bouncing_app: Flask, peer: BouncingPeer) -> None:
    client = bouncing_app.test_client()
    write(client, SUPPORTERS[0])
    peer.wait_for(len(messages(bouncing_app)))
    dsns = peer.pending
    peer.return_bounces(post_dsn(client))
    notices = len(messages(bouncing_app, MessageKind.bounce_notice))
    counts = email_outcomes(client)
    replays = [post_dsn(client)(raw) for raw in dsns]
    assert [r["status"] for r in replays] == ["ignored"] * len(dsns)
    assert len(messages(bouncing_app, MessageKind.bounce_notice)) == notices
    assert email_outcomes(client) == counts
    with sessions(bouncing_app)() as session:
        assert all(r.bounces == 1 for r in session.scalars(select(BouncedAddress)))


def test_an_address_that_bounces_twice_is_flagged(bouncing_app: Flask, peer: BouncingPeer) -> None:
    client = bouncing_app.test_client()
    write(client, SUPPORTERS[0])
    peer.return_bounces(post_dsn(client))
    with sessions(bouncing_app)() as session:
        assert not session.scalars(
            select(BouncedAddress).where(BouncedAddress.flagged_at.is_not(None))
        ).all()
    write(client, SUPPORTERS[1])
    peer.return_bounces(post_dsn(client))
    with sessions(bouncing_app)() as session:
        rows = session.scalars(select(BouncedAddress)).all()
        assert rows and all(r.bounces == 2 and r.flagged_at is not None for r in rows)


def test_a_purged_supporter_gets_no_notice(bouncing_app: Flask, peer: BouncingPeer) -> None:
    client = bouncing_app.test_client()
    write(client, SUPPORTERS[0])
    with sessions(bouncing_app)() as session:
        from callmp.models import EmailSubmission

        session.execute(update(EmailSubmission).values(email=None, name=""))
        session.commit()
    answers = peer.return_bounces(post_dsn(client))
    assert {a["status"] for a in answers} == {"bounced"}
    assert messages(bouncing_app, MessageKind.bounce_notice) == []


# -- The hook's door -----------------------------------------------------------------


def test_without_the_setting_the_hook_does_not_exist(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    assert client.post("/hooks/bounces", data=b"x", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer é"},
        {"Authorization": "Bearer"},
    ],
)
def test_a_missing_or_wrong_token_is_a_401(
    make_app: Callable[..., Flask], headers: dict[str, str]
) -> None:
    app = make_app(BOUNCE_WEBHOOK_TOKEN=TOKEN)
    response = app.test_client().post("/hooks/bounces", data=b"x", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", "message/rfc822", 400),
        (b"hello", "message/rfc822", 422),
        (b"\x00\xff\xfe" * 100, "application/octet-stream", 422),
        (b"Content-Type: multipart/report\r\n\r\n--x--", "message/rfc822", 422),
        (
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: x\r\n\r\n--b--",
            "message/rfc822",
            422,
        ),
        (b"x" * (600 * 1024), "message/rfc822", 413),
        (b"message=", "application/x-www-form-urlencoded", 400),
        (b"message=%FF%FE", "application/x-www-form-urlencoded", 422),
    ],
)
def test_garbage_gets_a_4xx(
    make_app: Callable[..., Flask], body: bytes, content_type: str, status: int
) -> None:
    app = make_app(BOUNCE_WEBHOOK_TOKEN=TOKEN)
    response = app.test_client().post(
        "/hooks/bounces", data=body, headers={**AUTH, "Content-Type": content_type}
    )
    assert response.status_code == status


def test_only_post_reaches_the_hook(make_app: Callable[..., Flask]) -> None:
    client = make_app(BOUNCE_WEBHOOK_TOKEN=TOKEN).test_client()
    assert client.get("/hooks/bounces", headers=AUTH).status_code == 405
    assert client.head("/hooks/bounces", headers=AUTH).status_code == 405


def test_a_dsn_in_a_multipart_form_file_is_taken(bouncing_app: Flask, peer: BouncingPeer) -> None:
    client = bouncing_app.test_client()
    write(client, SUPPORTERS[0])
    peer.wait_for(len(messages(bouncing_app)))
    first, *_ = peer.pending
    response = client.post(
        "/hooks/bounces",
        data={"message": (io.BytesIO(first), "bounce.eml", "message/rfc822")},
        headers=AUTH,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.get_json()["status"] == "bounced"
    with sessions(bouncing_app)() as session:
        statuses = session.scalars(
            select(EmailMessage.status).where(EmailMessage.kind == MessageKind.letter)
        ).all()
    assert sorted(statuses).count(MessageStatus.bounced) == 1
