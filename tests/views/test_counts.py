"""The public counter: the counts API and the campaign page's counter and goal."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.models import Campaign, CampaignStatus, Channel, Outcome, SignatureStatus
from callmp.views import front_cache
from tests.factories import add_event, demo_campaign, make_signature, mp
from tests.support.app import counts_cache, sessions
from tests.support.clock import clock_stopped
from tests.support.html import one, parse, text

URL = "/api/v1/campaigns/status-for-all/counts"


@pytest.fixture
def uncached(make_app: Callable[..., Flask]) -> Flask:
    """The app recounting on every request."""
    return make_app(COUNTS_CACHE_SECONDS=0)


def seed(app: Flask, goal: int | None = 10) -> Campaign:
    """Two calls reached, one busy, one letter sent, one failed; the campaign's goal set."""
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        campaign.goal = goal
        spadina = mp(session, 35100)
        hill, local = spadina.offices[0], spadina.offices[1]
        add_event(session, campaign, spadina, Channel.bridged_call, Outcome.connected, office=hill)
        add_event(session, campaign, spadina, Channel.bridged_call, Outcome.busy, office=hill)
        add_event(
            session, campaign, spadina, Channel.direct_call, Outcome.left_voicemail, office=local
        )
        add_event(session, campaign, spadina, Channel.email, Outcome.sent)
        add_event(session, campaign, spadina, Channel.email, Outcome.failed)
        session.commit()
        return campaign


def get_json(app: Flask, url: str = URL) -> dict[str, Any]:
    """GET ``url`` and return its JSON (asserting a 200)."""
    response = app.test_client().get(url)
    assert response.status_code == 200, response.status_code
    body: dict[str, Any] = response.get_json()
    return body


def test_the_counts_answer_has_totals_channels_goal_and_offices(uncached: Flask) -> None:
    seed(uncached)
    body = get_json(uncached)
    assert (body["total"], body["calls"], body["emails"]) == (3, 2, 1)
    assert (body["bridged_calls"], body["direct_calls"]) == (1, 1)
    assert (body["goal"], body["goal_percent"]) == (10, 30)
    assert body["attempts"] == {"bridged_call": 2, "direct_call": 1, "email": 2}
    assert body["by_outcome"]["email"] == {"sent": 1, "failed": 1}
    offices = body["by_office"]
    assert sum(o["total"] for o in offices) == body["total"]
    assert {(o["office_kind"], o["calls"], o["emails"]) for o in offices} == {
        ("hill", 1, 0),
        ("constituency", 1, 0),
        (None, 0, 1),
    }
    assert all(o["fed_num"] == 35100 and o["person"] for o in offices)
    assert all(not set(o) & {"phone", "email", "postal_code"} for o in offices)


def test_by_office_can_be_left_out(uncached: Flask) -> None:
    seed(uncached)
    body = get_json(uncached, URL + "?by_office=0")
    assert "by_office" not in body and body["total"] == 3


def test_the_answer_is_conditional_and_open_to_other_sites(uncached: Flask) -> None:
    seed(uncached)
    client = uncached.test_client()
    # The answer says when it was counted (to the second): the clock stands still, so both
    # requests count the same figures at the same time.
    with clock_stopped():
        first = client.get(URL)
        assert first.headers["Access-Control-Allow-Origin"] == "*"
        assert "max-age=0" in first.headers["Cache-Control"]
        etag = first.headers["ETag"]
        again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_drafts_and_unknown_campaigns_are_404(uncached: Flask, session: Session) -> None:
    assert uncached.test_client().get("/api/v1/campaigns/nope/counts").status_code == 404
    with sessions(uncached)() as own:
        own.execute(update(Campaign).values(status=CampaignStatus.draft))
        own.commit()
    assert uncached.test_client().get(URL).status_code == 404


