"""Every URL of the app with real values filled in, for tests that sweep all routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import demo
from callmp.models import Campaign, Person, User
from tests.support.app import sessions


def url_values(session: Session) -> dict[str, Any]:
    """Real ids and names for every URL argument (made-up ones where none exist yet)."""
    campaign = session.scalars(select(Campaign).where(Campaign.slug == demo.DEMO_SLUG)).one()
    member = session.scalars(select(Person).where(Person.fed_num == 35109)).one()
    custom = session.scalars(select(Person).where(Person.source == demo.MINISTER_SOURCE)).one()
    admin = session.scalars(select(User).order_by(User.id)).first()
    return {
        "slug": campaign.slug,
        "fed_num": 35109,
        "campaign_id": campaign.id,
        "target_id": campaign.targets[0].id,
        "mp_id": member.id,
        "custom_id": custom.id,
        "office_id": member.offices[0].id,
        "user_id": admin.id if admin else 1,
        "number": 1,
        "correction_id": 1,
        "public_id": "x" * 22,
        "token": "not-a-token",
        "name": "nothing.eml",
        "filename": "callmp.css",
        "house_id": member.ourcommons_person_id,
        "ext": "jpg",
        "partner_id": 1,
        "lang": "en",
        "key": "0" * 40 + "-10x10.png",
    }


def every_url(app: Flask) -> Iterator[tuple[str, set[str], str]]:
    """(endpoint, methods, URL) of every route, with ``url_values`` filled in."""
    with sessions(app)() as session:
        values = url_values(session)
    for rule in app.url_map.iter_rules():
        arguments = set(rule.arguments)
        filled = {name: values[name] for name in arguments - {"person_id"}}
        if rule.endpoint.startswith("photos."):  # photos go by House of Commons person id
            filled["person_id"] = values["house_id"]
        elif "person_id" in arguments:
            mp_page = rule.endpoint.startswith("admin_contacts.")
            filled["person_id"] = values["mp_id" if mp_page else "custom_id"]
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **filled)
        yield rule.endpoint, set(rule.methods or ()), url
