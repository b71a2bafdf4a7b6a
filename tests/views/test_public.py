"""Supporter pages, parsed as HTML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp.views import riding_page as riding_page_module
from tests.factories import demo_campaign
from tests.support.app import OFFICES_OPEN
from tests.support.clock import clock_at, clock_stopped
from tests.support.html import assert_unique_ids, one, parse, text

#: Saturday 22:00 in Toronto and Ottawa: every office in the demo is closed.
SATURDAY_NIGHT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)

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
    assert one(form, "button[type=submit]")


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
    assert text(one(first, "h3")) == "Chi Nguyen"
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
    notice = one(page, "div.notice[role=status]")
    assert "boundary" in text(notice)
    assert notice.select(f"a[href^='{CAMPAIGN}/riding/']")


def test_vacant_seat_says_so_and_still_offers_the_minister(client: FlaskClient) -> None:
    response = client.get(f"{CAMPAIGN}/riding/35095")
    assert response.status_code == 200
    soup = parse(response.data)
    first, second = soup.select("section.target")
    assert "vacant" in text(one(first, "h3"))
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
    # The campaign page's switch sends the postal code box along (see test_language).
    switch = one(again, "header nav button")
    assert (switch["form"], switch["formaction"]) == ("lookup-form", f"{CAMPAIGN}?lang=en")
    riding = parse(client.get(f"{CAMPAIGN}/riding/35100?ref=abc").data)
    link = one(riding, "header nav a")
    assert link["href"] == f"{CAMPAIGN}/riding/35100?ref=abc&lang=en"


def test_browser_language_is_used_when_nothing_was_chosen(client: FlaskClient) -> None:
    response = client.get(CAMPAIGN, headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert one(parse(response.data), "html")["lang"] == "fr"


# -- The riding page on a phone: whom, then what to do (issue 14) --------------------------


def test_riding_page_leads_with_whom_and_the_choice_of_action(client: FlaskClient) -> None:
    client.post(CAMPAIGN, data={"postal_code": "M5V 3L9"})
    soup = parse(client.get(f"{CAMPAIGN}/riding/35100").data)
    headings = [str(h["id"]) for h in soup.select("main h2")]
    assert headings == ["who-title", "act-title", "call-me", "call-yourself-title"]
    who = [" ".join(li.get_text().split()) for li in soup.select("section.who ol.who-list li")]
    assert len(who) == 2
    assert who[0].startswith("Chi Nguyen, your MP")
    assert who[1].startswith("Hon. Lena Metlege Diab, the Minister of Immigration")
    actions = {text(a).split(" ")[0]: str(a["href"]) for a in soup.select("ul.actions-menu a")}
    assert actions == {
        "We": "#call-me",
        "Call": "#call-yourself",
        "Write": f"{CAMPAIGN}/riding/35100/email",
    }
    # The long parts fold away: the talking points and the report forms open on a tap.
    for section in soup.select("section.target"):
        assert section.select("details > div.script")
        assert not section.select("details[open]")
    assert_unique_ids(soup)


def test_when_every_office_is_closed_the_page_says_so_before_call_me(
    client: FlaskClient,
) -> None:
    with clock_at(SATURDAY_NIGHT):
        soup = parse(client.get(f"{CAMPAIGN}/riding/35100").data)
    who = [text(p) for p in soup.select("ol.who-list p.closed-now")]
    assert len(who) == 2
    assert all(line.startswith("Closed now: opens Monday at 9:00") for line in who)
    notice = one(soup, "section.act div.closed-notice")
    assert "closed now" in text(notice) and "voicemail" in text(notice)
    assert "Monday at 9:00" in text(notice) and "in Ottawa" in text(notice)
    form = one(soup, "section.call-me form")
    warning = one(form, "p.closed-now")
    assert "voicemail" in text(warning)
    button = one(form, "button[type=submit]")
    assert warning in button.find_all_previous("p")


def test_when_an_office_is_open_the_page_says_so_and_warns_of_no_voicemail(
    client: FlaskClient,
) -> None:
    with clock_at(OFFICES_OPEN):
        soup = parse(client.get(f"{CAMPAIGN}/riding/35100").data)
    assert [text(p) for p in soup.select("ol.who-list p.open-now")] == ["An office is open now"] * 2
    assert not soup.select(".closed-notice, .closed-now")


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ridings whose page is drawn in full from now on (not put together from a kept
    drawing)."""
    seen: list[int] = []
    draw = riding_page_module.riding_page

    def counted(*args: Any, **kwargs: Any) -> tuple[str, int]:
        seen.append(args[1])
        return draw(*args, **kwargs)

    monkeypatch.setattr(riding_page_module, "riding_page", counted)
    return seen


