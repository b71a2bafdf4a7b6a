"""Custom people and their offices: two leads saving at once."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from callmp.campaigns import people_editing
from callmp.db import make_engine, make_session_factory
from callmp.models import Office, Person
from tests.factories import make_person

NEW_OFFICE = people_editing.OfficeData(label_en="Ottawa", phone="613-555-0150")


def test_two_leads_adding_an_office_at_once_get_a_conflict_not_a_crash(
    db_session: Session, database_url: str
) -> None:
    person = make_person(db_session)
    db_session.commit()
    data = people_editing.PersonData(full_name=person.full_name, offices=[NEW_OFFICE])
    assert person.offices == []  # the first lead's page is loaded: no office yet
    other_engine = make_engine(database_url)
    try:
        with make_session_factory(other_engine)() as other:
            people_editing.save(other, other.get(Person, person.id), data, None)
            other.commit()
        with pytest.raises(people_editing.PersonConflict) as raised:
            people_editing.save(db_session, person, data, None)
    finally:
        other_engine.dispose()
    assert raised.value.errors == {"offices": (people_editing.CONFLICT, {})}
    db_session.rollback()
    stored = db_session.get(Person, person.id)
    assert stored is not None
    assert [(o.label_en, o.position) for o in stored.offices] == [("Ottawa", 1)]
    assert db_session.query(Office).filter_by(person_id=person.id).count() == 1
