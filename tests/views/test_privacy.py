"""The privacy notices: each campaign's, filled from its organization, and the site's own."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp.demo import DEMO_SLUG, ORG_CONTACT, ORG_LEGAL_NAME, ORG_MAILING_ADDRESS
from callmp.models import CampaignStatus
from tests.factories import demo_campaign, make_campaign
from tests.support.app import sessions
from tests.support.html import one, parse, text

NOTICE = f"/c/{DEMO_SLUG}/privacy"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The demo app with a retention period unlike the default, to see it is read."""
    return make_app(EMAIL_RETENTION_DAYS=17, IP_HASH_RETENTION_DAYS=9, CONSENT_PROOF_DAYS=400)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_notice_renders_from_the_campaign_organization_in_both_languages(
    client: FlaskClient, lang: str
) -> None:
    response = client.get(f"{NOTICE}?lang={lang}")
    assert response.status_code == 200
    soup = parse(response.data)
    assert one(soup, "html")["lang"] == lang
    who = one(soup, ".privacy-who address")
    assert text(one(who, ".org-name")) == ORG_LEGAL_NAME
    lines = [text(line) for line in who.select(".org-address-line")]
    assert lines == [" ".join(line.split()) for line in ORG_MAILING_ADDRESS.splitlines()]
    contact = one(who, "a.org-contact")
    assert (contact["href"], text(contact)) == (f"mailto:{ORG_CONTACT}", ORG_CONTACT)
    # Withdrawal: a link to the public withdrawal page.
    assert soup.select('a[href="/unsubscribe"]')
    # Each action's data is described, and the rights are named.
    assert len(soup.select("dl.privacy-actions dt")) == 5
    page = text(one(soup, "main") if soup.select("main") else soup)
    assert "PIPEDA" in page or "LPRPDE" in page
    assert "25" in page


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_retention_numbers_shown_are_the_settings(
    app: Flask, client: FlaskClient, lang: str
) -> None:
    soup = parse(client.get(f"{NOTICE}?lang={lang}").data)
    shown = re.findall(r"\d+", text(one(soup, ".retention-letters")))
    assert shown == [str(app.config["EMAIL_RETENTION_DAYS"])] == ["17"]
    assert re.findall(r"\d+", text(one(soup, ".retention-ip"))) == ["9"]
    assert re.findall(r"\d+", text(one(soup, ".retention-consent"))) == ["400"]
    site = parse(client.get(f"/privacy?lang={lang}").data)
    assert "17" in re.findall(r"\d+", text(site))


def test_the_organization_own_words_are_escaped_paragraphs_in_their_language(
    app: Flask, client: FlaskClient
) -> None:
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        campaign.privacy_notice_en = "We <b>never</b> share & sell.\n\nSecond <script>x</script>"
        campaign.privacy_notice_fr = ""
        session.commit()
    soup = parse(client.get(f"{NOTICE}?lang=en").data)
    section = one(soup, ".privacy-own-words")
    assert [p.get_text() for p in section.select("p")] == [
        "We <b>never</b> share & sell.",
        "Second <script>x</script>",
    ]
    assert not section.select("b, script")
    # In French, the English words are shown marked as English.
    french = one(parse(client.get(f"{NOTICE}?lang=fr").data), ".privacy-own-words")
    assert french["lang"] == "en"


def test_a_draft_has_no_notice_and_an_archived_campaign_keeps_it(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    draft = make_campaign(session)
    archived = make_campaign(session, status=CampaignStatus.archived)
    session.commit()
    assert client.get(f"/c/{draft.slug}/privacy").status_code == 404
    assert client.get(f"/c/{archived.slug}/privacy").status_code == 200
    assert client.get("/c/no-such-campaign/privacy").status_code == 404


def test_the_site_notice_lists_the_published_campaigns_notices(
    client: FlaskClient, session: Session
) -> None:
    draft = make_campaign(session, title_en="Hidden draft")
    session.commit()
    response = client.get("/privacy")
    assert response.status_code == 200
    links = [str(a["href"]) for a in parse(response.data).select(".privacy-campaigns a")]
    assert links == [NOTICE]
    assert f"/c/{draft.slug}/privacy" not in links


def test_campaign_pages_link_their_notice_in_the_footer(client: FlaskClient) -> None:
    for url in (f"/c/{DEMO_SLUG}", f"/c/{DEMO_SLUG}/riding/35100"):
        footer = one(parse(client.get(url).data), "footer .privacy-link a")
        assert footer["href"] == NOTICE
    assert one(parse(client.get("/").data), "footer .privacy-link a")["href"] == "/privacy"
