"""Counts match the events exactly, driven through the real flows end to end.

Each test drives a real flow (signed Twilio webhooks, the letter API and confirmation
page with an SMTP peer, the riding page's direct-call report form), replays and reorders
what the outside world may replay, then checks three things against numbers derived from
what it drove: the events themselves (a fresh GROUP BY over ``contact_events``), the
running totals the triggers keep (``stats.totals``, ``consistency.check``, the per-office,
per-target and per-referral tables), and the public counter
``GET /api/v1/campaigns/<slug>/counts``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, tostring

import pytest
from bs4 import Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.demo import DEMO_SLUG, MINISTER_FED_NUM, MINISTER_SOURCE
from callmp.models import (
    CallRequest,
    CallStatus,
    Campaign,
    Channel,
    ContactEvent,
    MessageStatus,
    Person,
    ProviderEvent,
)
from callmp.stats import consistency
from callmp.stats import totals as stats
from tests.support.app import PUBLIC_URL, mail_service, run_queued, sessions
from tests.support.calls import MINISTER, SPADINA, SPADINA_HILL, SPADINA_RIDING
from tests.support.html import one as one_html
from tests.support.html import parse as parse_html
from tests.support.letters import confirmation_link, make_due, messages, smtp_app
from tests.support.letters import run_mail_jobs as run_mail_retries
from tests.support.smtp_peer import SmtpPeer
from tests.support.twilio_http import make_twilio_app, placed_call, twilio_params, webhook
from tests.support.twilio_http import xml as twiml_of
from tests.support.twilio_standin import TwilioStandIn
from tests.support.twiml_doc import one, query, tags

COUNTS_API = f"/api/v1/campaigns/{DEMO_SLUG}/counts"
RIDING_PAGE = f"/c/{DEMO_SLUG}/riding/{SPADINA}"
LETTERS_API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"

#: What each office line of the public counter says, in this order.
OFFICE_FIGURES = (
    "total",
    "calls",
    "emails",
    "bridged_calls",
    "connected",
    "direct_calls",
    "emails_sent",
)
Row = tuple[int, ...]  # one office line's OFFICE_FIGURES
Leg = tuple[str, str, int]  # (number dialled, DialCallStatus, DialCallDuration)


@dataclass(frozen=True)
class DialAction:
    """A dial action as Twilio delivered it, and what we answered."""

    path: str
    status: str
    duration: int
    answer: bytes


@pytest.fixture(params=["immediate", "redis"])
def queue(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The queue: inline, or on the test's Redis server (jobs then wait there until
    ``run_queued`` runs them, as a worker would)."""
    if request.param == "redis":
        return {"QUEUE": "redis", "REDIS_URL": request.getfixturevalue("redis_url")}
    return {}


# -- Checking the counts ---------------------------------------------------------------------


def campaign_id(session: Session) -> int:
    """The demo campaign's id."""
    return session.scalars(select(Campaign.id).where(Campaign.slug == DEMO_SLUG)).one()


def outcomes(**by_channel: dict[str, int]) -> dict[str, dict[str, int]]:
    """Channel -> outcome -> events, every channel present (as ``stats.totals`` gives it)."""
    return {str(channel): dict(by_channel.get(str(channel), {})) for channel in Channel}


def events_by_outcome(session: Session, cid: int) -> dict[str, dict[str, int]]:
    """A fresh GROUP BY over the campaign's events: channel -> outcome -> count."""
    rows = session.execute(
        select(ContactEvent.channel, ContactEvent.outcome, func.count())
        .where(ContactEvent.campaign_id == cid)
        .group_by(ContactEvent.channel, ContactEvent.outcome)
    )
    found = outcomes()
    for channel, outcome, n in rows:
        found[str(channel)][str(outcome)] = int(n)
    return found


@dataclass(frozen=True)
class Expected:
    """What the counts must say, derived by hand from what a test drove."""

    by_outcome: dict[str, dict[str, int]]
    reached: dict[str, int]  # contacts made per channel (bridged_call, direct_call, email)
    duration_s: int  # seconds of bridged calls
    offices: dict[tuple[str, int | None], Row]  # (person, office id) -> OFFICE_FIGURES


