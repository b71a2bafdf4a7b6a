"""The organization's list: exactly the opted-in supporters, admins only, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callmp.models import AuditEntry, PetitionSignature, Role, SignatureStatus, User
from callmp.models.consent import ConsentRecord
from tests.factories import demo_campaign, make_consent, make_signature
from tests.support.app import sessions
from tests.support.html import parse
from tests.supporters.helpers import JEANNE, PUBLIC, email_hash, populate


def _export(client: FlaskClient, app: Flask) -> list[dict[str, str]]:
    with sessions(app)() as session:
        campaign_id = demo_campaign(session).id
    response = client.get(f"/admin/campaigns/{campaign_id}/supporters.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_export_holds_exactly_the_standing_consents(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    world = populate(app, client)
    login_as(Role.admin)
    rows = _export(client, app)
    # Jeanne's three consents; not Paul (withdrawn), Luc (never ticked), Marie (elsewhere).
    assert [row["email"] for row in rows] == [JEANNE] * 3
    with sessions(app)() as session:
        keys = {
            c.unsubscribe_key
            for c in session.scalars(
                select(ConsentRecord).where(ConsentRecord.id.in_(world.jeanne_consents))
            )
        }
    assert {row["unsubscribe_url"] for row in rows} == {f"{PUBLIC}/u/{key}" for key in keys}
    letter = rows[0]
    assert (letter["name"], letter["postal_code"], letter["riding_fed_num"]) == (
        "Jeanne Roy",
        "K1P 5J2",
        "35075",
    )
    assert letter["riding"]  # the riding's name, from the directory
    assert letter["consent_action"] == "letter" and letter["consent_source"] == "page"
    assert letter["consent_wording"] == "The campaign may email me about this and future actions."
    assert {row["language"] for row in rows} == {"en", "fr"}
    # What she did: letters sent (one per target of the demo), signed, asked for a call.
    assert {int(row["letters_sent"]) for row in rows} == {2}
    assert {row["petition_signed"] for row in rows} == {"yes"}
    assert {row["calls_requested"] for row in rows} == {"1"}


def test_each_export_is_audited_without_addresses(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    populate(app, client)
    login_as(Role.admin)
    _export(client, app)
    with sessions(app)() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "supporters.export")
        ).all()
        assert entry.params == {"count": 3}
        assert "@" not in entry.summary and "@" not in str(entry.params)


def test_cells_that_look_like_formulas_are_defused(
    app: Flask, client: FlaskClient, session: object, login_as: Callable[..., User]
) -> None:
    from tests.factories import make_consent

    with sessions(app)() as s:
        make_consent(s, demo_campaign(s), name='=HYPERLINK("http://x")')
        s.commit()
    login_as(Role.admin)
    (row,) = _export(client, app)
    assert row["name"] == '\'=HYPERLINK("http://x")'


def test_organizers_and_leads_may_not_export(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    with sessions(app)() as session:
        campaign_id = demo_campaign(session).id
    for role in (Role.organizer, Role.lead):
        login_as(role)
        assert client.get(f"/admin/campaigns/{campaign_id}/supporters.csv").status_code == 403


def test_the_campaign_page_links_the_export_for_admins_only(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    with sessions(app)() as session:
        campaign_id = demo_campaign(session).id
    page = f"/admin/campaigns/{campaign_id}"
    export = f"/admin/campaigns/{campaign_id}/supporters.csv"
    for role, shown in ((Role.lead, False), (Role.admin, True)):
        login_as(role)
        links = [a.get("href") for a in parse(client.get(page).data).select("nav.actions a")]
        assert (export in links) is shown


def test_a_consent_given_with_an_unconfirmed_address_is_not_on_the_list(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    address = "nadia@example.org"
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        signature = make_signature(
            session,
            campaign,
            email=address,
            email_hmac=email_hash(app, address),
            status=SignatureStatus.awaiting_confirmation,
        )
        make_consent(
            session,
            campaign,
            action="petition",
            email=address,
            email_hmac=email_hash(app, address),
            signature_id=signature.id,
        )
        session.commit()
        signature_id = signature.id
    login_as(Role.admin)
    assert address not in [row["email"] for row in _export(client, app)]
    with sessions(app)() as session:
        confirmed = session.get(PetitionSignature, signature_id)
        assert confirmed is not None
        confirmed.status = SignatureStatus.confirmed
        session.commit()
    assert [row["email"] for row in _export(client, app)] == [address]
