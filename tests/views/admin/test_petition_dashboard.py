"""The petition on the organizers' dashboard, the constituents table and their CSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp.letters.records import MailSettings
from callmp.models import Campaign, Partner, Role, SignatureStatus, User
from callmp.petitions import delivery
from tests.factories import demo_campaign, make_campaign, make_signature, mp
from tests.support.clock import clock_at
from tests.support.html import one, parse, text

#: "Now" for every test here: the signatures are made on the two days before, in Toronto.
NOW = datetime(2026, 11, 4, 17, 0, tzinfo=UTC)
YESTERDAY = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
#: 03:30 UTC on 3 November is still 2 November in Toronto (22:30 EST).
LATE = datetime(2026, 11, 3, 3, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[datetime]:
    with clock_at(NOW) as now:
        yield now


@pytest.fixture
def signed(session: Session) -> Campaign:
    """The demo campaign's petition: 6 counted signatures in three provinces (one from a
    vacant seat), through a partner and shares; 2 that don't count; another campaign's."""
    campaign = demo_campaign(session)
    campaign.petitions = True
    campaign.petition_goal = 20
    session.add(
        Partner(
            campaign_id=campaign.id, name="Migrant Rights Network", code="mrn", dashboard_key="k1"
        )
    )
    for _ in range(2):
        make_signature(session, campaign, referral="mrn", created_at=YESTERDAY, called_at=NOW)
    make_signature(session, campaign, share_source="whatsapp", created_at=LATE, wrote_at=NOW)
    make_signature(session, campaign, fed_num=12006, created_at=LATE)
    make_signature(session, campaign, fed_num=24058, created_at=YESTERDAY)
    make_signature(session, campaign, fed_num=24058, person_id=None, created_at=YESTERDAY)
    make_signature(session, campaign, status=SignatureStatus.expired, created_at=YESTERDAY)
    make_signature(
        session, campaign, status=SignatureStatus.awaiting_confirmation, created_at=YESTERDAY
    )
    make_signature(session, make_campaign(session, petitions=True), fed_num=12006)
    session.commit()
    return campaign


@pytest.fixture
def organizer(client: FlaskClient, login_as: Callable[..., User]) -> FlaskClient:
    login_as(Role.organizer, time_zone="America/Toronto")
    return client


def get_page(client: FlaskClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.status_code
    assert response.mimetype == "text/html"
    return parse(response.data)


def figures(page: BeautifulSoup, selector: str) -> dict[str, str]:
    return {str(dd["data-figure"]): text(dd).split(" ")[0] for dd in page.select(f"{selector} dd")}


def test_the_dashboard_shows_the_petition_when_it_is_on(
    organizer: FlaskClient, signed: Campaign
) -> None:
    page = get_page(organizer, f"/admin/campaigns/{signed.id}/dashboard")
    assert figures(page, "dl.petition-totals") == {"signatures": "6", "goal": "20"}
    assert figures(page, "dl.petition-ladder") == {"called": "2", "wrote": "1", "either": "3"}
    provinces = {
        str(tr["data-province"]): text(one(tr, "td"))
        for tr in page.select("table.petition-provinces tbody tr")
    }
    assert provinces == {"ON": "3", "QC": "2", "NS": "1"}
    referrals = [
        [text(cell) for cell in tr.select("th, td")]
        for tr in page.select("table.petition-referrals tbody tr")
    ]
    assert referrals == [["(no code)", "", "4"], ["mrn", "Migrant Rights Network", "2"]]
    sources = [
        [text(cell) for cell in tr.select("th, td")]
        for tr in page.select("table.petition-sources tbody tr")
    ]
    assert sources == [["(not from a share)", "5"], ["WhatsApp", "1"]]
    days = {
        str(tr["data-day"]): text(one(tr, "td"))
        for tr in page.select("table.petition-days tbody tr")
    }
    assert days == {"2026-11-02": "2", "2026-11-03": "4", "2026-11-04": "0"}
    chart = one(page, "section[aria-labelledby=petition] .chart-wide svg")
    assert sum(int(str(r["data-value"])) for r in chart.select("rect.bar")) == 6
    link = one(page, "a[href$='/petition/constituents']")
    assert link["href"] == f"/admin/campaigns/{signed.id}/petition/constituents"


def test_the_dashboard_says_when_the_petition_was_last_delivered(
    organizer: FlaskClient, signed: Campaign, session: Session
) -> None:
    page = get_page(organizer, f"/admin/campaigns/{signed.id}/dashboard")
    assert text(one(page, "p.petition-delivered")) == "Not delivered yet."
    link = one(page, "section[aria-labelledby=petition] a[href$='/petition/deliveries']")
    assert link["href"] == f"/admin/campaigns/{signed.id}/petition/deliveries"
    settings = MailSettings(secret="dashboard test")
    made = delivery.record(session, delivery.by_hand(signed, session), settings, YESTERDAY)
    assert made is not None
    session.commit()
    page = get_page(organizer, f"/admin/campaigns/{signed.id}/dashboard")
    said = text(one(page, "p.petition-delivered"))
    assert said.startswith("Delivered 1 time; last on 2026-11-03") and "6 signatures" in said


def test_the_dashboard_has_no_petition_section_when_it_is_off(
    organizer: FlaskClient, signed: Campaign, session: Session
) -> None:
    campaign = session.get(Campaign, signed.id)
    assert campaign is not None
    campaign.petitions = False
    session.commit()
    page = get_page(organizer, f"/admin/campaigns/{signed.id}/dashboard")
    assert page.select("#petition") == []


def table(page: BeautifulSoup) -> list[list[str]]:
    body = one(page, "table.petition-constituents tbody")
    return [[text(cell) for cell in tr.select("th, td")] for tr in body.select("tr")]


def test_the_constituents_table_has_each_mp_and_the_vacant_seat(
    organizer: FlaskClient, signed: Campaign, session: Session
) -> None:
    page = get_page(organizer, f"/admin/campaigns/{signed.id}/petition/constituents")
    ottawa, halifax, papineau = mp(session, 35075), mp(session, 12006), mp(session, 24058)
    rows = table(page)
    assert [(row[0], row[3], row[4]) for row in rows] == [
        (ottawa.full_name, "ON", "3"),
        (halifax.full_name, "NS", "1"),
        (papineau.full_name, "QC", "1"),
        ("Vacant seat", "QC", "1"),
    ]
    assert rows[0][2] == (ottawa.riding.name("en") if ottawa.riding else "")
    assert text(one(page, "tfoot [data-figure=total]")) == "6"
    assert one(page, "table.petition-constituents tbody tr[data-vacant=yes]")["data-fed-num"] == (
        "24058"
    )


@pytest.mark.parametrize(
    ("query", "column", "expected"),
    [
        ("?sort=province&dir=asc", 3, ["NS", "ON", "QC", "QC"]),
        ("?sort=province&dir=desc", 3, ["QC", "QC", "ON", "NS"]),
        ("?sort=signatures&dir=asc", 4, ["1", "1", "1", "3"]),
    ],
)
def test_the_constituents_table_sorts_by_a_query_parameter(
    organizer: FlaskClient, signed: Campaign, query: str, column: int, expected: list[str]
) -> None:
    page = get_page(organizer, f"/admin/campaigns/{signed.id}/petition/constituents{query}")
    assert [row[column] for row in table(page)] == expected
    key = query.split("&")[0].split("=")[1]
    header = one(page, f"th[data-sort={key}]")
    assert header["aria-sort"] == ("ascending" if "asc" in query else "descending")
    # Its link flips the order.
    flipped = "desc" if "asc" in query else "asc"
    assert header.a is not None and f"dir={flipped}" in str(header.a["href"])


def test_the_mp_column_sorts_by_name(
    organizer: FlaskClient, signed: Campaign, session: Session
) -> None:
    page = get_page(
        organizer, f"/admin/campaigns/{signed.id}/petition/constituents?sort=mp&dir=asc"
    )
    names = [row[0] for row in table(page)]
    # Vacant seats after the MPs' names.
    assert names[:-1] == sorted(names[:-1], key=str.casefold) and names[-1] == "Vacant seat"


@pytest.mark.parametrize("query", ["?sort=email", "?dir=sideways", "?sort=" + "x" * 5000])
def test_a_bad_order_is_a_400_with_the_usual_table(
    organizer: FlaskClient, signed: Campaign, query: str
) -> None:
    page = get_page(organizer, f"/admin/campaigns/{signed.id}/petition/constituents{query}", 400)
    assert page.select('[role="alert"]')
    assert [row[4] for row in table(page)] == ["3", "1", "1", "1"]
    csv_answer = organizer.get(f"/admin/campaigns/{signed.id}/petition/constituents.csv{query}")
    assert csv_answer.status_code == 400


def test_a_nul_byte_in_the_order_is_a_400(organizer: FlaskClient, signed: Campaign) -> None:
    for path in ("constituents", "constituents.csv"):
        answer = organizer.get(f"/admin/campaigns/{signed.id}/petition/{path}?sort=%00&dir=%00")
        assert answer.status_code == 400


def test_the_constituents_csv_is_the_sorted_table_without_personal_data(
    organizer: FlaskClient, signed: Campaign, session: Session
) -> None:
    response = organizer.get(
        f"/admin/campaigns/{signed.id}/petition/constituents.csv?sort=province&dir=asc"
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "riding_fed_num",
        "riding_en",
        "riding_fr",
        "province",
        "mp",
        "party",
        "vacant",
        "signatures",
    ]
    assert [(r[0], r[3], r[6], r[7]) for r in rows[1:]] == [
        ("12006", "NS", "no", "1"),
        ("35075", "ON", "no", "3"),
        ("24058", "QC", "no", "1"),
        ("24058", "QC", "yes", "1"),
        ("total", "", "", "6"),
    ]
    body = response.get_data(as_text=True)
    for value in ("Signer", "example.org", "K1P", "Ottawa,"):
        assert value not in body


def test_the_days_csv_counts_per_day_in_the_asked_zone(
    organizer: FlaskClient, signed: Campaign
) -> None:
    url = f"/admin/campaigns/{signed.id}/petition/days.csv"
    toronto = list(csv.reader(io.StringIO(organizer.get(url).get_data(as_text=True))))
    assert toronto == [
        ["date", "signatures"],
        ["2026-11-02", "2"],
        ["2026-11-03", "4"],
        ["2026-11-04", "0"],
        ["total", "6"],
    ]
    utc = list(csv.reader(io.StringIO(organizer.get(url + "?tz=UTC").get_data(as_text=True))))
    assert utc[1:3] == [["2026-11-03", "6"], ["2026-11-04", "0"]]
    assert organizer.get(url + "?tz=Mars/Olympus").status_code == 400


def test_the_pages_are_in_french(
    organizer: FlaskClient, signed: Campaign, session: Session
) -> None:
    headers = {"Accept-Language": "fr-CA"}
    response = organizer.get(f"/admin/campaigns/{signed.id}/petition/constituents", headers=headers)
    page = parse(response.data)
    assert (
        text(one(page, "h1")) == "Combien d’électeurs et d’électrices de chaque député·e ont signé"
    )
    assert table(page)[3][0] == "Siège vacant"
    riding = mp(session, 35075).riding
    assert riding is not None and table(page)[0][2] == riding.name("fr")
    board = parse(organizer.get(f"/admin/campaigns/{signed.id}/dashboard", headers=headers).data)
    assert text(one(board, "#petition")) == "Pétition"


def test_supporters_and_strangers_cannot_see_the_counts(
    client: FlaskClient, signed: Campaign
) -> None:
    for path in ("constituents", "constituents.csv", "days.csv"):
        response = client.get(f"/admin/campaigns/{signed.id}/petition/{path}")
        assert response.status_code in (302, 303)
    assert client.get("/admin/campaigns/99999/petition/constituents").status_code in (302, 303)


def test_an_unknown_campaign_is_404(organizer: FlaskClient) -> None:
    assert organizer.get("/admin/campaigns/99999/petition/constituents").status_code == 404
    assert organizer.get("/admin/campaigns/99999/petition/days.csv").status_code == 404