def check_counts(app: Flask, expected: Expected) -> dict[str, Any]:
    """Assert events, running totals, stats tables and the public counter all match.

    Returns the counter's JSON for further checks.
    """
    with sessions(app)() as session:
        cid = campaign_id(session)
        # (a) The events themselves, and the running totals over them.
        assert events_by_outcome(session, cid) == expected.by_outcome
        totals = stats.totals(session, cid)
        assert totals.by_outcome == expected.by_outcome
        # (b) Every running total equals a fresh count, for this campaign and in all.
        assert consistency.check(session, cid) == []
        assert consistency.check(session) == []
        figures = totals.figures
        reached = expected.reached
        assert figures.reached == sum(reached.values())
        assert figures.emails_reached == reached.get("email", 0)
        assert figures.calls_reached == reached.get("bridged_call", 0) + reached.get(
            "direct_call", 0
        )
        assert figures.values["bridged"] == sum(expected.by_outcome["bridged_call"].values())
        assert figures.values["direct"] == sum(expected.by_outcome["direct_call"].values())
        assert figures.values["emails"] == sum(expected.by_outcome["email"].values())
        assert figures.duration_s == expected.duration_s
        durations = session.scalar(
            select(func.coalesce(func.sum(ContactEvent.duration_s), 0)).where(
                ContactEvent.campaign_id == cid
            )
        )
        assert durations == expected.duration_s
        # The per-office, per-target and per-referral tables add up to the same totals.
        rows = stats.office_rows(session, cid)
        assert sum(r.figures.reached for r in rows) == figures.reached
        assert sum(r.figures.duration_s for r in rows) == expected.duration_s
        targets = stats.target_rows(session, cid)
        assert sum(t.figures.reached for t in targets) == figures.reached
        assert sum(t.figures.values["bridged"] for t in targets) == figures.values["bridged"]
        referrals = stats.referral_rows(session, cid)
        assert sum(f.reached for _code, _label, f in referrals) == figures.reached
        assert sum(f.values["emails"] for _c, _l, f in referrals) == figures.values["emails"]
    # (c) The public counter.
    response = app.test_client().get(COUNTS_API)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    total = sum(reached.values())
    assert body["total"] == total
    assert body["calls"] == reached.get("bridged_call", 0) + reached.get("direct_call", 0)
    assert body["bridged_calls"] == reached.get("bridged_call", 0)
    assert body["direct_calls"] == reached.get("direct_call", 0)
    assert body["emails"] == reached.get("email", 0)
    assert (body["goal"], body["goal_percent"]) == (5000, total * 100 // 5000)
    assert body["by_outcome"] == expected.by_outcome
    assert body["attempts"] == {c: sum(o.values()) for c, o in expected.by_outcome.items()}
    lines = {
        (line["person"], line["office_id"]): tuple(line[k] for k in OFFICE_FIGURES)
        for line in body["by_office"]
    }
    assert len(lines) == len(body["by_office"])
    assert lines == expected.offices
    return body


@dataclass(frozen=True)
class People:
    """The demo targets for Spadina—Harbourfront: names and office ids."""

    mp: str
    minister: str
    hill: int
    riding: int
    minister_office: int


def people(app: Flask) -> People:
    """The MP for Spadina—Harbourfront and the demo's minister, as the database has them."""
    with sessions(app)() as session:
        mp = session.scalars(select(Person).where(Person.fed_num == SPADINA)).one()
        # The minister is reached through the portfolio's office contact; events name the
        # portfolio's holder.
        minister = session.scalars(select(Person).where(Person.source == MINISTER_SOURCE)).one()
        holder = session.scalars(select(Person).where(Person.fed_num == MINISTER_FED_NUM)).one()
        by_phone = {(o.person_id, o.phone): o.id for o in (*mp.offices, *minister.offices)}
        return People(
            mp=mp.full_name,
            minister=holder.full_name,
            hill=by_phone[(mp.id, SPADINA_HILL)],
            riding=by_phone[(mp.id, SPADINA_RIDING)],
            minister_office=by_phone[(minister.id, MINISTER)],
        )


# -- Driving a call as Twilio does ------------------------------------------------------------


def local(url: str | None) -> str:
    """A webhook URL from TwiML, as the path and query Twilio requests."""
    assert url and url.startswith(PUBLIC_URL), url
    return url.removeprefix(PUBLIC_URL)


@dataclass(frozen=True)
class Twilio:
    """Sends one call's webhooks as Twilio does, signed, through one test client."""

    client: FlaskClient
    call: CallRequest
    token: str

    def post(self, target: str, replays: int = 1, **extra: str) -> Element:
        """POST a voice webhook ``replays`` times; every answer must be the same TwiML."""
        params = twilio_params(self.call, **extra)
        answers = [
            twiml_of(webhook(self.client, target, params, token=self.token)) for _ in range(replays)
        ]
        assert len({tostring(answer) for answer in answers}) == 1, target
        root: Element = answers[0]
        return root

    def status(self, status: str) -> None:
        """A status callback about the supporter's leg."""
        target = f"/twilio/calls/{self.call.public_id}/status"
        params = twilio_params(self.call, CallStatus=status)
        assert webhook(self.client, target, params, token=self.token).status_code == 204

    def dialled(self, action: DialAction) -> bytes:
        """Deliver ``action`` again; the TwiML answered."""
        root = self.post(
            action.path, DialCallStatus=action.status, DialCallDuration=str(action.duration)
        )
        return tostring(root)

    def drive(self, legs: Sequence[Leg], replays: int = 2) -> list[DialAction]:
        """Answer, press 1 at each menu, end each <Dial> as ``legs`` say, until goodbye.

        Every webhook goes ``replays`` times. Returns the dial actions, so a test can
        replay them later.
        """
        left = list(legs)
        actions: list[DialAction] = []
        root = self.post(f"/twilio/calls/{self.call.public_id}/answer", replays)
        for _ in range(20):
            if list(root.iter("Dial")):
                dial = one(root, "Dial")
                number, status, duration = left.pop(0)
                assert one(dial, "Number").text == number
                action = local(dial.get("action"))
                root = self.post(
                    action, replays, DialCallStatus=status, DialCallDuration=str(duration)
                )
                actions.append(DialAction(action, status, duration, tostring(root)))
            elif list(root.iter("Gather")):
                root = self.post(local(one(root, "Gather").get("action")), replays, Digits="1")
            else:
                break
        assert tags(root) == ["Say", "Hangup"]  # goodbye
        assert left == []  # every leg was dialled
        return actions


def call_status(app: Flask, call: CallRequest) -> CallStatus:
    """The request's status as stored now."""
    with sessions(app)() as session:
        status: CallStatus = session.scalars(
            select(CallRequest.status).where(CallRequest.id == call.id)
        ).one()
        return status


# -- 1. One bridged call, with duplicates and late callbacks ---------------------------------


def test_a_bridged_call_with_replayed_and_late_callbacks_counts_each_attempt_once(
    make_app: Callable[..., Flask], standin: TwilioStandIn, queue: dict[str, Any]
) -> None:
    app = make_twilio_app(make_app, standin, COUNTS_CACHE_SECONDS=0, **queue)
    who = people(app)
    with sessions(app)() as session:
        call = placed_call(app, session)
    twilio = Twilio(app.test_client(), call, standin.auth_token)
    # The Hill is busy, the riding office talks 75 s, the Minister's office doesn't answer.
    # Every dial action (and every other webhook) is delivered twice.
    actions = twilio.drive(
        [
            (SPADINA_HILL, "busy", 0),
            (SPADINA_RIDING, "completed", 75),
            (MINISTER, "no-answer", 0),
        ]
    )
    assert [query(action.path) for action in actions] == [
        {"step": "0", "office": "0"},
        {"step": "0", "office": "1"},
        {"step": "1", "office": "0"},
    ]
    expected = Expected(
        by_outcome=outcomes(bridged_call={"busy": 1, "connected": 1, "no_answer": 1}),
        reached={"bridged_call": 1},
        duration_s=75,
        offices={
            (who.mp, who.hill): (0, 0, 0, 1, 0, 0, 0),
            (who.mp, who.riding): (1, 1, 0, 1, 1, 0, 0),
            (who.minister, who.minister_office): (0, 0, 0, 1, 0, 0, 0),
        },
    )
    before = check_counts(app, expected)
    # Status callbacks come late and out of order: completed (twice) before ringing, then
    # ringing and in-progress after the call ended.
    for status in ("completed", "completed", "ringing", "in-progress", "ringing", "answered"):
        twilio.status(status)
    assert call_status(app, call) == CallStatus.completed
    # Twilio replays every dial action after the call completed: the same answers.
    for action in actions:
        assert twilio.dialled(action) == action.answer
    after = check_counts(app, expected)
    assert {k: v for k, v in after.items() if k != "as_of"} == {
        k: v for k, v in before.items() if k != "as_of"
    }
    with sessions(app)() as session:
        events = list(
            session.scalars(
                select(ContactEvent)
                .where(ContactEvent.call_request_id == call.id)
                .order_by(ContactEvent.id)
            )
        )
        assert [(e.office_id, str(e.outcome), e.duration_s) for e in events] == [
            (who.hill, "busy", 0),
            (who.riding, "connected", 75),
            (who.minister_office, "no_answer", 0),
        ]
        rows = {
            r.office.id if r.office else None: r
            for r in stats.office_rows(session, events[0].campaign_id)
        }
        assert {k: r.figures.duration_s for k, r in rows.items()} == {
            who.hill: 0,
            who.riding: 75,
            who.minister_office: 0,
        }
        targets = stats.target_rows(session, events[0].campaign_id)
        assert [(t.people, t.figures.values["bridged"], t.figures.reached) for t in targets] == [
            (1, 2, 1),
            (1, 1, 0),
        ]
        ((code, _label, figures),) = stats.referral_rows(session, events[0].campaign_id)
        assert (code, figures.values["bridged"], figures.reached) == ("partner-a", 3, 1)
        seen = session.scalars(
            select(ProviderEvent.event).where(ProviderEvent.call_sid == call.provider_sid)
        )
        assert sorted(seen) == ["answered", "completed", "in-progress", "ringing"]


def test_a_dial_action_arriving_after_the_call_completed_still_counts_once(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = make_twilio_app(make_app, standin, COUNTS_CACHE_SECONDS=0)
    who = people(app)
    with sessions(app)() as session:
        call = placed_call(app, session)
    twilio = Twilio(app.test_client(), call, standin.auth_token)
    base = f"/twilio/calls/{call.public_id}"
    twilio.post(f"{base}/answer")
    dial = one(twilio.post(f"{base}/gather?step=0", Digits="1"), "Dial")
    assert one(dial, "Number").text == SPADINA_HILL
    action = local(dial.get("action"))
    # The supporter hangs up while talking to the Hill: Twilio's completed callback for
    # the call overtakes the dial action, which arrives late, and twice.
    twilio.status("completed")
    assert call_status(app, call) == CallStatus.completed
    nothing = Expected(outcomes(), {}, 0, {})
    check_counts(app, nothing)
    twilio.post(action, 2, DialCallStatus="completed", DialCallDuration="50")
    expected = Expected(
        by_outcome=outcomes(bridged_call={"connected": 1}),
        reached={"bridged_call": 1},
        duration_s=50,
        offices={(who.mp, who.hill): (1, 1, 0, 1, 1, 0, 0)},
    )
    check_counts(app, expected)
    twilio.status("in-progress")  # and news of the answer, later still
    twilio.post(action, DialCallStatus="completed", DialCallDuration="50")
    check_counts(app, expected)
    assert call_status(app, call) == CallStatus.completed


# -- 2. Several calls at once ---------------------------------------------------------------


#: Five calls, and how each office ends: (dial number, DialCallStatus, DialCallDuration).
SCRIPTS: tuple[tuple[Leg, ...], ...] = (
    ((SPADINA_HILL, "completed", 45), (MINISTER, "busy", 0)),
    ((SPADINA_HILL, "completed", 12), (MINISTER, "completed", 300)),
    ((SPADINA_HILL, "busy", 0), (SPADINA_RIDING, "no-answer", 0), (MINISTER, "completed", 31)),
    ((SPADINA_HILL, "completed", 30), (MINISTER, "no-answer", 0)),
    ((SPADINA_HILL, "canceled", 0), (MINISTER, "completed", 29)),
)


def test_concurrent_calls_with_racing_replays_count_exactly(
    make_app: Callable[..., Flask], standin: TwilioStandIn, queue: dict[str, Any]
) -> None:
    app = make_twilio_app(make_app, standin, COUNTS_CACHE_SECONDS=0, **queue)
    who = people(app)
    with sessions(app)() as session:
        calls = [placed_call(app, session, phone=f"+1613555015{i}") for i in range(len(SCRIPTS))]
    # Two drivers per call, each on its own test client and thread, start together: every
    # webhook reaches the app at least four times, two of them racing each other.
    jobs = [(call, legs) for call, legs in zip(calls, SCRIPTS, strict=True) for _ in range(2)]
    start = threading.Barrier(len(jobs))

    def run(call: CallRequest, legs: Sequence[Leg]) -> list[DialAction]:
        twilio = Twilio(app.test_client(), call, standin.auth_token)
        start.wait(timeout=30)
        twilio.status("ringing")
        twilio.status("in-progress")
        return twilio.drive(legs)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, call, legs) for call, legs in jobs]
        actions = [future.result(timeout=120) for future in futures]
    # Then each call completes (the callback retried), and late news and replays arrive.
    for index, call in enumerate(calls):
        twilio = Twilio(app.test_client(), call, standin.auth_token)
        for status in ("completed", "completed", "ringing"):
            twilio.status(status)
        # The two drivers of a call were answered alike, and so is a late replay.
        assert actions[2 * index] == actions[2 * index + 1]
        for action in actions[2 * index]:
            assert twilio.dialled(action) == action.answer
        assert call_status(app, call) == CallStatus.completed
    check_counts(
        app,
        Expected(
            by_outcome=outcomes(
                bridged_call={
                    "connected": 4,
                    "short": 2,
                    "busy": 2,
                    "no_answer": 2,
                    "cancelled": 1,
                }
            ),
            reached={"bridged_call": 6},
            duration_s=45 + 12 + 300 + 31 + 30 + 29,
            offices={
                (who.mp, who.hill): (3, 3, 0, 5, 2, 0, 0),
                (who.mp, who.riding): (0, 0, 0, 1, 0, 0, 0),
                (who.minister, who.minister_office): (3, 3, 0, 5, 2, 0, 0),
            },
        ),
    )
    with sessions(app)() as session:
        per_call = session.execute(
            select(ContactEvent.call_request_id, func.count())
            .group_by(ContactEvent.call_request_id)
            .order_by(ContactEvent.call_request_id)
        ).all()
        assert [tuple(row) for row in per_call] == [
            (call.id, len(legs)) for call, legs in zip(calls, SCRIPTS, strict=True)
        ]
        rows = {
            r.office.id if r.office else None: r.figures.duration_s
            for r in stats.office_rows(session, campaign_id(session))
        }
        assert rows == {who.hill: 45 + 12 + 30, who.riding: 0, who.minister_office: 300 + 31 + 29}
    # One call placed per request, never a second.
    assert len([r for r in standin.requests if r.method == "POST"]) == len(SCRIPTS)


