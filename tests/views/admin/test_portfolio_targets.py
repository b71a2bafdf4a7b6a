"""Leads aim a target at a minister's portfolio; staff see portfolios and their provenance."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from callmp import demo
from callmp.models import Campaign, Portfolio, Role, TargetKind, User
from tests.factories import make_campaign
from tests.support.app import sessions
from tests.support.confirm import confirm_via_page
from tests.support.html import one, parse, text


def _post(client: FlaskClient, url: str, data: Mapping[str, object]) -> TestResponse:
    """POST ``data`` with the session's CSRF token, as the page's forms do."""
    token = parse(client.get("/admin/people").data).select_one("input[name=csrf_token]")
    assert token is not None
    return client.post(url, data={"csrf_token": token["value"], **data})


@pytest.fixture
def campaign_id(session: Session) -> int:
    """A draft campaign without targets (its edits save directly)."""
    campaign = make_campaign(session)
    session.commit()
    return campaign.id


@pytest.fixture
def portfolio_id(session: Session) -> int:
    """The demo's Immigration portfolio."""
    slug = demo.PORTFOLIO_SLUG
    return session.scalars(select(Portfolio.id).where(Portfolio.slug == slug)).one()


def test_a_lead_adds_a_portfolio_target_and_edits_it(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    campaign_id: int,
    portfolio_id: int,
) -> None:
    login_as(Role.lead)
    page = parse(client.get(f"/admin/campaigns/{campaign_id}/targets").data)
    options = [text(o) for o in page.select("#add-portfolio select[name=portfolio_id] option")]
    assert options == ["Minister of Immigration, Refugees and Citizenship · Lena Metlege Diab"]
    url = f"/admin/campaigns/{campaign_id}/targets/portfolio"
    response = _post(client, url, {"portfolio_id": str(portfolio_id), "role_en": ""})
    assert response.status_code == 302
    with sessions(app)() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        [target] = campaign.targets
        assert (target.kind, target.portfolio_id, target.person_id) == (
            TargetKind.portfolio,
            portfolio_id,
            None,
        )
        target_id = target.id
    row = parse(client.get(f"/admin/campaigns/{campaign_id}/targets").data).select(
        "table.targets tbody tr"
    )[0]
    assert "Whoever holds the portfolio: Minister of Immigration" in text(row)
    assert text(one(row, ".holder")) == "now Lena Metlege Diab"
    edit = parse(client.get(f"/admin/campaigns/{campaign_id}/targets/{target_id}").data)
    chosen = one(edit, "select[name=portfolio_id] option[selected]")
    assert chosen["value"] == str(portfolio_id)
    saved = _post(
        client,
        f"/admin/campaigns/{campaign_id}/targets/{target_id}",
        {"portfolio_id": str(portfolio_id), "role_en": "the Minister", "fallback_person_id": ""},
    )
    assert saved.status_code == 302
    with sessions(app)() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.targets[0].role_en == "the Minister"


@pytest.mark.parametrize("value", ["", "999999", "x"])
def test_a_portfolio_not_in_the_list_is_refused(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], campaign_id: int, value: str
) -> None:
    login_as(Role.lead)
    url = f"/admin/campaigns/{campaign_id}/targets/portfolio"
    response = _post(client, url, {"portfolio_id": value})
    assert response.status_code == 400
    error = one(parse(response.data), "#portfolio-portfolio_id-error")
    assert text(error) == "Please choose a portfolio from the list."
    with sessions(app)() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.targets == []


def test_staff_see_portfolios_with_holders_and_unofficial_sources_marked(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.organizer)
    page = parse(client.get("/admin/portfolios").data)
    row = one(page, f"#portfolio-{demo.PORTFOLIO_SLUG}")
    assert text(one(row, ".title-fr")) == (
        "ministre de l'Immigration, des Réfugiés et de la Citoyenneté"
    )
    assert text(one(row, ".holder")).startswith("Hon. Lena Metlege Diab")
    assert text(one(row, ".holder .unofficial")) == "not from an official source"
    # The holder, the office's email and each office: none from an official source.
    assert len(row.select(".unofficial")) == 3
    link = one(row, ".office a")
    assert text(link).startswith("Office of the Minister of Immigration")
    person = parse(client.get(link["href"]).data)
    assert "not from an official source" in text(one(person, "p.unofficial"))


def test_a_missing_french_title_is_shown_as_missing(
    session: Session, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    session.add(Portfolio(slug="minister-of-things", title_en="Minister of Things"))
    session.commit()
    login_as(Role.organizer)
    row = one(parse(client.get("/admin/portfolios").data), "#portfolio-minister-of-things")
    assert text(one(row, ".title-fr.missing")) == "French title missing"
    assert text(one(row, ".holder strong")) == "Vacant"


def test_the_office_contact_of_a_targeted_portfolio_cannot_be_deleted(
    session: Session, client: FlaskClient, login_as: Callable[..., User], portfolio_id: int
) -> None:
    portfolio = session.get(Portfolio, portfolio_id)
    assert portfolio is not None and portfolio.office_person_id is not None
    contact_id = portfolio.office_person_id
    login_as(Role.lead)
    response = _post(client, f"/admin/people/{contact_id}/delete", {"confirmed": "yes"})
    assert response.status_code == 400
    assert demo.DEMO_SLUG in text(one(parse(response.data), ".flash.error"))
    session.expire_all()
    kept = session.get(Portfolio, portfolio_id)
    assert kept is not None and kept.office_person_id == contact_id


def test_the_people_list_marks_the_demos_office_as_unofficial(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.organizer)
    rows = parse(client.get("/admin/people").data).select("table.people tbody tr")
    marked = [text(one(row, "a")) for row in rows if row.select(".unofficial")]
    assert marked == ["Office of the Minister of Immigration, Refugees and Citizenship"]


def test_a_live_campaigns_new_portfolio_target_waits_in_its_draft_until_published(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    campaign = session.scalars(select(Campaign).where(Campaign.slug == demo.DEMO_SLUG)).one()
    session.add(Portfolio(slug="minister-of-health", title_en="Minister of Health"))
    session.commit()
    health = session.scalars(select(Portfolio.id).where(Portfolio.slug == "minister-of-health"))
    health_id = health.one()
    login_as(Role.lead)
    url = f"/admin/campaigns/{campaign.id}/targets/portfolio"
    assert _post(client, url, {"portfolio_id": str(health_id)}).status_code == 302

    def kinds() -> list[tuple[TargetKind, int | None]]:
        with sessions(app)() as fresh:
            live = fresh.get(Campaign, campaign.id)
            assert live is not None
            return [(t.kind, t.portfolio_id) for t in live.targets]

    assert len(kinds()) == 2  # supporters still see the published targets
    changes = parse(client.get(f"/admin/campaigns/{campaign.id}/changes").data)
    assert "Portfolio: Minister of Health" in text(changes)
    assert confirm_via_page(client, f"/admin/campaigns/{campaign.id}/changes").status_code == 303
    assert kinds()[-1] == (TargetKind.portfolio, health_id)
