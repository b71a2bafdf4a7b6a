"""Leads see an MP's address that bounces, and the flag clears when they correct it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp.letters import bounces
from callmp.models import BouncedAddress, Role, User
from tests.support.html import parse, text
from tests.views.admin.test_contacts import INDEX, member, page_of, post_correction

WHEN = datetime(2026, 11, 3, 19, 5, tzinfo=UTC)


@pytest.fixture
def lead(login_as: Callable[..., User]) -> User:
    """The client, logged in as a campaign lead."""
    return login_as(Role.lead, name="Lee Lead")


def bounce_twice(session: Session, address: str, person_id: int) -> None:
    """Two bounces from ``address``: enough to flag it."""
    for _ in range(2):
        bounces.count_address(session, address, person_id, "5.1.1 no such mailbox", WHEN, 2)
    session.commit()


def test_a_flagged_address_shows_on_the_list_and_the_mps_page(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    assert "Addresses that bounce" not in text(parse(client.get(INDEX).data))
    bounce_twice(session, mp.email.lower(), mp.id)
    index = parse(client.get(INDEX).data)
    (item,) = index.select("ul.bounced-addresses li")
    assert mp.full_name in text(item) and mp.email.lower() in text(item)
    assert "2 bounces" in text(item)
    link = item.select_one("a")
    assert link is not None and link["href"] == f"{page_of(mp)}#email"
    page = parse(client.get(page_of(mp)).data)
    (note,) = page.select("#email .bounced-address")
    assert "came back 2 times" in text(note) and "5.1.1" in text(note)


def test_saving_a_corrected_email_clears_the_flag(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    old = mp.email.lower()
    bounce_twice(session, old, mp.id)
    status, soup = post_correction(client, mp, "email", "paul.connors.new@parl.gc.ca", "bounced")
    assert status == 200
    assert soup.select("#email .bounced-address") == []
    session.expire_all()
    row = session.get(BouncedAddress, old)
    assert row is not None and row.flagged_at is None and row.bounces == 2
    assert parse(client.get(INDEX).data).select("ul.bounced-addresses li") == []


def test_other_leads_pages_do_not_show_it_before_two_bounces(
    client: FlaskClient, lead: User, session: Session
) -> None:
    mp = member(session)
    bounces.count_address(session, mp.email.lower(), mp.id, "5.1.1", WHEN, 2)
    session.commit()
    assert parse(client.get(page_of(mp)).data).select("#email .bounced-address") == []
