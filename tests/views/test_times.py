"""Times on staff pages: the account's zone, labelled, in the page's language."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp import audit
from callmp.models import Role, User
from callmp.views.times import local_moment, zone_named
from tests.support.html import one, parse, text

OTTAWA = ZoneInfo("America/Toronto")
WINTER = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)  # 9:00 EST
SUMMER = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)  # 10:00 EDT
OUTBOX_NAME = "letter-0123456789abcdef"


def spaced(shown: str) -> str:
    """``shown`` with Babel's and our no-break spaces as plain ones."""
    return " ".join(shown.split())


def test_a_moment_is_shown_on_the_zones_wall_clock_with_its_abbreviation() -> None:
    assert local_moment(WINTER, OTTAWA, "en_CA") == "2026-03-01, 9:00\u202fa.m.\u00a0EST"
    assert spaced(local_moment(SUMMER, OTTAWA, "en_CA")) == "2026-07-01, 10:00 a.m. EDT"
    newfoundland = ZoneInfo("America/St_Johns")
    assert spaced(local_moment(WINTER, newfoundland, "en_CA")) == "2026-03-01, 10:30 a.m. NST"


def test_a_moment_is_shown_in_french_with_the_french_abbreviation() -> None:
    assert spaced(local_moment(WINTER, OTTAWA, "fr_CA")) == "2026-03-01 09 h 00 HNE"
    assert spaced(local_moment(SUMMER, OTTAWA, "fr_CA")) == "2026-07-01 10 h 00 HAE"


def test_a_naive_moment_is_taken_as_utc_as_the_database_stores_it() -> None:
    naive = WINTER.replace(tzinfo=None)
    assert local_moment(naive, OTTAWA, "en_CA") == local_moment(WINTER, OTTAWA, "en_CA")


def test_utc_is_labelled_too() -> None:
    assert spaced(local_moment(WINTER, ZoneInfo("UTC"), "en_CA")).endswith("2:00 p.m. UTC")


def test_only_known_zones_are_named() -> None:
    assert zone_named("America/Halifax") == ZoneInfo("America/Halifax")
    assert zone_named("Mars/Olympus") is None
    assert zone_named("") is None
    assert zone_named(None) is None


def audit_time(client: FlaskClient, query: str = "") -> tuple[str, str]:
    """The first audit entry's time: (text shown, machine-readable value)."""
    cell = one(parse(client.get(f"/admin/audit{query}").data), "table.audit tbody time")
    return text(cell), str(cell["datetime"])


def test_staff_pages_show_times_in_the_accounts_zone(
    app: Flask,
    client: FlaskClient,
    session: Session,
    login_as: Callable[..., User],
) -> None:
    lead = login_as(Role.lead, time_zone="America/Vancouver")
    entry = audit.record(session, lead, "campaign.update", "edited")
    entry.at = WINTER
    session.commit()
    assert audit_time(client) == ("2026-03-01, 6:00 a.m. PST", "2026-03-01T14:00:00Z")
    assert audit_time(client, "?lang=fr") == ("2026-03-01 06 h 00 HNP", "2026-03-01T14:00:00Z")


def test_without_a_zone_of_its_own_an_account_sees_the_configured_zone(
    client: FlaskClient, session: Session, login_as: Callable[..., User]
) -> None:
    lead = login_as(Role.lead)
    entry = audit.record(session, lead, "campaign.update", "edited")
    entry.at = WINTER
    session.commit()
    assert audit_time(client)[0] == "2026-03-01, 9:00 a.m. EST"


def test_the_outbox_shows_when_each_message_was_written_in_the_accounts_zone(
    client: FlaskClient, outbox: Path, login_as: Callable[..., User]
) -> None:
    login_as(Role.organizer, time_zone="America/Halifax")
    outbox.mkdir(parents=True, exist_ok=True)
    message = outbox / f"{OUTBOX_NAME}.eml"
    message.write_bytes(b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Hi\r\n\r\nHello\r\n")
    os.utime(message, (WINTER.timestamp(), WINTER.timestamp()))
    page = parse(client.get("/dev/outbox").data)
    assert text(one(page, "table.outbox tbody time")) == "2026-03-01, 10:00 a.m. AST"