def test_the_kept_page_is_drawn_once_and_its_times_follow_the_clock(
    app: Flask, client: FlaskClient, drawn: list[int]
) -> None:
    page = f"{CAMPAIGN}/riding/35100"
    # Friday 16:59 in Ottawa: open; a minute later every office is closed.
    before_five = datetime(2026, 11, 27, 21, 59, 10, tzinfo=UTC)
    after_five = datetime(2026, 11, 27, 22, 0, 5, tzinfo=UTC)
    with clock_at(before_five):
        open_page = parse(client.get(page).data)
    with clock_at(after_five):
        closed_page = parse(client.get(page).data)
        closed_again = parse(client.get(page).data)
    assert drawn == [35100]  # one drawing serves every minute of the revision
    assert [text(p) for p in open_page.select("ol.who-list p.open-now")] == [
        "An office is open now"
    ] * 2
    assert not open_page.select(".closed-notice, .closed-now")
    statuses = [text(s) for s in open_page.select("span.office-status")]
    assert any(status.startswith("Open now (4:59") for status in statuses)
    who = [text(p) for p in closed_page.select("ol.who-list p.closed-now")]
    assert len(who) == 2 and all("Monday at 9:00" in line for line in who)
    assert one(closed_page, "section.act div.closed-notice")
    assert one(closed_page, "section.call-me form p.closed-now")
    closed_statuses = [text(s) for s in closed_page.select("span.office-status")]
    assert any("Closed: it's 5:00" in status for status in closed_statuses)
    assert closed_statuses == [text(s) for s in closed_again.select("span.office-status")]
    # Past the stand-ins, the page is the one drawn for this visitor alone.
    with app.test_request_context(page), clock_at(after_five):
        alone, _status = riding_page_module.riding_page("status-for-all", 35100)
    assert [text(s) for s in parse(alone.encode()).select("span.office-status")] == (
        closed_statuses
    )
    assert riding_page_module._TIME_MARK not in closed_page.decode()


@pytest.fixture
def held_clock() -> Iterator[datetime]:
    """The clock held still: the pages show the time to the minute, and a minute may turn
    between two visits whose pages a test compares."""
    with clock_stopped(OFFICES_OPEN) as now:
        yield now


def _visit(app: Flask, code: str) -> str:
    """The riding page 35100 of a new supporter who typed ``code``, tokens blanked."""
    supporter = app.test_client()
    page = f"{CAMPAIGN}/riding/35100"
    assert supporter.post(CAMPAIGN, data={"postal_code": code}).location == page
    soup = parse(supporter.get(page).data)
    for field in soup.select("input[name$=token]"):
        field["value"] = ""
    return str(soup)


def _points(page: str) -> list[str]:
    return [text(script) for script in parse(page.encode()).select("div.script")]