# -- 3. Letters: queued, then sent or failed ------------------------------------------------


def confirm_by_page(app: Flask, peer: SmtpPeer, mails_before: int) -> str:
    """Open the confirmation link just mailed and press its button; the page's path.

    The jobs a real queue holds run first (the confirmation email) and after (the letters).
    """
    run_queued(mail_service(app).huey)
    received = peer.wait_for(mails_before + 1)
    assert len(received) == mails_before + 1
    path = urlsplit(confirmation_link(received[-1].message)).path
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    one_html(parse_html(page.data), "main form[method=post]")
    confirmed = client.post(path)
    assert confirmed.status_code == 303
    run_queued(mail_service(app).huey)
    return path


def test_letters_count_queued_then_move_to_sent_or_failed_and_a_replayed_confirmation_adds_nothing(
    make_app: Callable[..., Flask], smtp_peer: SmtpPeer, queue: dict[str, Any]
) -> None:
    app = smtp_app(make_app, smtp_peer.port, COUNTS_CACHE_SECONDS=0, **queue)
    who = people(app)
    client = app.test_client()
    letter = {"name": "Jane Doe", "postal_code": "M5V 3L9"}
    # A letter to the MP and the Minister, awaiting confirmation: nothing counted yet.
    first = client.post(LETTERS_API, json={**letter, "email": "jane@example.org"})
    assert (first.status_code, (first.json or {})["status"]) == (202, "awaiting_confirmation")
    nothing = Expected(outcomes(), {}, 0, {})
    assert peer_count(smtp_peer, 1, app) == 1
    check_counts(app, nothing)
    # Confirmed while the mail server answers 451: both letters wait in the queue, counted.
    smtp_peer.answer_always("451 4.3.0 Try again later")
    path = confirm_by_page(app, smtp_peer, 0)
    assert [m.status for m in messages(app)] == [MessageStatus.queued] * 2
    queued = Expected(
        by_outcome=outcomes(email={"queued": 2}),
        reached={"email": 2},
        duration_s=0,
        offices={
            (who.mp, None): (1, 0, 1, 0, 0, 0, 0),
            (who.minister, None): (1, 0, 1, 0, 0, 0, 0),
        },
    )
    check_counts(app, queued)
    # Both letters carry one time, so they share one half-hour total (see count_queued).
    with sessions(app)() as session:
        times = session.scalars(select(ContactEvent.created_at)).all()
    assert len(times) == 2 and len(set(times)) == 1
    # The supporter clicks again: already confirmed, nothing more counted or sent.
    assert app.test_client().post(path).status_code == 303
    check_counts(app, queued)
    # The server is back: the retries deliver, and each event moves from queued to sent.
    smtp_peer.answer_always(None)
    make_due(app)
    assert run_mail_retries(app) == 2
    assert peer_count(smtp_peer, 3) == 3
    assert [m.status for m in messages(app)] == [MessageStatus.sent] * 2
    sent = Expected(
        by_outcome=outcomes(email={"sent": 2}),
        reached={"email": 2},
        duration_s=0,
        offices={
            (who.mp, None): (1, 0, 1, 0, 0, 0, 1),
            (who.minister, None): (1, 0, 1, 0, 0, 0, 1),
        },
    )
    check_counts(app, sent)
    # The same supporter writing the same targets again is refused: nothing counted.
    again = client.post(LETTERS_API, json={**letter, "email": "JANE@example.org"})
    assert again.status_code == 409
    check_counts(app, sent)
    # A second supporter's letters wait (451), then are refused for good (550): failed.
    second = client.post(LETTERS_API, json={**letter, "email": "sam@example.org"})
    assert (second.status_code, (second.json or {})["status"]) == (202, "awaiting_confirmation")
    assert peer_count(smtp_peer, 4, app) == 4
    smtp_peer.answer_always("451 4.3.0 Try again later")
    path = confirm_by_page(app, smtp_peer, 3)
    check_counts(
        app,
        Expected(
            by_outcome=outcomes(email={"sent": 2, "queued": 2}),
            reached={"email": 4},
            duration_s=0,
            offices={
                (who.mp, None): (2, 0, 2, 0, 0, 0, 1),
                (who.minister, None): (2, 0, 2, 0, 0, 0, 1),
            },
        ),
    )
    smtp_peer.answer_always("550 5.1.1 No such mailbox")
    make_due(app)
    assert run_mail_retries(app) == 2
    assert [m.status for m in messages(app)] == [MessageStatus.sent] * 2 + [
        MessageStatus.failed
    ] * 2
    failed = Expected(
        by_outcome=outcomes(email={"sent": 2, "failed": 2}),
        reached={"email": 2},
        duration_s=0,
        offices={
            (who.mp, None): (1, 0, 1, 0, 0, 0, 1),
            (who.minister, None): (1, 0, 1, 0, 0, 0, 1),
        },
    )
    check_counts(app, failed)
    # Replaying that confirmation and running the queue again change nothing.
    assert app.test_client().post(path).status_code == 303
    assert run_mail_retries(app) == 0
    check_counts(app, failed)
    with sessions(app)() as session:
        # Four letters, four events: the outcome moved in place, no row was added.
        assert session.scalar(select(func.count()).select_from(ContactEvent)) == 4
    assert len(smtp_peer.received) == 4  # two confirmations and two letters, never more


