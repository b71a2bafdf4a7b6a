"""A campaign aimed at a portfolio reaches whoever holds it: pages, calls and letters follow a
shuffle applied by a data refresh, with no edit to the campaign.

The demo campaign's second target is the Immigration portfolio. The ministry lists are the
CONSTRUCTED fixtures in tests/fixtures/house (see its README): on 2026-11-20 Immigration
moves from Lena Metlege Diab to Marjorie Michel.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from callmp.calls import flow_plan
from callmp.calls import plan as callplan
from callmp.campaigns import running
from callmp.campaigns.targets import targets_for
from callmp.demo import DEMO_SLUG
from callmp.directory import house_files, lookup, ministry_apply
from callmp.i18n import translator
from callmp.letters.compose import Supporter, compose, letter_locale
from callmp.models import OfficeKind, Portfolio
from tests.factories import demo_campaign, make_person
from tests.support.app import sessions
from tests.support.html import one, parse
from tests.support.html import text as text_of

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
BEFORE = HOUSE / "ministries_en_2026-09-15_CONSTRUCTED.xml"
AFTER = HOUSE / "ministries_en_2026-11-20_CONSTRUCTED.xml"
SPADINA = 35100
WHEN = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
JANE = Supporter(name="Jane Doe", postal_code="M5V 3L9", city="Toronto", locale="en")
ROLE = "the Minister of Immigration, Refugees and Citizenship"


def _shuffle(session: Session, tmp_path: Path) -> None:
    """Apply the September list, then the November one (the shuffle), as a refresh would."""
    for as_of, path in ((date(2026, 9, 15), BEFORE), (date(2026, 11, 20), AFTER)):
        folder = tmp_path / as_of.isoformat()
        folder.mkdir()
        shutil.copy(path, folder / "ministries.xml")
        sources = house_files.read_sources(folder)
        ministry_apply.apply_sources(session, sources.ministries, as_of=as_of)


def _portfolio(session: Session) -> Portfolio:
    target = demo_campaign(session).targets[1]
    assert target.portfolio is not None
    return target.portfolio


def _cards(app: Flask) -> list[str]:
    """The names on the cards of the demo's Spadina—Harbourfront riding page."""
    page = parse(app.test_client().get(f"/c/{DEMO_SLUG}/riding/{SPADINA}").data)
    return [text_of(one(card, "h3")) for card in page.select("section.target")]


def test_after_a_shuffle_the_page_the_call_and_the_letter_reach_the_new_minister(
    app: Flask, tmp_path: Path
) -> None:
    assert _cards(app)[1] == "Hon. Lena Metlege Diab"
    with sessions(app)() as session:
        _shuffle(session, tmp_path)
        session.commit()
    # Same process, same cache: the shuffle raised the content revision.
    assert _cards(app)[1] == "Hon. Marjorie Michel"
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        portfolio = _portfolio(session)
        assert portfolio.holder is not None and portfolio.office_person is not None
        stops = callplan.plan_for(session, campaign, SPADINA, "en", WHEN, translator("en"))
        assert stops[1].label == f"Marjorie Michel, {ROLE}"
        office_ids = [o.id for o in portfolio.office_person.offices]
        assert [leg.office.id for leg in stops[1].legs] == office_ids
        plan = flow_plan.from_stops(campaign, stops, "en", translator("en"))
        # Counted events record the person reached and the office dialled.
        assert plan.stops[1].person_id == portfolio.holder.id
        assert [leg.office_id for leg in plan.stops[1].legs] == office_ids
        candidate = lookup.riding(session, SPADINA)
        letters = compose(campaign, targets_for(campaign, candidate), JANE)
        assert letters[1].to_name == "Hon. Marjorie Michel"
        assert letters[1].to_address == portfolio.office_person.email
        assert "Dear Minister," in letters[1].body