def test_an_archived_campaign_keeps_its_final_count(uncached: Flask) -> None:
    seed(uncached)
    with sessions(uncached)() as own:
        own.execute(update(Campaign).values(status=CampaignStatus.archived))
        own.commit()
    assert get_json(uncached)["total"] == 3


def test_cached_counts_wait_for_the_cache_then_catch_up(make_app: Callable[..., Flask]) -> None:
    app = make_app(COUNTS_CACHE_SECONDS=300)
    campaign = seed(app)
    assert get_json(app)["total"] == 3
    with sessions(app)() as session:
        add_event(session, campaign, mp(session, 35100), Channel.email, Outcome.sent)
        session.commit()
    assert get_json(app)["total"] == 3  # the same answer for the cache's lifetime
    cache = counts_cache(app)
    cache.clear()  # what expiry does, here and in the front layer
    front_cache.layer(app).clear()
    assert get_json(app)["total"] == 4


def test_without_a_cache_every_request_recounts(uncached: Flask) -> None:
    campaign = seed(uncached)
    assert get_json(uncached)["emails"] == 1
    with sessions(uncached)() as session:
        add_event(session, campaign, mp(session, 35100), Channel.email, Outcome.mailto)
        session.commit()
    assert get_json(uncached)["emails"] == 2


def test_the_campaign_page_shows_the_counter_and_goal(uncached: Flask) -> None:
    seed(uncached, goal=4)
    page = parse(uncached.test_client().get("/c/status-for-all?lang=en").data)
    counter = one(page, "section.counter")
    assert text(one(counter, '[data-count="total"]')) == "3"
    assert text(one(counter, ".counter-total")) == "3 contacts so far"
    assert text(one(counter, ".counter-split")) == "2 calls · 1 email"
    # The direct call rests on the supporter's word: shown apart from the verified two.
    assert text(one(counter, ".counter-proof")) == "2 verified · 1 reported by supporters"
    progress = one(counter, "progress")
    assert (progress["max"], progress["value"]) == ("4", "3")
    assert text(one(counter, '[data-count="goal_percent"]')) == "75%"
    assert counter["data-counts-url"] == URL + "?by_office=0"


def test_the_counter_is_in_french_and_without_goal_has_no_bar(uncached: Flask) -> None:
    seed(uncached, goal=None)
    page = parse(uncached.test_client().get("/c/status-for-all?lang=fr").data)
    counter = one(page, "section.counter")
    assert text(one(counter, ".counter-total")) == "3 contacts jusqu'ici"
    assert text(one(counter, ".counter-proof")) == "2 vérifiés · 1 déclaré"
    assert counter.select("progress") == []


def test_a_new_campaign_shows_zero(uncached: Flask, session: Session) -> None:
    campaign = session.scalars(select(Campaign)).one()
    assert campaign.slug == "status-for-all"
    body = get_json(uncached)
    assert (body["total"], body["by_office"], body["goal_percent"]) == (0, [], 0)


def test_clients_that_accept_gzip_get_the_same_answer_compressed(uncached: Flask) -> None:
    seed(uncached)
    client = uncached.test_client()
    # The answer says when it was counted (to the second): the clock stands still, so every
    # request counts the same figures at the same time.
    with clock_stopped():
        plain = client.get(URL)
        packed = client.get(URL, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
        assert packed.headers["ETag"] != plain.headers["ETag"]  # one per encoding
        again = client.get(
            URL, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}
        )
    assert again.status_code == 304


def test_unknown_campaigns_do_not_fill_the_cache(make_app: Callable[..., Flask]) -> None:
    app = make_app(COUNTS_CACHE_SECONDS=300)
    seed(app)
    client = app.test_client()
    assert client.get(URL).status_code == 200
    for n in range(50):
        assert client.get(f"/api/v1/campaigns/made-up-{n}/counts").status_code == 404
    cache = counts_cache(app)
    assert [key[0] for key in cache] == ["status-for-all"]


