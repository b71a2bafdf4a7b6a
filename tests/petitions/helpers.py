"""Helpers of the petition tests: settings, a petition campaign, a signature's ask."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from callmp.letters.records import MailSettings
from callmp.models import Campaign
from callmp.petitions.settings import PetitionSettings
from callmp.petitions.signing import SignAsk
from tests.factories import demo_campaign, mp

#: A Monday afternoon: every date in these tests is counted from it.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
OTTAWA_CENTRE = 35079

SETTINGS = PetitionSettings(mail=MailSettings(secret="test-secret"), max_per_ip_per_hour=3)


def petition_campaign(session: Session, **fields: Any) -> Campaign:
    """The demo campaign with its petition on (no confirmation unless told)."""
    campaign = demo_campaign(session)
    defaults: dict[str, Any] = {
        "petitions": True,
        "petition_title_en": "Status for all",
        "petition_title_fr": "Un statut pour tous",
        "petition_text_en": "We ask for permanent status for all.",
        "petition_text_fr": "Nous demandons un statut permanent pour tous.",
        "petition_goal": 100,
        "petition_confirm": False,
    }
    for name, value in {**defaults, **fields}.items():
        setattr(campaign, name, value)
    session.commit()
    return campaign


def sign_ask(session: Session, campaign: Campaign, **fields: Any) -> SignAsk:
    """Amira's signature from Ottawa Centre (its MP), unless told otherwise."""
    ask = SignAsk(
        campaign=campaign,
        name="Amira Haddad",
        email="amira.haddad@example.org",
        postal_code="K1P 5J2",
        fed_num=OTTAWA_CENTRE,
        person_id=mp(session, OTTAWA_CENTRE).id,
        city="Ottawa",
        ip="192.0.2.10",
    )
    return replace(ask, **fields)