def test_a_portfolio_without_its_own_office_uses_the_holders_hill_office_and_says_so(
    app: Flask,
) -> None:
    with sessions(app)() as session:
        portfolio = _portfolio(session)
        portfolio.office_person = None
        session.commit()
        holder = portfolio.holder
        assert holder is not None
        hill = [o for o in holder.offices if o.kind == OfficeKind.hill]
        campaign = demo_campaign(session)
        stops = callplan.plan_for(session, campaign, SPADINA, "en", WHEN, translator("en"))
        assert [leg.office.id for leg in stops[1].legs] == [o.id for o in hill]
        assert stops[1].label == f"Lena Metlege Diab, {ROLE}, at their office as an MP"
        letters = compose(campaign, targets_for(campaign, lookup.riding(session, SPADINA)), JANE)
        assert letters[1].to_address == holder.email
    page = parse(app.test_client().get(f"/c/{DEMO_SLUG}/riding/{SPADINA}").data)
    card = page.select("section.target")[1]
    assert "these are Lena Metlege Diab's offices as an MP" in text_of(one(card, ".member-office"))
    phones = [text_of(a) for a in card.select("ul.offices a.phone")]
    assert phones == [o.phone_raw or o.phone for o in hill if o.phone]


def test_a_vacant_portfolio_says_so_and_then_its_fallback_stands_in(app: Flask) -> None:
    with sessions(app)() as session:
        _portfolio(session).holder = None
        session.commit()
        campaign = demo_campaign(session)
        stops = callplan.plan_for(session, campaign, SPADINA, "en", WHEN, translator("en"))
        assert (stops[1].label, stops[1].legs) == (f"{ROLE} (the post is vacant)", [])
        letters = compose(campaign, targets_for(campaign, lookup.riding(session, SPADINA)), JANE)
        assert len(letters) == 1  # the MP only
    page = parse(app.test_client().get(f"/c/{DEMO_SLUG}/riding/{SPADINA}").data)
    card = page.select("section.target")[1]
    assert text_of(one(card, "h3")) == f"The post of {ROLE} is vacant"
    with sessions(app)() as session:
        stand_in = make_person(session, full_name="Pat Standin", email="pat@example.org")
        demo_campaign(session).targets[1].fallback_person = stand_in
        session.commit()
    page = parse(app.test_client().get(f"/c/{DEMO_SLUG}/riding/{SPADINA}").data)
    card = page.select("section.target")[1]
    assert text_of(one(card, "h3")) == "Pat Standin"
    assert text_of(one(card, "p.fallback")).startswith(f"Nobody holds the post of {ROLE} now")


def test_letters_go_in_the_holders_preferred_language(app: Flask, tmp_path: Path) -> None:
    with sessions(app)() as session:
        _shuffle(session, tmp_path)
        holder = _portfolio(session).holder
        assert holder is not None
        holder.preferred_language = "fr"
        campaign = demo_campaign(session)
        targets = targets_for(campaign, lookup.riding(session, SPADINA))
        assert letter_locale(targets[1].person, "en") == "fr"
        letters = compose(campaign, targets, JANE)
        assert [letter.locale for letter in letters] == ["en", "fr"]
        assert letters[1].to_name == "L'hon. Marjorie Michel"


def test_the_demos_office_is_shown_as_not_from_an_official_source(app: Flask) -> None:
    page = parse(app.test_client().get(f"/c/{DEMO_SLUG}/riding/{SPADINA}").data)
    mp_card, minister_card = page.select("section.target")
    assert mp_card.select(".unofficial") == []
    marks = {text_of(mark) for mark in minister_card.select(".unofficial")}
    assert marks == {"not from an official source", "(not from an official source)"}


def test_a_change_to_a_portfolio_raises_the_content_revision(db_session: Session) -> None:
    before = running.content_revision(db_session)
    portfolio = _portfolio(db_session)
    db_session.execute(
        text("UPDATE portfolios SET holder_id = NULL WHERE id = :i"), {"i": portfolio.id}
    )
    db_session.commit()
    db_session.rollback()
    assert running.content_revision(db_session) > before
