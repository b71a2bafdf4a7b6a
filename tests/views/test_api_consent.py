"""GET /api/v1/campaigns/<slug>/consent: the opt-in's words for partners' own forms."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import CampaignStatus
from callmp.models.consent import ConsentRecord
from callmp.supporters import consent
from tests.factories import demo_campaign

URL = "/api/v1/campaigns/status-for-all/consent"


def test_the_words_are_those_the_letter_records_in_each_language(
    client: FlaskClient, session: Session
) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    campaign = demo_campaign(session)
    assert body["organization"] == campaign.org_legal_name != ""
    assert body["wording"] == {
        "en": consent.wording(campaign, "en"),
        "fr": consent.wording(campaign, "fr"),
    }
    assert campaign.org_legal_name in body["wording"]["en"]
    assert body["wording"]["fr"] != body["wording"]["en"]
    assert body["privacy_url"] == "/c/status-for-all/privacy"
    assert client.get(body["privacy_url"]).status_code == 200


def test_a_letter_sent_through_the_api_records_the_words_it_served(
    client: FlaskClient, session: Session
) -> None:
    served = client.get(URL).get_json()["wording"]["fr"]
    letter = {
        "name": "Luc Tremblay",
        "email": "luc.tremblay@example.org",
        "postal_code": "K2P 1L4",
        "consent_followup": True,
        "lang": "fr",
    }
    assert client.post("/api/v1/campaigns/status-for-all/emails", json=letter).status_code == 202
    (record,) = session.scalars(select(ConsentRecord)).all()
    assert (record.wording, record.locale, record.source) == (served, "fr", "api")


def test_an_unknown_or_draft_campaign_is_a_404(client: FlaskClient, session: Session) -> None:
    assert client.get("/api/v1/campaigns/nope/consent").status_code == 404
    demo_campaign(session).status = CampaignStatus.draft
    session.commit()
    assert client.get(URL).status_code == 404
