"""Supporter pages, parsed as HTML."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.html import one, parse, text

CAMPAIGN = "/c/status-for-all"


def test_home_lists_the_running_demo_campaign(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    soup = parse(response.data)
    links = [a["href"] for a in soup.select("ul.campaigns a")]
    assert links == [CAMPAIGN]


def test_campaign_page_has_a_labelled_postal_code_box(client: FlaskClient) -> None:
    response = client.get(CAMPAIGN)
    assert response.status_code == 200
    soup = parse(response.data)
    assert one(soup, "html")["lang"] == "en"
    field = one(soup, "input[name=postal_code]")
    label = one(soup, f"label[for={field['id']}]")
    assert text(label) == "Your postal code"
    assert field["autocomplete"] == "postal-code"
    assert not field.has_attr("aria-invalid")
    assert not field.has_attr("autofocus")
    hint = one(soup, f"#{field['aria-describedby']}")
    assert "K1A 0A6" in text(hint)
    form = one(soup, "form.lookup")
    assert form["method"] == "post"
    assert one(soup, "button[type=submit]")


def test_valid_code_redirects_to_riding_without_the_code_in_the_url(client: FlaskClient) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": " m5v-3l9 "})
    assert response.status_code == 302
    assert response.location == f"{CAMPAIGN}/riding/35100"
    assert "M5V" not in response.location.upper()


def test_riding_page_shows_mp_card_offices_and_filled_talking_points(client: FlaskClient) -> None:
    client.post(CAMPAIGN, data={"postal_code": "M5V 3L9"})
    response = client.get(f"{CAMPAIGN}/riding/35100")
    assert response.status_code == 200
    soup = parse(response.data)
    sections = soup.select("section.target")
    assert len(sections) == 2
    first, second = sections
    assert text(one(first, "p.progress")) == "1 of 2: your MP"
    assert text(one(first, "h2")) == "Chi Nguyen"
    phones = [a["href"] for a in first.select("a.phone")]
    assert phones and all(str(p).startswith("tel:+1") for p in phones)
    script = text(one(first, "div.script"))
    assert "Spadina—Harbourfront" in script
    assert "M5V 3L9" in script
    assert "{" not in script and "}" not in script
    assert text(one(second, "p.progress")).startswith("2 of 2: the Minister of Immigration")
    minister_script = text(one(second, "div.script"))
    assert "I live in Spadina—Harbourfront, postal code M5V 3L9" in minister_script
    email = one(first, "a[href^=mailto]")
    assert email["href"] == "mailto:chi.nguyen@parl.gc.ca"


def test_bad_code_is_refused_next_to_the_field(client: FlaskClient) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": "90210"})
    assert response.status_code == 400
    soup = parse(response.data)
    field = one(soup, "input[name=postal_code]")
    error = one(soup, "p.error")
    assert field["aria-invalid"] == "true"
    assert error["id"] in str(field["aria-describedby"]).split()
    assert "ZIP" in text(error)
    assert field["value"] == "90210"
    assert field.has_attr("autofocus")  # without JavaScript, focus returns to the field


def test_split_fsa_asks_the_supporter_to_choose_by_name(client: FlaskClient) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": "V6B 9Z9"})
    assert response.status_code == 302
    assert response.location == f"{CAMPAIGN}/choose"
    page = parse(client.get(response.location).data)
    choices = page.select("a.choice")
    assert len(choices) >= 2
    assert [c["href"] for c in choices][:2] == [
        f"{CAMPAIGN}/riding/59035",
        f"{CAMPAIGN}/riding/59036",
    ]
    assert "Vancouver Centre" in text(choices[0])
    assert "59035" not in text(choices[0])
    assert page.select("a[href^='https://www.elections.ca/']")


def test_choose_without_a_lookup_goes_back_to_the_campaign(client: FlaskClient) -> None:
    response = client.get(f"{CAMPAIGN}/choose")
    assert response.status_code == 302
    assert response.location == CAMPAIGN


def test_unknown_area_says_so_and_links_to_elections_canada(client: FlaskClient) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": "L3W 0G9"})
    assert response.status_code == 404
    soup = parse(response.data)
    notice = one(soup, "div.notice")
    assert "don't know this postal code" in text(notice)
    assert notice.select("a[href^='https://www.elections.ca/']")


def test_near_boundary_riding_page_offers_the_other_riding(client: FlaskClient) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": "H2X 1Y4"})
    assert response.status_code == 302
    page = parse(client.get(response.location).data)
    notice = one(page, "div.notice")
    assert "boundary" in text(notice)
    assert notice.select(f"a[href^='{CAMPAIGN}/riding/']")


def test_vacant_seat_says_so_and_still_offers_the_minister(client: FlaskClient) -> None:
    response = client.get(f"{CAMPAIGN}/riding/35095")
    assert response.status_code == 200
    soup = parse(response.data)
    first, second = soup.select("section.target")
    assert "vacant" in text(one(first, "h2"))
    assert first.select("a.phone") == []
    assert second.select("a.phone")


@pytest.mark.parametrize(
    "path", ["/c/no-such-campaign", f"{CAMPAIGN}/riding/99999", f"{CAMPAIGN}/riding/abc"]
)
def test_unknown_pages_get_a_friendly_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "couldn't find" in text(one(parse(response.data), "h1"))


@pytest.mark.parametrize(
    "value",
    ["", "x" * 5000, "K1A\x000A6", "☃☃☃", "K1A 0A6' OR 1=1 --", "<script>", "١٢٣٤٥٦"],
)
def test_odd_input_never_causes_a_server_error(client: FlaskClient, value: str) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": value})
    assert response.status_code in (302, 400, 404)
    api = client.get("/api/v1/lookup", query_string={"postal_code": value})
    assert api.status_code in (200, 400, 404)


def test_language_switch_is_remembered(client: FlaskClient) -> None:
    soup = parse(client.get(f"{CAMPAIGN}?lang=fr").data)
    assert one(soup, "html")["lang"] == "fr"
    assert text(one(soup, "h1")).startswith("Un statut pour toutes et tous")
    again = parse(client.get(CAMPAIGN).data)
    assert one(again, "html")["lang"] == "fr"
    switch = one(again, "header nav a")
    assert switch["href"] == "?lang=en"


def test_browser_language_is_used_when_nothing_was_chosen(client: FlaskClient) -> None:
    response = client.get(CAMPAIGN, headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert one(parse(response.data), "html")["lang"] == "fr"