@pytest.mark.usefixtures("held_clock")
def test_the_kept_page_after_a_lookup_puts_each_supporters_postal_code_in(
    app: Flask, make_app: Callable[..., Flask], drawn: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo's talking points say {postal_code}, in text: one drawing, each code put in.
    first, second = _visit(app, "M5V 3L9"), _visit(app, "M5V 2T6")
    assert drawn == [35100]
    assert "postal code M5V 3L9" in _points(first)[1] and "M5V 2T6" not in first
    assert "postal code M5V 2T6" in _points(second)[1] and "M5V 3L9" not in second
    assert riding_page_module._POSTAL_MARK not in first + second
    # The same page as drawn with the code in it (as for a code in a link), tokens aside.
    monkeypatch.setattr(
        riding_page_module, "_postal_code_use", lambda *_args: riding_page_module.IN_LINKS
    )
    other = make_app()
    assert [_visit(other, "M5V 3L9"), _visit(other, "M5V 2T6")] == [first, second]
    assert drawn == [35100, 35100, 35100]


@pytest.mark.usefixtures("held_clock")
def test_a_postal_code_in_a_link_makes_a_page_per_code(
    app: Flask, session: Session, drawn: list[int]
) -> None:
    campaign = demo_campaign(session)
    campaign.talking_points_en = (
        "I live at {postal_code}: [map](https://maps.example/?q={postal_code})"
    )
    for target in campaign.targets:
        target.talking_points_en = ""  # the campaign's, as above
    session.commit()
    first, second = _visit(app, "M5V 3L9"), _visit(app, "M5V 2T6")
    assert drawn == [35100, 35100]
    links = [
        [a["href"] for a in parse(page.encode()).select("div.script a")] for page in (first, second)
    ]
    assert links == [
        ["https://maps.example/?q=M5V%203L9"] * 2,
        ["https://maps.example/?q=M5V%202T6"] * 2,
    ]
    assert _visit(app, "M5V 3L9") == first and drawn == [35100, 35100]


@pytest.mark.usefixtures("held_clock")
def test_the_kept_page_after_a_lookup_holds_no_postal_code_where_none_shows(
    app: Flask, client: FlaskClient, session: Session, drawn: list[int]
) -> None:
    campaign = demo_campaign(session)
    campaign.talking_points_en = "Please act, {mp_name}, for {riding}."
    for target in campaign.targets:
        target.talking_points_en = ""  # the campaign's, as above
    session.commit()
    pages = [_visit(app, code) for code in ("M5V 3L9", "M5V 2T6", "M5V 3L9")]
    assert drawn == [35100]  # one drawing serves every supporter of the riding
    assert pages[0] == pages[1] == pages[2]
    assert _points(pages[0])[0] == "Please act, Chi Nguyen, for Spadina—Harbourfront."
    assert "M5V" not in pages[0]
    # A visitor who looked nothing up has a kept page of their own.
    anonymous = client.get(f"{CAMPAIGN}/riding/35100").data
    assert _points(anonymous.decode())[0] == _points(pages[0])[0]
    assert drawn == [35100, 35100]


def test_after_choosing_in_a_split_area_the_riding_page_no_longer_asks_to_choose(
    client: FlaskClient,
) -> None:
    client.post(CAMPAIGN, data={"postal_code": "V6B 9Z9"})
    choose = parse(client.get(f"{CAMPAIGN}/choose").data)
    first = choose.select("a.choice")[0]
    soup = parse(client.get(str(first["href"])).data)
    main = text(one(soup, "main"))
    assert "split" not in main and "Please choose" not in main
    assert not soup.select("div.notice[role=status]")
    again = one(soup, "p.riding-line a")
    assert (again["href"], text(again)) == (f"{CAMPAIGN}/choose", "Choose another riding")
    # Its talking points still carry the postal code typed.
    assert "V6B 9Z9" in text(soup.select("div.script")[0])


def test_every_page_links_a_favicon_that_is_served(client: FlaskClient) -> None:
    icon = one(parse(client.get(CAMPAIGN).data), "head link[rel=icon]")
    with client.get(str(icon["href"])) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert parse(response.data).find("svg") is not None


def test_the_campaign_page_switch_keeps_the_typed_postal_code(client: FlaskClient) -> None:
    soup = parse(client.get(CAMPAIGN).data)
    button = one(soup, "header nav button[form=lookup-form]")
    data = {"postal_code": "90210", str(button["name"]): str(button["value"])}
    response = client.post(str(button["formaction"]), data=data)
    assert response.status_code == 200  # the same page again, not a lookup
    page = parse(response.data)
    assert one(page, "html")["lang"] == "fr"
    assert one(page, "input[name=postal_code]")["value"] == "90210"
    assert not page.select("p.error")
