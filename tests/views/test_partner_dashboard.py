"""A partner's private dashboard: its own contacts only, at a link that can be replaced."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import Campaign, Channel, Outcome, Partner, Role, SignatureStatus, User
from callmp.partners import editing
from callmp.partners.editing import PartnerInput
from callmp.views.context import clean_referral
from tests.factories import (
    add_event,
    demo_campaign,
    make_campaign,
    make_signature,
    make_target,
    mp,
)
from tests.support.html import one, parse, text

C, Out = Channel, Outcome
AVALON = 10001
#: 15:10 UTC on 1 December, then 02:30 UTC on 3 December (2 December in Toronto).
DAY_ONE = datetime(2026, 12, 1, 15, 10, tzinfo=UTC)
DAY_TWO = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)


@pytest.fixture
def board(session: Session) -> dict[str, Partner]:
    """Two partners of the demo campaign and one of another, with events for each."""
    lead = User(email="board-lead@staff.example", role=Role.lead, password_hash="x")
    session.add(lead)
    demo = demo_campaign(session)
    other = make_campaign(session)
    make_target(session, other)

    def partner(campaign: Campaign, name: str, code: str) -> Partner:
        typed = PartnerInput(name=name, code=code, origins="")
        return editing.create(session, campaign, typed, lead, clean_referral)

    made = {
        "mrn": partner(demo, "Migrant Rights Network", "mrn"),
        "fcj": partner(demo, "FCJ Refugee Centre", "fcj"),
        "elsewhere": partner(other, "Elsewhere", "mrn"),
    }
    person = mp(session, AVALON)
    for at, channel, outcome in [
        (DAY_ONE, C.bridged_call, Out.connected),
        (DAY_ONE, C.bridged_call, Out.no_answer),
        (DAY_TWO, C.direct_call, Out.talked_to_staff),
        (DAY_TWO, C.email, Out.sent),
    ]:
        add_event(session, demo, person, channel, outcome, referral="mrn", at=at)
    add_event(session, demo, person, C.email, Out.sent, referral="fcj", at=DAY_ONE)
    add_event(session, demo, person, C.email, Out.sent, at=DAY_ONE)  # no code
    for _ in range(5):
        add_event(session, other, person, C.email, Out.sent, referral="mrn", at=DAY_ONE)
    session.commit()
    return made


def cells(page: bytes, row: str) -> dict[str, str]:
    """The figures of one table row (a day, or ``total``) by column key."""
    tr = one(parse(page), f"table.partner-days tr[data-day='{row}']")
    return {str(td["data-key"]): text(td) for td in tr.select("td")}


def test_each_partner_sees_exactly_its_own_contacts(
    client: FlaskClient, board: dict[str, Partner]
) -> None:
    page = client.get(f"/p/{board['mrn'].dashboard_key}", query_string={"lang": "en"})
    assert page.status_code == 200
    soup = parse(page.data)
    assert "Migrant Rights Network" in text(one(soup, "h1"))
    assert [tr["data-day"] for tr in soup.select("tbody tr")] == ["2026-12-01", "2026-12-02"]
    first = cells(page.data, "2026-12-01")
    assert (first["bridged"], first["bridged_connected"], first["contacts_made"]) == ("2", "1", "1")
    second = cells(page.data, "2026-12-02")
    assert (second["direct_talked"], second["emails_sent"], second["contacts_made"]) == (
        "1",
        "1",
        "2",
    )
    assert cells(page.data, "total")["contacts_made"] == "3"
    assert text(one(soup, "#partner-total")) == "3"
    assert text(one(soup, "#campaign-total")) == "5"  # mrn 3, fcj 1, no code 1

    fcj = client.get(f"/p/{board['fcj'].dashboard_key}")
    assert [tr["data-day"] for tr in parse(fcj.data).select("tbody tr")] == ["2026-12-01"]
    assert cells(fcj.data, "total")["emails_sent"] == "1"

    elsewhere = client.get(f"/p/{board['elsewhere'].dashboard_key}")
    assert cells(elsewhere.data, "total")["contacts_made"] == "5"
    assert text(one(parse(elsewhere.data), "#campaign-total")) == "5"


def test_the_csv_holds_the_same_table(client: FlaskClient, board: dict[str, Partner]) -> None:
    response = client.get(f"/p/{board['mrn'].dashboard_key}/contacts.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["date"], r["contacts_made"]) for r in rows] == [
        ("2026-12-01", "1"),
        ("2026-12-02", "2"),
        ("total", "3"),
    ]
    assert rows[0]["bridged_unanswered"] == "1"


@pytest.mark.parametrize("path", ["", "/contacts.csv"])
def test_a_wrong_or_replaced_key_is_a_plain_404(
    app: Flask, client: FlaskClient, session: Session, board: dict[str, Partner], path: str
) -> None:
    partner = board["mrn"]
    old = partner.dashboard_key
    assert client.get(f"/p/{old}{path}").status_code == 200
    assert client.get(f"/p/{old[:-1]}{path}").status_code == 404
    assert client.get(f"/p/{'A' * 43}{path}").status_code == 404
    lead = session.scalars(select(User)).first()
    assert lead is not None
    editing.replace_key(session, demo_campaign(session), partner, lead)
    session.commit()
    assert client.get(f"/p/{old}{path}").status_code == 404
    assert client.get(f"/p/{partner.dashboard_key}{path}").status_code == 200


def test_the_page_is_private_and_keeps_no_copy(
    client: FlaskClient, board: dict[str, Partner]
) -> None:
    response = client.get(f"/p/{board['mrn'].dashboard_key}")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert one(parse(response.data), "meta[name=referrer]")["content"] == "no-referrer"
    csv_answer = client.get(f"/p/{board['mrn'].dashboard_key}/contacts.csv")
    assert csv_answer.headers["Referrer-Policy"] == "no-referrer"
    assert csv_answer.headers["Cache-Control"] == "no-store"
    # Other pages keep the app's own policy.
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"


def test_the_dashboard_speaks_french(client: FlaskClient, board: dict[str, Partner]) -> None:
    key = board["mrn"].dashboard_key
    page = client.get(f"/p/{key}", headers={"Accept-Language": "fr-CA"})
    soup = parse(page.data)
    assert soup.html is not None and soup.html["lang"] == "fr"
    assert text(one(soup, "h1")).startswith("Migrant Rights Network pour ")
    assert "Télécharger le tableau (CSV)" in text(soup)
    english = parse(client.get(f"/p/{key}", query_string={"lang": "en"}).data)
    assert "Download the table (CSV)" in text(english)


def test_nothing_personal_about_supporters_is_shown(
    client: FlaskClient, session: Session, board: dict[str, Partner]
) -> None:
    member = mp(session, AVALON)
    page = client.get(f"/p/{board['mrn'].dashboard_key}").get_data(as_text=True)
    csv_text = client.get(f"/p/{board['mrn'].dashboard_key}/contacts.csv").get_data(as_text=True)
    assert member.full_name not in page and member.full_name not in csv_text
    assert member.riding is not None and member.riding.name_current not in page


@pytest.fixture
def petition(session: Session, board: dict[str, Partner]) -> dict[str, Partner]:
    """The demo campaign's petition on: mrn brought 2 signatures on 1 December and 1 on
    2 December (Toronto); one unconfirmed and one on another campaign don't count, nor
    fcj's or the one without a code."""
    demo = demo_campaign(session)
    demo.petitions = True
    for at in (DAY_ONE, DAY_ONE, DAY_TWO):
        make_signature(session, demo, referral="mrn", created_at=at, fed_num=AVALON)
    make_signature(
        session,
        demo,
        referral="mrn",
        created_at=DAY_ONE,
        status=SignatureStatus.awaiting_confirmation,
    )
    make_signature(session, demo, referral="fcj", created_at=DAY_ONE)
    make_signature(session, demo, created_at=DAY_TWO)
    other = session.get(Campaign, board["elsewhere"].campaign_id)
    assert other is not None
    make_signature(session, other, referral="mrn", created_at=DAY_ONE)
    session.commit()
    return board


