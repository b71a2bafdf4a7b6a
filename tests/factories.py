"""Test data: small factories that add a model to a session, flush it and return it.

Each ``make_*`` takes the session and keyword overrides of the model's fields; what a test
does not care about gets a plain default. The ``demo_campaign`` and ``mp`` readers find
what every test database holds already: the seeded demo campaign and the shipped MPs.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from itertools import count
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.db import insert_once
from callmp.demo import DEMO_SLUG
from callmp.models import (
    CallRequest,
    Campaign,
    Channel,
    ContactEvent,
    Office,
    OfficeKind,
    Outcome,
    Person,
    PetitionSignature,
    SignatureStatus,
    Target,
    TargetKind,
)
from callmp.models.consent import ConsentRecord

#: When ``add_event``'s events happen unless told otherwise.
T0 = datetime(2026, 12, 1, 15, 10, tzinfo=UTC)

_serial = count(1)

M = TypeVar("M")


def demo_campaign(session: Session) -> Campaign:
    """The demo campaign seeded in every test database (own MP, then the Minister)."""
    return session.scalars(select(Campaign).where(Campaign.slug == DEMO_SLUG)).one()


def mp(session: Session, fed_num: int) -> Person:
    """The MP of riding ``fed_num``, from the shipped data."""
    return session.scalars(select(Person).where(Person.fed_num == fed_num)).one()


def _added(session: Session, model: M) -> M:
    """Add ``model`` to ``session``, flush and return it."""
    session.add(model)
    session.flush()
    return model


def make_campaign(session: Session, **fields: Any) -> Campaign:
    """A campaign (a draft with an English and a French title unless told otherwise)."""
    n = next(_serial)
    defaults: dict[str, Any] = {
        "slug": f"campaign-{n}",
        "title_en": f"Campaign {n}",
        "title_fr": f"Campagne {n}",
        # The organization every published campaign names (CASL identification).
        "org_legal_name": f"Organization {n} Inc.",
        "org_mailing_address": "100 Example Street\nOttawa ON  K1A 0A6",
        "org_contact": f"privacy{n}@example.org",
    }
    return _added(session, Campaign(**{**defaults, **fields}))


def make_person(session: Session, **fields: Any) -> Person:
    """A person (a custom contact, with no riding, unless told otherwise)."""
    defaults: dict[str, Any] = {"full_name": f"Person {next(_serial)}", "source": "test"}
    return _added(session, Person(**{**defaults, **fields}))


def make_office(session: Session, person: Person, **fields: Any) -> Office:
    """An office of ``person`` (an ``other`` office unless told otherwise)."""
    office = Office(**{"kind": OfficeKind.other, **fields})
    person.offices.append(office)
    session.flush()
    return office


def make_target(session: Session, campaign: Campaign, **fields: Any) -> Target:
    """A target of ``campaign`` (the supporter's own MP, after the last one, by default)."""
    position = max((target.position for target in campaign.targets), default=0) + 1
    target = Target(**{"position": position, "kind": TargetKind.own_mp, **fields})
    campaign.targets.append(target)
    session.flush()
    return target


def make_call_request(session: Session, campaign: Campaign, **fields: Any) -> CallRequest:
    """A call request of ``campaign`` (English, no riding, no phone) as stored, unplaced."""
    n = next(_serial)
    defaults: dict[str, Any] = {
        "campaign_id": campaign.id,
        "public_id": f"test{n:028d}",
        "phone_hmac": f"{n:064x}",
        "locale": "en",
    }
    return _added(session, CallRequest(**{**defaults, **fields}))


def add_event(
    session: Session,
    campaign: Campaign,
    person: Person,
    channel: Channel,
    outcome: Outcome,
    *,
    office: Office | None = None,
    target: Target | None = None,
    referral: str = "",
    duration: int | None = None,
    at: datetime = T0,
    key: str | None = None,
) -> bool:
    """Insert one contact event the way the app does (once per key)."""
    return insert_once(
        session,
        ContactEvent,
        {
            "campaign_id": campaign.id,
            "target_id": (target or campaign.targets[0]).id,
            "person_id": person.id,
            "office_id": office.id if office else None,
            "channel": channel,
            "outcome": outcome,
            "duration_s": duration,
            "referral": referral,
            "dedupe_key": key or f"test:{next(_serial)}",
            "created_at": at,
        },
    )


def minister_as_person(session: Session, campaign: Campaign) -> Person:
    """Turn the demo's second target (the Immigration portfolio) into a fixed custom person
    copied from its holder, as a lead would set one up by hand; return that person.

    For tests about fixed people and fallbacks: the demo itself aims at the portfolio.
    """
    target = campaign.targets[1]
    assert target.portfolio is not None and target.portfolio.holder is not None
    member = target.portfolio.holder
    person = make_person(
        session,
        full_name=member.full_name,
        first_name=member.first_name,
        last_name=member.last_name,
        honorific=member.honorific,
        party=member.party,
        email=member.email,
        source="lead",
    )
    hill = next(o for o in member.offices if o.phone)
    make_office(session, person, kind=OfficeKind.other, phone=hill.phone, label_en="Office")
    target.kind, target.portfolio, target.person = TargetKind.person, None, person
    session.flush()
    return person


def make_signature(session: Session, campaign: Campaign, **fields: Any) -> PetitionSignature:
    """A confirmed signature on ``campaign``'s petition, from riding 35075 unless told
    otherwise (its MP, when the riding has one, as the person it counted for)."""
    n = next(_serial)
    fed_num = fields.get("fed_num", 35075)
    if "person_id" not in fields and fed_num is not None:
        member = session.scalars(select(Person.id).where(Person.fed_num == fed_num)).first()
        fields["person_id"] = member
    defaults: dict[str, Any] = {
        "public_id": f"signature-{n}",
        "campaign_id": campaign.id,
        "fed_num": fed_num,
        "name": f"Signer {n}",
        "email": f"signer-{n}@example.org",
        "email_hmac": f"hmac-{n}",
        "postal_code": "K1P 5J2",
        "city": "Ottawa",
        "status": SignatureStatus.confirmed,
        "confirmed_at": datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        "created_at": datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
    }
    return _added(session, PetitionSignature(**{**defaults, **fields}))


def make_consent(session: Session, campaign: Campaign, **fields: Any) -> ConsentRecord:
    """A standing consent to follow-up email on ``campaign`` (a letter's, in English, from
    the campaign page) with a fresh unsubscribe key, unless told otherwise."""
    n = next(_serial)
    defaults: dict[str, Any] = {
        "unsubscribe_key": secrets.token_urlsafe(32),
        "campaign_id": campaign.id,
        "action": "letter",
        "source": "page",
        "locale": "en",
        "wording": "The campaign may email me about this and future actions.",
        "name": f"Supporter {n}",
        "email": f"supporter-{n}@example.org",
        "email_hmac": f"consent-hmac-{n}",
        "postal_code": "K1P 5J2",
        "fed_num": 35075,
        "created_at": datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
    }
    return _added(session, ConsentRecord(**{**defaults, **fields}))