def peer_count(peer: SmtpPeer, count: int, app: Flask | None = None) -> int:
    """How many messages the peer has once ``count`` arrived (or its wait timed out), after
    running the jobs ``app``'s real queue holds."""
    if app is not None:
        run_queued(mail_service(app).huey)
    return len(peer.wait_for(count))


# -- 4. Direct-call reports ------------------------------------------------------------------


def report_forms(client: FlaskClient) -> dict[str, Tag]:
    """The riding page's report forms, by target id."""
    response = client.get(RIDING_PAGE)
    assert response.status_code == 200
    soup = parse_html(response.data)
    forms = {}
    for form in soup.select("form.report"):
        target = one_html(form, "input[name=target_id]")
        forms[str(target["value"])] = form
    return forms


def report_data(form: Tag, outcome: str, office: int) -> tuple[str, dict[str, str]]:
    """What a browser posts from a report ``form`` choosing ``outcome`` and ``office``."""
    fields = {
        str(i["name"]): str(i.get("value", ""))
        for i in form.select("input[type=hidden]")
        if not str(i["name"]).endswith("-office")
    }
    prefix = next(name for name in fields if name.endswith("-token")).removesuffix("-token")
    offices = {str(i["value"]) for i in form.select(f"input[name={prefix}-office]")}
    assert str(office) in offices
    fields.update({f"{prefix}-outcome": outcome, f"{prefix}-office": str(office)})
    return str(form["action"]).split("#")[0], fields


