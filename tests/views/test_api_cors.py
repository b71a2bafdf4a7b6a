"""CORS on the JSON API: a campaign's partners' sites may call it from a browser, no other."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from callmp.models import Campaign, Role, User
from callmp.partners import editing
from callmp.partners.editing import PartnerInput
from callmp.views.context import clean_referral
from tests.factories import demo_campaign, make_campaign

#: Listed by a partner of the demo campaign.
PARTNER = "http://127.0.0.1:8001"
#: Listed by a partner of another campaign only.
OTHER = "https://other.example"
#: Listed by nobody.
STRANGER = "https://stranger.example"
CORS_HEADERS = {
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Credentials",
    "Access-Control-Max-Age",
}


@pytest.fixture
def lead(session: Session) -> User:
    """A campaign lead to make the partners as."""
    user = User(email="cors-lead@staff.example", role=Role.lead, password_hash="x")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def demo(session: Session, lead: User) -> Campaign:
    """The demo campaign with a partner listing ``PARTNER``; another campaign's partner
    lists ``OTHER``."""
    campaign = demo_campaign(session)
    other = make_campaign(session)
    for target, name, origin in [(campaign, "mrn", PARTNER), (other, "other", OTHER)]:
        typed = PartnerInput(name=name, code=name, origins=origin)
        editing.create(session, target, typed, lead, clean_referral)
    session.commit()
    return campaign


def cors(response: TestResponse) -> dict[str, str]:
    """The response's CORS headers."""
    return {k: v for k, v in response.headers.items() if k in CORS_HEADERS}


def vary(response: TestResponse) -> set[str]:
    """The header names in ``Vary``."""
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}


def post_email(client: FlaskClient, campaign: Campaign, origin: str) -> TestResponse:
    """A letter with no fields from ``origin``: refused, and the refusal must be readable."""
    return client.post(
        f"/api/v1/campaigns/{campaign.slug}/emails", json={}, headers={"Origin": origin}
    )


def preflight(client: FlaskClient, path: str, origin: str) -> TestResponse:
    """The OPTIONS request a browser sends before a JSON POST from ``origin``."""
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_a_partners_site_may_read_the_campaigns_answers(
    client: FlaskClient, demo: Campaign
) -> None:
    response = post_email(client, demo, PARTNER)
    assert response.status_code == 400
    assert cors(response) == {"Access-Control-Allow-Origin": PARTNER}
    assert "origin" in vary(response)


@pytest.mark.parametrize("origin", [OTHER, STRANGER, "null", "HTTP://127.0.0.1:8001"])
def test_other_sites_get_no_cors_header(client: FlaskClient, demo: Campaign, origin: str) -> None:
    response = post_email(client, demo, origin)
    assert response.status_code == 400
    assert cors(response) == {}
    assert "origin" in vary(response)


@pytest.mark.parametrize("what", ["emails", "calls"])
def test_a_preflight_from_a_partner_is_answered(
    client: FlaskClient, demo: Campaign, what: str
) -> None:
    response = preflight(client, f"/api/v1/campaigns/{demo.slug}/{what}", PARTNER)
    assert response.status_code == 200
    assert cors(response) == {
        "Access-Control-Allow-Origin": PARTNER,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }


@pytest.mark.parametrize("origin", [OTHER, STRANGER])
def test_a_preflight_from_another_site_is_not(
    client: FlaskClient, demo: Campaign, origin: str
) -> None:
    response = preflight(client, f"/api/v1/campaigns/{demo.slug}/calls", origin)
    assert cors(response) == {}


def test_the_lookup_names_no_campaign_and_answers_every_partners_site(
    client: FlaskClient, demo: Campaign
) -> None:
    for origin in (PARTNER, OTHER):
        answer = client.get(
            "/api/v1/lookup", query_string={"postal_code": "K2P 1L4"}, headers={"Origin": origin}
        )
        assert answer.status_code == 200 and answer.json is not None
        assert cors(answer) == {"Access-Control-Allow-Origin": origin}
    stranger = client.get(
        "/api/v1/lookup", query_string={"postal_code": "K2P 1L4"}, headers={"Origin": STRANGER}
    )
    assert stranger.status_code == 200 and cors(stranger) == {}
    allowed = preflight(client, "/api/v1/lookup", PARTNER)
    assert allowed.headers["Access-Control-Allow-Methods"] == "GET, POST"


def test_a_campaign_that_is_not_running_gets_no_cors(
    client: FlaskClient, demo: Campaign, session: Session, lead: User
) -> None:
    draft = make_campaign(session)  # a draft: the API does not know it
    typed = PartnerInput(name="draft", code="draft", origins=STRANGER)
    editing.create(session, draft, typed, lead, clean_referral)
    session.commit()
    response = post_email(client, draft, STRANGER)
    assert response.status_code == 404 and cors(response) == {}


def test_the_public_counter_stays_readable_from_anywhere(
    client: FlaskClient, demo: Campaign
) -> None:
    response = client.get(f"/api/v1/campaigns/{demo.slug}/counts", headers={"Origin": STRANGER})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_new_partner_site_is_allowed_at_once_and_a_removed_one_no_longer(
    client: FlaskClient, demo: Campaign, session: Session, lead: User
) -> None:
    assert cors(post_email(client, demo, STRANGER)) == {}  # now kept for this revision
    (partner,) = editing.of_campaign(session, demo.id)
    typed = PartnerInput(name="mrn", code="mrn", origins=f"{PARTNER}\n{STRANGER}")
    editing.update(session, demo, partner, typed, lead, clean_referral)
    session.commit()
    assert cors(post_email(client, demo, STRANGER)) == {"Access-Control-Allow-Origin": STRANGER}
    editing.delete(session, demo, partner, lead)
    session.commit()
    assert cors(post_email(client, demo, PARTNER)) == {}