def test_the_counts_answer_separates_verified_from_self_reported_contacts(
    uncached: Flask,
) -> None:
    seed(uncached)
    with sessions(uncached)() as session:
        campaign = demo_campaign(session)
        spadina = mp(session, 35100)
        add_event(session, campaign, spadina, Channel.email, Outcome.mailto)
        add_event(session, campaign, spadina, Channel.direct_call, Outcome.no_answer)
        session.commit()
    body = get_json(uncached)
    # Verified: the bridged call Twilio connected, the letter our server sent.
    # Self-reported: the direct call's voicemail, the letter from the supporter's mail app.
    assert (body["total"], body["verified"], body["self_reported"]) == (4, 2, 2)
    assert body["verified"] + body["self_reported"] == body["total"]
    offices = {o["office_kind"]: o for o in body["by_office"]}
    assert {k: (o["verified"], o["self_reported"]) for k, o in offices.items()} == {
        "hill": (1, 0),
        "constituency": (0, 1),
        None: (1, 1),
    }


def sign(app: Flask, goal: int | None = 8) -> None:
    """The demo petition on: 3 from Spadina, 1 from its vacant seat, 1 not yet confirmed."""
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        campaign.petitions = True
        campaign.petition_goal = goal
        for _ in range(3):
            make_signature(session, campaign, fed_num=35100)
        make_signature(session, campaign, fed_num=35100, person_id=None)
        make_signature(
            session, campaign, fed_num=35100, status=SignatureStatus.awaiting_confirmation
        )
        session.commit()


def test_the_counts_answer_has_the_petitions_total_goal_and_ridings(uncached: Flask) -> None:
    seed(uncached)
    sign(uncached)
    body = get_json(uncached)
    petition = body["petition"]
    assert (petition["total"], petition["goal"], petition["goal_percent"]) == (4, 8, 50)
    assert body["total"] == 3  # contacts stay apart from signatures
    with sessions(uncached)() as session:
        member = mp(session, 35100)
        name, party = member.full_name, member.party
    assert [
        (r["fed_num"], r["person"], r["party"], r["province"], r["vacant"], r["signatures"])
        for r in petition["by_riding"]
    ] == [(35100, name, party, "ON", False, 3), (35100, None, None, "ON", True, 1)]
    assert all(not set(r) & {"name", "email", "postal_code", "city"} for r in petition["by_riding"])
    with sessions(uncached)() as session:
        riding = mp(session, 35100).riding
        assert riding is not None
        names = (riding.name("en"), riding.name("fr"))
    assert petition["by_riding"][0]["riding"] == names[0]
    french = get_json(uncached, URL + "?lang=fr")["petition"]["by_riding"][0]["riding"]
    assert french == names[1]


def test_the_petition_without_ridings_or_goal(uncached: Flask) -> None:
    seed(uncached)
    sign(uncached, goal=None)
    petition = get_json(uncached, URL + "?by_office=0")["petition"]
    assert petition == {"total": 4, "goal": None, "goal_percent": None}


def test_without_a_petition_the_answer_has_none(uncached: Flask) -> None:
    seed(uncached)
    with sessions(uncached)() as session:
        demo_campaign(session).petitions = False  # the demo has one
        session.commit()
    assert "petition" not in get_json(uncached)


def test_cached_petition_counts_wait_for_the_cache_too(make_app: Callable[..., Flask]) -> None:
    app = make_app(COUNTS_CACHE_SECONDS=300)
    seed(app)
    sign(app)
    assert get_json(app, URL + "?by_office=0")["petition"]["total"] == 4
    with sessions(app)() as session:
        make_signature(session, demo_campaign(session), fed_num=35100)
        session.commit()
    assert get_json(app, URL + "?by_office=0")["petition"]["total"] == 4
    counts_cache(app).clear()  # what expiry does, here and in the front layer
    front_cache.layer(app).clear()
    assert get_json(app, URL + "?by_office=0")["petition"]["total"] == 5
