"""A rural postal code whose area reaches several ridings, through the pages and the API."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from callmp.demo import DEMO_SLUG
from callmp.directory import postal_codes
from callmp.directory.postal_index import PostalIndex
from callmp.i18n import NBSP, french_typography_problems
from tests.support.html import one, parse, text
from tests.support.rural import lone_rural_code, shared_rural_code

CAMPAIGN = f"/c/{DEMO_SLUG}"
LETTERS = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
LETTER = {"name": "Sam Lee", "email": "sam.lee@example.org"}


@pytest.fixture
def code(index: PostalIndex) -> str:
    """A rural code in a shared area whose point riding is not the area's largest."""
    return shared_rural_code(index)


def _point_riding(index: PostalIndex, code: str) -> int:
    entry = index.code(postal_codes.compact(code))
    assert entry is not None
    return entry.fed_num


def _lookup(client: FlaskClient, code: str, **headers: str) -> dict[str, Any]:
    response = client.get("/api/v1/lookup", query_string={"postal_code": code}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def test_api_answers_a_shared_rural_code_as_uncertain_point_riding_first(
    client: FlaskClient, index: PostalIndex, code: str
) -> None:
    body = _lookup(client, code)
    assert (body["match"], body["certain"]) == ("rural_area", False)
    feds = [r["fed_num"] for r in body["ridings"]]
    own = _point_riding(index, code)
    assert feds[0] == own
    others = [s.fed_num for s in index.fsa(code[:3]) if s.share >= 0.01 and s.fed_num != own]
    assert feds[1:] == others
    assert [r["share"] for r in body["ridings"]] == [None] * len(feds)
    assert "rural" in body["notice"]


def test_api_answers_a_rural_code_of_a_one_riding_area_as_certain(
    client: FlaskClient, index: PostalIndex
) -> None:
    code = lone_rural_code(index)
    body = _lookup(client, code)
    assert (body["match"], body["certain"], body["notice"]) == ("exact", True, None)
    assert [r["fed_num"] for r in body["ridings"]] == [_point_riding(index, code)]


def test_campaign_page_sends_a_shared_rural_code_to_the_choice_then_settles_it(
    client: FlaskClient, index: PostalIndex, code: str
) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": code})
    assert response.status_code == 302
    assert response.location == f"{CAMPAIGN}/choose"
    page = parse(client.get(response.location).data)
    assert "rural postal code" in text(one(page, "p.notice"))
    hrefs = [str(a["href"]) for a in page.select("a.choice")]
    own = _point_riding(index, code)
    assert hrefs[0] == f"{CAMPAIGN}/riding/{own}"
    assert len(hrefs) >= 2
    assert page.select("a[href^='https://www.elections.ca/']")
    for href in hrefs[:2]:
        riding = parse(client.get(href).data)
        main = text(one(riding, "main"))
        assert "rural" not in main and "Please choose" not in main
        assert not riding.select("div.notice[role=status]")
        again = one(riding, "p.riding-line a")
        assert again["href"] == f"{CAMPAIGN}/choose"
        assert code in text(riding.select("div.script")[0])


def test_the_rural_notice_reads_in_french_with_french_typography(
    client: FlaskClient, code: str
) -> None:
    client.get(f"{CAMPAIGN}?lang=fr")  # the language is remembered
    client.post(CAMPAIGN, data={"postal_code": code})
    page = parse(client.get(f"{CAMPAIGN}/choose").data)
    assert one(page, "html")["lang"] == "fr"
    notice = one(page, "p.notice").get_text().strip()
    assert notice.startswith(f"Ce code postal est rural{NBSP}: ")
    assert "Élections Canada" in notice
    assert french_typography_problems(notice) == []
    body = _lookup(client, code, **{"Accept-Language": "fr-CA"})
    assert body["notice"] == notice


def test_letter_api_refuses_a_shared_rural_code_without_a_riding_then_takes_one(
    app: Flask, index: PostalIndex, code: str
) -> None:
    client = app.test_client()
    response = client.post(LETTERS, json={**LETTER, "postal_code": code})
    body = response.get_json()
    assert (response.status_code, body["reason"], body["field"]) == (
        400,
        "choose_riding",
        "fed_num",
    )
    choices = [r["fed_num"] for r in body["ridings"]]
    own = _point_riding(index, code)
    assert choices[0] == own and len(choices) >= 2
    assert not body["ridings"][0]["vacant"]
    wrong = client.post(LETTERS, json={**LETTER, "postal_code": code, "fed_num": 35100})
    assert wrong.status_code == 400
    accepted = client.post(LETTERS, json={**LETTER, "postal_code": code, "fed_num": own})
    assert accepted.status_code == 202, accepted.get_json()


def test_call_api_asks_for_the_riding_of_a_shared_rural_code(
    client: FlaskClient, index: PostalIndex, code: str
) -> None:
    url = f"/api/v1/campaigns/{DEMO_SLUG}/calls"
    response = client.post(url, json={"phone": "613-555-0142", "postal_code": code})
    body = response.get_json()
    assert (response.status_code, body["reason"]) == (400, "choose_riding")
    own = _point_riding(index, code)
    assert body["ridings"][0]["fed_num"] == own
    picked = {"phone": "613-555-0142", "postal_code": code, "fed_num": own}
    assert client.post(url, json=picked).status_code == 202