def test_direct_call_reports_sent_twice_with_the_same_token_count_once(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(COUNTS_CACHE_SECONDS=0)
    who = people(app)
    client = app.test_client()
    client.get(f"/c/{DEMO_SLUG}?ref=flyer-7")
    mp_target, minister_target = report_forms(client)
    forms = report_forms(client)
    # One page: the MP's riding office (twice: a double tap) and the Minister's office.
    for target, outcome, office in (
        (mp_target, "talked_to_staff", who.riding),
        (mp_target, "talked_to_staff", who.riding),
        (minister_target, "left_voicemail", who.minister_office),
        (minister_target, "left_voicemail", who.minister_office),
    ):
        action, data = report_data(forms[target], outcome, office)
        assert client.post(action, data=data).status_code == 303
    # The same page's form again, now saying something else: still the same report.
    action, data = report_data(forms[mp_target], "no_answer", who.hill)
    assert client.post(action, data=data).status_code == 303
    # A fresh page is a new report: it counts.
    action, data = report_data(report_forms(client)[mp_target], "no_answer", who.hill)
    assert client.post(action, data=data).status_code == 303
    assert client.post(action, data=data).status_code == 303
    body = check_counts(
        app,
        Expected(
            by_outcome=outcomes(
                direct_call={"talked_to_staff": 1, "left_voicemail": 1, "no_answer": 1}
            ),
            reached={"direct_call": 2},
            duration_s=0,
            offices={
                (who.mp, who.riding): (1, 1, 0, 0, 0, 1, 0),
                (who.mp, who.hill): (0, 0, 0, 0, 0, 1, 0),
                (who.minister, who.minister_office): (1, 1, 0, 0, 0, 1, 0),
            },
        ),
    )
    assert body["total"] == 2
    with sessions(app)() as session:
        ((code, _label, figures),) = stats.referral_rows(session, campaign_id(session))
        assert (code, figures.values["direct"], figures.reached) == ("flyer-7", 3, 2)
