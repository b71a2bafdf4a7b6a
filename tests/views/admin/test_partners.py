"""The partners screens: leads add, edit, remove partners and replace their links."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import AuditEntry, Campaign, Partner, Role, User
from tests.factories import demo_campaign
from tests.support.app import log_in, sessions
from tests.support.confirm import confirm_via_page
from tests.support.html import form_fields, one, parse, text


@pytest.fixture
def demo(session: Session) -> Campaign:
    """The demo campaign on the app's database."""
    return demo_campaign(session)


def index_of(campaign: Campaign) -> str:
    """The campaign's partners page."""
    return f"/admin/campaigns/{campaign.id}/partners"


def add(client: FlaskClient, campaign: Campaign, **typed: str) -> tuple[int, str]:
    """Fill and send the add form as a browser would: the status and the page shown."""
    form = one(parse(client.get(index_of(campaign)).data), "form#partner-form")
    data = {**form_fields(form), "name": "Migrant Rights Network", "code": "mrn", **typed}
    response = client.post(str(form["action"]), data=data, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def partners(session: Session) -> list[Partner]:
    """Every partner, fresh from the database."""
    session.expire_all()
    return list(session.scalars(select(Partner).order_by(Partner.id)))


def test_a_lead_adds_a_partner_and_sees_its_private_link(
    client: FlaskClient, login_as: Callable[..., User], session: Session, demo: Campaign
) -> None:
    login_as(Role.lead)
    status, page = add(client, demo, origins="https://MRN.example/\nhttp://127.0.0.1:8001")
    assert status == 200
    (partner,) = partners(session)
    assert partner.origins == "https://mrn.example\nhttp://127.0.0.1:8001"
    row = one(parse(page), f"tr#partner-{partner.id}")
    assert text(one(row, ".code")) == "mrn"
    link = str(one(row, ".private-link a")["href"])
    assert link.endswith(f"/p/{partner.dashboard_key}")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "partner.create")).one()
    assert entry.campaign_id == demo.id


def test_the_campaign_page_links_to_its_partners(
    client: FlaskClient, login_as: Callable[..., User], demo: Campaign
) -> None:
    login_as(Role.organizer)
    soup = parse(client.get(f"/admin/campaigns/{demo.id}").data)
    assert index_of(demo) in [a["href"] for a in soup.select("nav.actions a")]


def test_refusals_show_next_to_their_fields_and_keep_the_input(
    client: FlaskClient, login_as: Callable[..., User], session: Session, demo: Campaign
) -> None:
    login_as(Role.lead)
    status, page = add(client, demo, code="no spaces", origins="https://mrn.example/embed")
    assert status == 400
    soup = parse(page)
    assert one(soup, "#code-error").get_text().startswith("Use 1 to 64 letters")
    assert "https://mrn.example/embed" in one(soup, "#origins-error").get_text()
    assert one(soup, "input#name")["value"] == "Migrant Rights Network"
    assert one(soup, "textarea#origins").get_text().strip() == "https://mrn.example/embed"
    assert partners(session) == []


def test_errors_are_in_french_for_a_french_lead(
    client: FlaskClient, login_as: Callable[..., User], demo: Campaign
) -> None:
    login_as(Role.lead)
    client.get(index_of(demo), query_string={"lang": "fr"})
    status, page = add(client, demo, name="")
    assert status == 400
    assert one(parse(page), "#name-error").get_text() == "Indiquez le nom du partenaire."


def test_a_lead_edits_replaces_the_link_and_removes_a_partner(
    client: FlaskClient, login_as: Callable[..., User], session: Session, demo: Campaign
) -> None:
    login_as(Role.lead)
    add(client, demo)
    (partner,) = partners(session)
    key, base = partner.dashboard_key, f"{index_of(demo)}/{partner.id}"
    form = one(parse(client.get(base).data), "form#partner-form")
    data = {**form_fields(form), "name": "MRN", "origins": "https://mrn.example"}
    assert client.post(base, data=data).status_code == 302
    (partner,) = partners(session)
    assert (partner.name, partner.code, partner.dashboard_key) == ("MRN", "mrn", key)
    # Skipping the confirmation does nothing.
    refused = client.post(f"{base}/new-link", data={"csrf_token": data["csrf_token"]})
    assert refused.status_code == 400 and partners(session)[0].dashboard_key == key
    assert confirm_via_page(client, f"{base}/new-link").status_code == 302
    assert partners(session)[0].dashboard_key != key
    assert confirm_via_page(client, f"{base}/delete").status_code == 302
    assert partners(session) == []
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-4:] == ["partner.create", "partner.update", "partner.new_key", "partner.delete"]


def test_organizers_see_partners_without_their_links_or_changes(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    session: Session,
    demo: Campaign,
) -> None:
    lead = app.test_client()
    log_in(lead, make_user(Role.lead))
    add(lead, demo)
    (partner,) = partners(session)
    login_as(Role.organizer)
    page = client.get(index_of(demo))
    assert page.status_code == 200
    soup = parse(page.data)
    assert text(one(soup, f"tr#partner-{partner.id} .name")) == "Migrant Rights Network"
    assert partner.dashboard_key not in page.get_data(as_text=True)
    assert soup.select("form#partner-form") == []
    base = f"{index_of(demo)}/{partner.id}"
    token = str(
        parse(client.get("/account/password").data).select("input[name=csrf_token]")[0]["value"]
    )
    for url in (index_of(demo), base, f"{base}/new-link", f"{base}/delete"):
        answer = client.post(url, data={"csrf_token": token, "confirmed": "yes", "name": "x"})
        assert answer.status_code == 403, url
    assert client.get(base).status_code == 403
    assert [(p.name, p.dashboard_key) for p in partners(session)] == [
        ("Migrant Rights Network", partner.dashboard_key)
    ]


def test_another_campaigns_partner_is_not_found_here(
    client: FlaskClient, login_as: Callable[..., User], session: Session, demo: Campaign
) -> None:
    login_as(Role.lead)
    add(client, demo)
    (partner,) = partners(session)
    assert client.get(f"/admin/campaigns/999999/partners/{partner.id}").status_code == 404
    assert client.get(f"{index_of(demo)}/999999/delete").status_code == 404


def test_the_private_link_is_on_the_public_address(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(PUBLIC_URL="https://callmp.example", ALLOW_LOCAL_MAIL=True)
    client = app.test_client()
    log_in(client, make_user(Role.lead))
    with sessions(app)() as session:
        demo = demo_campaign(session)
        add(client, demo)
        (partner,) = partners(session)
        link = one(parse(client.get(index_of(demo)).data), ".private-link a")
    assert link["href"] == f"https://callmp.example/p/{partner.dashboard_key}"
