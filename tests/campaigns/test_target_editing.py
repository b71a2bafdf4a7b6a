"""Finding MPs to target by name or riding number, and listing them to pick from."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns import target_editing
from callmp.models import Person, Riding


@pytest.mark.parametrize("query", ["²", "٣٥٠٠٢", "9" * 30, str(2**63)])
def test_find_mps_with_odd_digits_finds_no_one_and_does_not_crash(
    db_session: Session, query: str
) -> None:
    assert target_editing.find_mps(db_session, query) == []


def test_find_mps_by_riding_number(db_session: Session) -> None:
    found = target_editing.find_mps(db_session, "35002")
    assert [person.fed_num for person in found] == [35002]


def test_every_mp_lists_each_sitting_mp_as_their_own_record_says(db_session: Session) -> None:
    """The plain list the target editor reads matches the people and ridings as loaded,
    in order, a French name that falls back to the 2023 one included."""
    renamed = db_session.get(Riding, 35002)
    assert renamed is not None and renamed.name_fr
    renamed.name_current_fr = ""  # a new name with no known French form
    db_session.flush()
    mps = db_session.scalars(
        select(Person)
        .where(Person.fed_num.is_not(None))
        .order_by(Person.last_name, Person.first_name)
    ).all()
    listed = target_editing.every_mp(db_session)
    assert len(listed) == len(mps) > 300  # every seat but the vacant ones
    assert listed == [target_editing.ListedPerson.of(person) for person in mps]
    gallant = next(p for p in listed if p.fed_num == 35002)
    assert gallant.riding_name("fr") == renamed.name_fr
    assert gallant.riding_name("en") == renamed.name_current


def test_a_person_who_is_not_an_mp_is_listed_without_a_riding(db_session: Session) -> None:
    person = Person(first_name="Ada", last_name="Office", full_name="Ada Office", party="")
    db_session.add(person)
    db_session.flush()
    listed = target_editing.ListedPerson.of(person)
    assert (listed.fed_num, listed.riding_name("en"), listed.riding_name("fr")) == (None, "", "")
