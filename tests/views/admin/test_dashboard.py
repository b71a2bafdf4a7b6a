"""The organizer's dashboard and its CSV exports, over HTTP."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.models import (
    Campaign,
    Channel,
    ContactEvent,
    OfficeKind,
    Outcome,
    Role,
    User,
)
from callmp.stats import totals
from tests.factories import add_event, demo_campaign, make_office, make_person, mp
from tests.support.app import OFFICES_OPEN, log_in
from tests.support.clock import clock_at
from tests.support.html import one, parse, text


@pytest.fixture(autouse=True)
def clock() -> Iterator[datetime]:
    """Every test here at one weekday afternoon, "now" running on from there.

    The events are seeded minutes to days before now, and the charts and exports cut them
    by the viewer's local hours and days: on the wall clock, a daylight-saving change or a
    midnight between them moves events into other buckets and offsets.
    """
    with clock_at(OFFICES_OPEN) as now:
        yield now


@pytest.fixture
def seeded(session: Session) -> Campaign:
    """The demo campaign with contacts to four MPs in three provinces, and the Minister
    (its petition off: the petition's section has tests of its own)."""
    campaign = demo_campaign(session)
    campaign.petitions = False
    now = datetime.now(UTC)
    spadina, halifax, papineau = mp(session, 35100), mp(session, 12006), mp(session, 24058)
    hill = spadina.offices[0]
    for minutes in (5, 70, 200):
        add_event(
            session,
            campaign,
            spadina,
            Channel.bridged_call,
            Outcome.connected,
            office=hill,
            duration=60,
            at=now - timedelta(minutes=minutes),
            referral="union",
        )
    add_event(
        session,
        campaign,
        spadina,
        Channel.bridged_call,
        Outcome.busy,
        office=hill,
        at=now - timedelta(days=2),
    )
    add_event(
        session,
        campaign,
        halifax,
        Channel.direct_call,
        Outcome.talked_to_staff,
        office=halifax.offices[-1],
        at=now - timedelta(days=4),
    )
    add_event(session, campaign, papineau, Channel.email, Outcome.sent, at=now - timedelta(hours=1))
    add_event(session, campaign, papineau, Channel.email, Outcome.failed, at=now)
    minister = campaign.targets[1]  # the Immigration portfolio: events name its holder
    assert minister.portfolio is not None and minister.portfolio.holder is not None
    holder = minister.portfolio.holder
    add_event(session, campaign, holder, Channel.email, Outcome.sent, target=minister, at=now)
    session.commit()
    return campaign


@pytest.fixture
def organizer(client: FlaskClient, login_as: Callable[..., User]) -> FlaskClient:
    """A client logged in as an organizer."""
    login_as(Role.organizer)
    return client


def dashboard(
    client: FlaskClient, campaign: Campaign, query: str = ""
) -> tuple[int, str, BeautifulSoup]:
    """GET the dashboard: status, body text and parsed page."""
    response = client.get(f"/admin/campaigns/{campaign.id}/dashboard{query}")
    return response.status_code, response.get_data(as_text=True), parse(response.data)


def office_table(page: BeautifulSoup) -> list[list[str]]:
    """The office table's body as text cells."""
    table = one(page, "table.offices")
    return [[text(cell) for cell in row.select("th, td")] for row in table.select("tbody tr")]


def headline(page: BeautifulSoup) -> dict[str, str]:
    """The headline figures by label."""
    dl = one(page, "dl.headline")
    return {text(one(div, "dt")): text(one(div, "dd")).split(" ")[0] for div in dl.select("div")}


def test_dashboard_totals_match_the_events(
    organizer: FlaskClient, seeded: Campaign, session: Session
) -> None:
    status, _body, page = dashboard(organizer, seeded)
    assert status == 200
    figures = headline(page)
    assert figures["Contacts made"] == "6"  # 3 connected, 1 talked, 2 letters sent
    assert figures["Calls"] == "4"
    assert figures["Emails"] == "2"
    assert figures["Minutes on bridged calls"] == "3"
    # Bridged calls and letters we sent are verified; the direct call is the supporter's word.
    assert (figures["Verified"], figures["Self-reported"]) == ("5", "1")
    captions = [text(c) for c in page.select("table.totals caption")]
    assert captions == ["Bridged calls: 4", "Direct calls: 1", "Emails: 3"]
    events = session.scalar(
        select(func.count()).select_from(ContactEvent).where(ContactEvent.campaign_id == seeded.id)
    )
    assert events == 8


def test_dashboard_charts_are_svg_with_the_counts(organizer: FlaskClient, seeded: Campaign) -> None:
    _status, _body, page = dashboard(organizer, seeded)
    hour_chart, day_chart = page.select("figure.chart .chart-wide svg")
    narrow_hours, narrow_days = page.select("figure.chart .chart-narrow svg")
    # The phone's drawing shows the same counts, at a width its labels stay readable at.
    assert [r["data-value"] for r in narrow_hours.select("rect.bar")] == [
        r["data-value"] for r in hour_chart.select("rect.bar")
    ]
    assert narrow_days.select("rect.bar") and str(narrow_days["viewbox"]).startswith("0 0 340 ")
    hour_total = sum(int(str(r["data-value"])) for r in hour_chart.select("rect.bar"))
    day_total = sum(int(str(r["data-value"])) for r in day_chart.select("rect.bar"))
    assert hour_total == 5  # the talked-to-staff call was 4 days ago
    assert day_total == 6
    assert "Contacts made per day" in text(day_chart.select("title")[0])


def test_filters_by_province_and_party_and_subtotals(
    organizer: FlaskClient, seeded: Campaign
) -> None:
    _s, _b, page = dashboard(organizer, seeded, "?province=QC")
    rows = office_table(page)
    assert rows and all(row[2] == "QC" for row in rows)
    total = text(one(page, "table.offices tfoot"))
    assert total.startswith("Total of 1 row")
    _s, _b, page = dashboard(organizer, seeded, "?party=Conservative")
    assert all(row[3] == "Conservative" for row in office_table(page))
    _s, _b, page = dashboard(organizer, seeded, "?party=No+such+party")
    assert office_table(page) == [["No contacts match these filters."]]


@pytest.mark.parametrize(
    ("query", "first"),
    [("?sort=name&dir=asc", "Andy Fillmore"), ("?sort=bridged&dir=desc", "Chi Nguyen")],
)
def test_the_office_table_sorts(
    organizer: FlaskClient, seeded: Campaign, query: str, first: str, session: Session
) -> None:
    names = sorted(
        p.full_name for p in (mp(session, 35100), mp(session, 12006), mp(session, 24058))
    )
    expected = names[0] if "name" in query else mp(session, 35100).full_name
    _s, _b, page = dashboard(organizer, seeded, query)
    assert office_table(page)[0][0] == expected
    header = one(page, f'th[aria-sort="{"ascending" if "asc" in query else "descending"}"]')
    assert header.a is not None


@pytest.mark.parametrize(
    "query", ["?tz=Mars/Olympus", "?sort=secret", "?dir=sideways", "?province=ZZ"]
)
def test_bad_filters_get_a_400_with_a_message(
    organizer: FlaskClient, seeded: Campaign, query: str
) -> None:
    status, _body, page = dashboard(organizer, seeded, query)
    assert status == 400
    assert page.select('[role="alert"]')


def selected_zone(page: BeautifulSoup) -> str:
    """The zone the dashboard's filter form shows as chosen."""
    return str(one(page, 'select[name="tz"] option[selected]')["value"])


def save_zone(client: FlaskClient, campaign: Campaign, zone: str) -> int:
    """Press "Use this zone on every staff page" after opening the dashboard in ``zone``."""
    _s, _b, page = dashboard(client, campaign, f"?tz={zone}")
    form = one(page, "form.zone-save")
    token = one(form, 'input[name="csrf_token"]')["value"]
    response = client.post(str(form["action"]), data={"csrf_token": token, "zone": zone})
    return response.status_code


def test_a_link_with_a_zone_shows_it_without_changing_the_account(
    app: Flask, seeded: Campaign, make_user: Callable[..., User]
) -> None:
    organizer = make_user(Role.organizer)
    laptop, phone = app.test_client(), app.test_client()
    for client in (laptop, phone):
        log_in(client, organizer)
    _s, _b, page = dashboard(laptop, seeded, "?tz=America/St_Johns")
    assert selected_zone(page) == "America/St_Johns"
    assert text(one(page, "p.as-of time")).endswith(" NST")
    assert ".." not in text(one(page, "p.as-of"))  # "p.m." then no second period
    _s, _b, page = dashboard(phone, seeded)
    assert selected_zone(page) == "America/Toronto"
    assert text(one(page, "p.as-of time")).endswith((" EST", " EDT"))
    assert not page.select("form.zone-save")  # already the account's zone


def test_the_time_zone_saved_is_the_accounts_own_on_every_device(
    app: Flask, seeded: Campaign, make_user: Callable[..., User]
) -> None:
    organizer, other = make_user(Role.organizer), make_user(Role.organizer)
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    for client, user in ((laptop, organizer), (phone, organizer), (colleague, other)):
        log_in(client, user)
    assert save_zone(laptop, seeded, "America/St_Johns") == 303
    _s, _b, page = dashboard(phone, seeded)
    assert selected_zone(page) == "America/St_Johns"
    response = phone.get(f"/admin/campaigns/{seeded.id}/dashboard/events.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and all(row["time_local"].endswith("-03:30") for row in rows)
    _s, _b, page = dashboard(colleague, seeded)
    assert selected_zone(page) == "America/Toronto"


def test_saving_a_zone_needs_an_offered_zone_and_a_token(
    organizer: FlaskClient, seeded: Campaign
) -> None:
    url = f"/admin/campaigns/{seeded.id}/dashboard/time-zone"
    _s, _b, page = dashboard(organizer, seeded, "?tz=America/Halifax")
    token = one(page, 'form.zone-save input[name="csrf_token"]')["value"]
    assert (
        organizer.post(url, data={"csrf_token": token, "zone": "Europe/Paris"}).status_code == 400
    )
    assert organizer.post(url, data={"zone": "America/Halifax"}).status_code in (400, 403)
    assert organizer.get(url).status_code == 405
    _s, _b, page = dashboard(organizer, seeded)
    assert selected_zone(page) == "America/Toronto"


def test_offices_csv_parses_back_to_the_table(
    organizer: FlaskClient, seeded: Campaign, session: Session
) -> None:
    response = organizer.get(f"/admin/campaigns/{seeded.id}/dashboard/offices.csv?province=ON")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = [r for r in totals.office_rows(session, seeded.id) if r.province == "ON"]
    assert len(rows) == len(expected) == 1
    (row,) = rows
    assert row["person"] == mp(session, 35100).full_name
    assert row["riding_fed_num"] == "35100"
    assert (row["bridged"], row["bridged_connected"], row["bridged_unanswered"]) == ("4", "3", "1")
    assert (row["contacts_made"], row["call_seconds"]) == ("3", "180")
    assert (row["contacts_verified"], row["contacts_self_reported"]) == ("3", "0")
    # The number as people write it: no apostrophe, which a spreadsheet would show.
    assert re.fullmatch(r"\d{3}-\d{3}-\d{4}", row["office_phone"])


def test_the_office_and_target_tables_and_csv_separate_self_reported_contacts(
    organizer: FlaskClient, seeded: Campaign, session: Session
) -> None:
    halifax = mp(session, 12006)
    add_event(session, seeded, halifax, Channel.email, Outcome.mailto)
    session.commit()
    _status, _body, page = dashboard(organizer, seeded, "?province=NS")
    table = one(page, "table.offices")
    header = [text(cell) for cell in table.select("thead th")]
    rows = [dict(zip(header, row, strict=True)) for row in office_table(page)]
    # The direct call to the Halifax office, the letter from the supporter's mail app.
    assert "Email, or no office" in {r["Office"] for r in rows}
    # And the letter to the Immigration Minister, whose holder sits for Halifax West (NS).
    assert sorted((r["Verified"], r["Self-reported"]) for r in rows) == [
        ("0", "1"),
        ("0", "1"),
        ("1", "0"),
    ]
    targets = one(page, "table.targets")
    header = [text(cell) for cell in targets.select("thead th")]
    own_mp = dict(
        zip(header, [text(c) for c in targets.select("tbody tr")[0].select("th, td")], strict=True)
    )
    assert (own_mp["Contacts made"], own_mp["Verified"], own_mp["Self-reported"]) == ("6", "4", "2")
    response = organizer.get(f"/admin/campaigns/{seeded.id}/dashboard/offices.csv?province=NS")
    csv_rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted((r["contacts_verified"], r["contacts_self_reported"]) for r in csv_rows) == [
        ("0", "1"),
        ("0", "1"),
        ("1", "0"),
    ]
    events = organizer.get(f"/admin/campaigns/{seeded.id}/dashboard/events.csv")
    marks = {
        (r["channel"], r["outcome"], r["self_reported"])
        for r in csv.DictReader(io.StringIO(events.get_data(as_text=True)))
    }
    assert ("direct_call", "talked_to_staff", "yes") in marks
    assert ("email", "mailto", "yes") in marks
    assert ("email", "sent", "no") in marks and ("bridged_call", "connected", "no") in marks


def test_events_csv_streams_every_event_without_personal_data(
    organizer: FlaskClient, seeded: Campaign, session: Session
) -> None:
    response = organizer.get(f"/admin/campaigns/{seeded.id}/dashboard/events.csv")
    assert response.is_streamed
    body = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 8
    assert [int(r["event_id"]) for r in rows] == sorted(int(r["event_id"]) for r in rows)
    counted: dict[tuple[str, str], int] = {}
    for row in rows:
        counted[(row["channel"], row["outcome"])] = (
            counted.get((row["channel"], row["outcome"]), 0) + 1
        )
    assert counted == {
        ("bridged_call", "connected"): 3,
        ("bridged_call", "busy"): 1,
        ("direct_call", "talked_to_staff"): 1,
        ("email", "sent"): 2,
        ("email", "failed"): 1,
    }
    assert {r["referral"] for r in rows} == {"union", ""}
    for column in ("phone", "email", "postal_code", "call_request_id", "dedupe_key"):
        assert column not in rows[0]


def test_csv_cells_cannot_become_spreadsheet_formulas(
    organizer: FlaskClient, seeded: Campaign, session: Session
) -> None:
    person = make_person(session, full_name='=HYPERLINK("http://evil.example")', party="@party")
    make_office(session, person, kind=OfficeKind.other, label_en="+1 office", label_fr="-x")
    add_event(
        session,
        seeded,
        person,
        Channel.direct_call,
        Outcome.talked_to_staff,
        office=person.offices[0],
    )
    session.commit()
    offices = organizer.get(f"/admin/campaigns/{seeded.id}/dashboard/offices.csv").get_data(
        as_text=True
    )
    events = organizer.get(f"/admin/campaigns/{seeded.id}/dashboard/events.csv").get_data(
        as_text=True
    )
    for body in (offices, events):
        cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
        assert '\'=HYPERLINK("http://evil.example")' in cells
        assert "'@party" in cells and "'+1 office" in cells
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_an_unknown_campaign_is_404(organizer: FlaskClient) -> None:
    for path in ("dashboard", "dashboard/offices.csv", "dashboard/events.csv"):
        assert organizer.get(f"/admin/campaigns/999999/{path}").status_code == 404


def test_the_dashboard_is_in_french(organizer: FlaskClient, seeded: Campaign) -> None:
    _s, _b, page = dashboard(organizer, seeded, "?lang=fr")
    assert one(page, "html")["lang"] == "fr"
    # The French title, after a no-break space and a colon.
    assert one(page, "h1").get_text() == f"Tableau de bord\u00a0: {seeded.title_fr}"
    parties = [text(o) for o in page.select('select[name="party"] option')]
    assert "Libéral" in parties and "Liberal" not in parties
    rows = office_table(page)
    assert {row[3] for row in rows} <= {"Libéral", "Conservateur", "NPD", "Bloc Québécois", ""}
    captions = [text(c) for c in page.select("table.totals caption")]
    assert captions[0] == "Appels reliés : 4"
    assert text(one(page, "p.as-of time")).endswith(("HNE", "HAE"))


def test_the_campaign_page_links_its_dashboard(organizer: FlaskClient, seeded: Campaign) -> None:
    page = parse(organizer.get(f"/admin/campaigns/{seeded.id}").data)
    links = [a["href"] for a in page.select("nav.actions a")]
    assert f"/admin/campaigns/{seeded.id}/dashboard" in links


def test_a_long_office_table_shows_its_first_rows_and_links_to_all(
    organizer: FlaskClient, seeded: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    from callmp.views.admin import dashboard_presenters

    monkeypatch.setattr(dashboard_presenters, "OFFICE_ROWS_SHOWN", 2)
    _s, _b, page = dashboard(organizer, seeded)
    assert len(office_table(page)) == 2
    more = one(page, "table.offices tfoot a")
    assert "all=1" in str(more["href"])
    assert text(one(page, "table.offices tfoot th")) == "Total of 4 rows"
    _s, _b, page = dashboard(organizer, seeded, "?all=1")
    assert len(office_table(page)) == 4
    assert not page.select("table.offices tfoot a")
