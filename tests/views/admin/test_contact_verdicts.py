"""What a refresh said about a lead's correction, on the contact-data pages (EN and FR)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.directory import corrections, house_files, refresh_apply
from callmp.models import OfficeKind, Person, Role, User
from tests.directory.test_refresh_cli import newer_page
from tests.support.html import parse

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _corrected_then_refreshed(session: Session, tmp_path: Path, value: str) -> Person:
    """Aboultaif's Hill phone corrected to ``value``, then a refresh whose page gives
    613-992-2222 for it."""
    mp = session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
    hill = next(o for o in mp.offices if o.kind == OfficeKind.hill)
    corrections.correct(session, None, mp, "phone", value, office=hill)
    sources = house_files.read_sources(newer_page(tmp_path))
    refresh_apply.apply_diff(session, sources, now=NOW)
    session.commit()
    return mp


def _verdicts(client: FlaskClient, url: str) -> list[tuple[str, str]]:
    soup = parse(client.get(url).data)
    # Collapse the template's layout only: a non-breaking space is part of the French text.
    return [
        (str(s["data-verdict"]), re.sub(r"[ \t\r\n]+", " ", s.get_text()).strip())
        for s in soup.select(".verdict")
    ]


def test_the_pages_say_the_house_gives_another_value(
    client: FlaskClient, session: Session, login_as: Callable[..., User], tmp_path: Path
) -> None:
    login_as(Role.lead)
    mp = _corrected_then_refreshed(session, tmp_path, "613-992-1111")
    said = "The House of Commons gives another value: 613-992-2222 (data of October 1, 2026)."
    assert _verdicts(client, "/admin/contacts") == [("disagrees", said)]
    assert _verdicts(client, f"/admin/contacts/people/{mp.id}") == [("disagrees", said)]
    french = _verdicts(client, f"/admin/contacts/people/{mp.id}?lang=fr")
    assert french == [
        (
            "disagrees",
            "La Chambre des communes donne une autre valeur\u00a0: 613-992-2222 "
            "(données du 1 octobre 2026).",
        )
    ]


def test_the_pages_say_the_house_now_agrees(
    client: FlaskClient, session: Session, login_as: Callable[..., User], tmp_path: Path
) -> None:
    login_as(Role.lead)
    mp = _corrected_then_refreshed(session, tmp_path, "613-992-2222")
    assert _verdicts(client, f"/admin/contacts/people/{mp.id}") == [
        ("agrees", "The House of Commons now agrees (data of October 1, 2026).")
    ]
    assert _verdicts(client, "/admin/contacts?lang=fr") == [
        (
            "agrees",
            "La Chambre des communes donne maintenant la même valeur (données du 1 octobre 2026).",
        )
    ]


def test_no_verdict_before_any_refresh(
    client: FlaskClient, session: Session, login_as: Callable[..., User]
) -> None:
    login_as(Role.lead)
    mp = session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
    hill = next(o for o in mp.offices if o.kind == OfficeKind.hill)
    corrections.correct(session, None, mp, "phone", "613-992-1111", office=hill)
    session.commit()
    assert _verdicts(client, f"/admin/contacts/people/{mp.id}") == []
