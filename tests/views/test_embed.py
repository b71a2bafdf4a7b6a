"""The embedded campaign with the test client: who may frame it, and a flow without cookies.

The browser test (tests/browser/test_embed.py) runs the same flow in Chromium from another
origin; here each request comes from a client that keeps no cookie, as in a third-party
frame, and the headers and links are parsed.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from callmp.models import ContactEvent, Partner
from tests.factories import demo_campaign
from tests.support.html import form_fields, one, parse

CAMPAIGN = "/c/status-for-all"
PARTNER_ORIGIN = "https://partner.example.org"


def _directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    pairs = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: value for name, _sep, value in pairs}


def _add_partner(session: Session, origins: str = PARTNER_ORIGIN) -> None:
    campaign = demo_campaign(session)
    partner = Partner(
        campaign_id=campaign.id,
        name="Home Care Now",
        code="homecare",
        origins=origins,
        dashboard_key="k" * 40,
    )
    session.add(partner)
    session.commit()


def _client(app: Flask) -> FlaskClient:
    return app.test_client(use_cookies=False)


def test_the_embed_page_may_be_framed_by_the_partners_origins_only(
    app: Flask, session: Session
) -> None:
    _add_partner(session, f"{PARTNER_ORIGIN}\nhttp://localhost:8123")
    response = _client(app).get(f"{CAMPAIGN}/embed?lang=fr&ref=homecare")
    assert response.status_code == 200
    assert _directives(response)["frame-ancestors"] == f"http://localhost:8123 {PARTNER_ORIGIN}"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    soup = parse(response.data)
    assert one(soup, "html")["class"] == ["embedded"]
    assert one(soup, "html")["lang"] == "fr"
    assert not soup.select("a.brand")
    # The campaign's own page is still framed by nobody.
    own = _client(app).get(CAMPAIGN)
    assert _directives(own)["frame-ancestors"] == "'none'"
    assert own.headers["X-Frame-Options"] == "DENY"
    assert not one(parse(own.data), "html").get("class")


def test_without_partners_nobody_may_frame_the_embed_page(app: Flask) -> None:
    response = _client(app).get(f"{CAMPAIGN}/embed")
    assert _directives(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_embedded_flow_without_cookies_keeps_its_state_and_referral(
    app: Flask, session: Session
) -> None:
    _add_partner(session)
    soup = parse(_client(app).get(f"{CAMPAIGN}/embed?lang=fr&ref=homecare").data)
    lookup = one(soup, "form#lookup-form")
    action = str(lookup["action"])
    assert parse_qs(urlsplit(action).query)["lang"] == ["fr"]
    response = _client(app).post(action, data={"postal_code": "M5V 3L9"})
    assert response.status_code == 302
    location = response.headers["Location"]
    # The riding and the flow's state travel; the postal code does not.
    assert "M5V" not in location.upper().replace("%20", " ")
    assert "3L9" not in location.upper()
    query = parse_qs(urlsplit(location).query)
    assert query["lang"] == ["fr"] and query["s"]
    riding = _client(app).get(location)
    assert riding.status_code == 200
    assert _directives(riding)["frame-ancestors"] == PARTNER_ORIGIN
    page = parse(riding.data)
    assert one(page, "html")["class"] == ["embedded"]
    call = one(page, "#call-form")
    data = {**form_fields(call), "phone": "613-555-0142", "consent": "y"}
    called = _client(app).post(str(call["action"]), data=data)
    assert called.status_code == 303
    status = urlsplit(called.headers["Location"])
    assert "555" not in called.headers["Location"]
    assert parse_qs(status.query)["s"]
    shown = _client(app).get(called.headers["Location"])
    assert _directives(shown)["frame-ancestors"] == PARTNER_ORIGIN
    events = session.scalars(select(ContactEvent)).all()
    assert events and {e.referral for e in events} == {"homecare"}


def test_the_snippet_script_carries_its_words_in_both_languages(app: Flask) -> None:
    response = _client(app).get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    found = re.search(r"var TEXTS = (\{.*?\});\n", response.get_data(as_text=True))
    assert found is not None
    texts = json.loads(found.group(1))
    assert texts["en"]["open"] == "Open this campaign on its own page"
    assert texts["fr"]["open"] == "Ouvrir cette campagne sur sa propre page"
    assert texts["fr"]["title"] == "Agir"


def test_an_embedded_split_code_offers_the_ridings_without_the_code_in_any_link(
    app: Flask, session: Session
) -> None:
    _add_partner(session)
    soup = parse(_client(app).get(f"{CAMPAIGN}/embed?ref=homecare").data)
    action = str(one(soup, "form#lookup-form")["action"])
    response = _client(app).post(action, data={"postal_code": "V6B 9Z9"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"{CAMPAIGN}/choose"
    choose = _client(app).get(response.headers["Location"])
    assert choose.status_code == 200
    page = parse(choose.data)
    links = [str(a["href"]) for a in page.select("a.choice")]
    assert len(links) >= 2
    assert all(parse_qs(urlsplit(link).query)["s"] for link in links)
    assert all("V6B" not in link.upper() for link in links)
    assert "one of these ridings" in page.get_text()
    assert "V6B" not in page.get_text()
    riding = parse(_client(app).get(links[0]).data)
    # The lookup came along: the supporter chose, so the page offers to choose again.
    again = one(riding, "p.riding-line a")
    assert urlsplit(str(again["href"])).path == f"{CAMPAIGN}/choose"
    assert parse_qs(urlsplit(str(again["href"])).query)["s"]
    assert one(riding, "html")["class"] == ["embedded"]
