"""The petition's delivery pages: the rounds, "Deliver now" after confirming, the packet."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.models import PetitionDelivery, Role, User
from tests.factories import mp
from tests.petitions.delivery_data import GASPESIE, OTTAWA_CENTRE, petition, signed
from tests.support.app import log_in, sessions
from tests.support.confirm import confirm_via_page
from tests.support.html import one, parse, text

Login = Callable[..., User]


def _url(session: Session, page: str) -> str:
    campaign = petition(session)
    session.commit()
    return f"/admin/campaigns/{campaign.id}/petition/{page}"


def _signed(session: Session) -> None:
    signed(session, petition(session))
    mp(session, GASPESIE).email = ""
    session.commit()


def _rows(client: FlaskClient, url: str) -> list[list[str]]:
    page = parse(client.get(url).data)
    return [[text(td) for td in tr.select("td")] for tr in page.select("table.deliveries tbody tr")]


def _rounds(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PetitionDelivery)) or 0)


def test_a_lead_delivers_after_confirming_and_the_page_lists_each_recipient(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    _signed(session)
    lead = login_as(Role.lead, name="Lena Lead")
    deliveries = _url(session, "deliveries")
    page = parse(client.get(deliveries).data)
    assert "Nothing has been delivered yet." in text(one(page, "main"))
    # A POST that skipped the confirmation page does nothing.
    assert client.post(_url(session, "deliver")).status_code == 400
    assert _rounds(session) == 0

    response = confirm_via_page(client, _url(session, "deliver"))
    assert (response.status_code, response.headers["Location"]) == (303, deliveries)
    assert _rounds(session) == 1
    rows = _rows(client, deliveries)
    ottawa, gaspesie = mp(session, OTTAWA_CENTRE), mp(session, GASPESIE)
    by_name = {row[0]: row for row in rows}
    assert by_name[ottawa.full_name][2:] == ["3", "3", "Sent"]
    assert by_name[gaspesie.full_name][2:] == ["2", "2", "Not emailed: no address"]
    assert by_name["Vacant seat"][2:] == ["1", "1", "Vacant: nobody to email"]
    (minister,) = [row for row in rows if row[1] == "All of Canada"]
    assert minister[2:] == ["6", "6", "Sent"]
    heading = text(one(parse(client.get(deliveries).data), "section.delivery-round"))
    assert "By hand" in heading and lead.name in heading


def test_deliver_now_with_no_signature_says_so(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    response = confirm_via_page(client, _url(session, "deliver"))
    assert response.status_code == 409
    assert "Nobody has signed the petition yet" in text(one(parse(response.data), "p.error"))
    assert _rounds(session) == 0


def test_an_organizer_sees_the_deliveries_but_cannot_deliver(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.organizer)
    page = parse(client.get(_url(session, "deliveries")).data)
    links = {text(a) for a in page.select("main a")}
    assert "Download the printable packet (PDF)" in links and "Deliver now" not in links
    assert client.get(_url(session, "deliver")).status_code == 403


def test_the_packet_downloads_as_an_attachment_never_cached(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    _signed(session)
    login_as(Role.organizer)
    response = client.get(_url(session, "packet.pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert re.fullmatch(
        r'attachment; filename="petition-[a-z0-9-]+\.pdf"', response.headers["Content-Disposition"]
    )
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    pdf_text = " ".join(page.extract_text() for page in reader.pages)
    assert re.findall(r"Signatures: (\d+)", pdf_text) == ["6"]


def test_a_missing_packet_font_is_a_clear_message_not_a_server_error(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(PDF_FONT="/nonexistent/font.ttf")
    client = app.test_client()
    log_in(client, make_user(Role.organizer))
    with sessions(app)() as session:
        url = _url(session, "packet.pdf")
    response = client.get(url)
    assert response.status_code == 503
    assert "font file was not found" in text(one(parse(response.data), "p.error"))