def test_with_a_petition_the_partner_sees_its_signatures_per_day(
    client: FlaskClient, petition: dict[str, Partner]
) -> None:
    page = client.get(f"/p/{petition['mrn'].dashboard_key}", query_string={"lang": "en"})
    soup = parse(page.data)
    assert text(one(soup, "#partner-signatures")) == "3"
    assert text(one(soup, "#campaign-signatures")) == "5"
    assert cells(page.data, "2026-12-01")["petition_signatures"] == "2"
    assert cells(page.data, "2026-12-02")["petition_signatures"] == "1"
    assert cells(page.data, "total")["petition_signatures"] == "3"
    # Contacts are unchanged by the new column.
    assert cells(page.data, "total")["contacts_made"] == "3"

    response = client.get(f"/p/{petition['mrn'].dashboard_key}/contacts.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["date"], r["contacts_made"], r["petition_signatures"]) for r in rows] == [
        ("2026-12-01", "1", "2"),
        ("2026-12-02", "2", "1"),
        ("total", "3", "3"),
    ]
    body = response.get_data(as_text=True) + page.get_data(as_text=True)
    assert "Signer" not in body and "example.org" not in body


def test_signatures_alone_make_a_day_of_their_own(
    client: FlaskClient, petition: dict[str, Partner], session: Session
) -> None:
    demo = demo_campaign(session)
    later = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    make_signature(session, demo, referral="fcj", created_at=later)
    session.commit()
    page = client.get(f"/p/{petition['fcj'].dashboard_key}")
    assert [tr["data-day"] for tr in parse(page.data).select("tbody tr")] == [
        "2026-12-01",
        "2026-12-05",
    ]
    assert cells(page.data, "2026-12-05")["petition_signatures"] == "1"
    assert cells(page.data, "2026-12-05")["contacts_made"] == "0"


def test_without_a_petition_there_is_no_signature_column(
    client: FlaskClient, board: dict[str, Partner], session: Session
) -> None:
    demo_campaign(session).petitions = False  # the demo has one
    session.commit()
    page = client.get(f"/p/{board['mrn'].dashboard_key}")
    assert parse(page.data).select("#partner-signatures, [data-key=petition_signatures]") == []
    response = client.get(f"/p/{board['mrn'].dashboard_key}/contacts.csv")
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert "petition_signatures" not in header
