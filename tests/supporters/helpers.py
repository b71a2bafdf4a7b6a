"""A little world of supporters for the list and privacy tests: letters sent through the
API (so their messages and counts are real), signatures, call requests and consents."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from callmp.demo import DEMO_SLUG
from callmp.directory import phones
from callmp.letters import records
from callmp.models import Campaign, EmailSubmission
from tests.factories import (
    demo_campaign,
    make_call_request,
    make_campaign,
    make_consent,
    make_signature,
)
from tests.support.app import call_service, mail_service, sessions

API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
PUBLIC = "https://callmp.example"
JEANNE = "jeanne.roy@example.org"
JEANNE_PHONE = "+16135550142"


@dataclass
class World:
    """Ids of what ``populate`` made."""

    jeanne_letter: int
    jeanne_consents: list[int]
    withdrawn: int
    other_campaign: int
    others: list[int]


def email_hash(app: Flask, address: str) -> str:
    return records.keyed_hash(address, mail_service(app).settings)


def phone_hash(app: Flask, e164: str) -> str:
    return phones.phone_hmac(e164, call_service(app).settings.hmac_key)


def write(client: FlaskClient, address: str, name: str, line: str) -> None:
    """A letter sent through the API (no confirmation step: it goes at once)."""
    body = {"name": name, "email": address, "postal_code": "K2P 1L4", "personal_line": line}
    response = client.post(API, json=body)
    assert response.status_code == 202, response.json


def populate(app: Flask, client: FlaskClient) -> World:
    """Jeanne wrote, signed, asked for a call and said yes twice; Paul said yes and then
    withdrew; Luc signed without ticking; Marie said yes on another campaign."""
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    write(client, JEANNE, "Jeanne Roy", "I live here.")
    write(client, "luc@example.org", "Luc Martin", "My street floods.")
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        letter = session.scalars(
            select(EmailSubmission).where(EmailSubmission.email_hmac == email_hash(app, JEANNE))
        ).one()
        signature = make_signature(
            session,
            campaign,
            name="Jeanne Roy",
            email=JEANNE,
            email_hmac=email_hash(app, JEANNE),
            consent_followup=True,
            comment="Please act.",
        )
        call = make_call_request(
            session,
            campaign,
            phone=JEANNE_PHONE,
            phone_hmac=phone_hash(app, JEANNE_PHONE),
            ip_hmac="ip-1",
        )
        jeanne = [
            make_consent(
                session,
                campaign,
                name="Jeanne Roy",
                email=JEANNE,
                email_hmac=email_hash(app, JEANNE),
                submission_id=letter.id,
                fed_num=35075,
            ),
            make_consent(
                session,
                campaign,
                action="petition",
                name="Jeanne Roy",
                email=JEANNE,
                email_hmac=email_hash(app, JEANNE),
                signature_id=signature.id,
                locale="fr",
            ),
            make_consent(
                session,
                campaign,
                action="call",
                phone_hmac=phone_hash(app, JEANNE_PHONE),
                name="Jeanne Roy",
                email=JEANNE,
                email_hmac=email_hash(app, JEANNE),
                call_request_id=call.id,
            ),
        ]
        paul = make_consent(
            session,
            campaign,
            email="paul@example.org",
            email_hmac=email_hash(app, "paul@example.org"),
        )
        paul.withdrawn_at = paul.created_at
        make_signature(
            session,
            campaign,
            email="luc@example.org",
            email_hmac=email_hash(app, "luc@example.org"),
        )
        elsewhere = make_campaign(session)
        marie = make_consent(session, elsewhere, email="marie@example.org")
        others = [paul.id, marie.id]
        session.commit()
        return World(letter.id, [c.id for c in jeanne], paul.id, elsewhere.id, others)
