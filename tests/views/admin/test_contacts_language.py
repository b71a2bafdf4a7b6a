"""The MP's contact page says which language they prefer and where that came from."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.models import Person, Role, User
from tests.support.html import one, parse, text


def _line(client: FlaskClient, session: Session, person_id: int, lang: str) -> str:
    """The preferred-language line of House person ``person_id``'s contact page."""
    person = session.scalars(select(Person).where(Person.ourcommons_person_id == person_id)).one()
    response = client.get(f"/admin/contacts/people/{person.id}?lang={lang}")
    assert response.status_code == 200
    return text(one(parse(response.data), "p.preferred-language"))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Preferred language: English and French (House of Commons profile, August 9, 2025)"),
        (
            "fr",
            "Langue préférée : Anglais et français (profil de la Chambre des communes, "
            "9 août 2025)",
        ),
    ],
)
def test_a_language_from_a_profile_page_shows_the_page_and_its_date(
    client: FlaskClient,
    session: Session,
    login_as: Callable[..., User],
    lang: str,
    expected: str,
) -> None:
    login_as(Role.lead)
    assert _line(client, session, 89156, lang) == expected


def test_a_member_with_no_official_source_is_unknown(
    client: FlaskClient, session: Session, login_as: Callable[..., User]
) -> None:
    login_as(Role.lead)
    nguyen = 123192  # no saved profile page in the data
    assert _line(client, session, nguyen, "en") == (
        "Preferred language: unknown (no official source yet)"
    )
    assert _line(client, session, nguyen, "fr") == (
        "Langue préférée : inconnue (aucune source officielle pour l'instant)"
    )


def test_a_language_from_another_source_names_it(
    client: FlaskClient, session: Session, login_as: Callable[..., User]
) -> None:
    login_as(Role.lead)
    session.execute(
        update(Person)
        .where(Person.ourcommons_person_id == 123192)
        .values(preferred_language="fr", preferred_language_source="office_email_2026-11")
    )
    session.commit()
    assert _line(client, session, 123192, "en") == (
        "Preferred language: French (source: office_email_2026-11)"
    )
