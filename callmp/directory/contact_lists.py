"""What the contact-data screens list: MPs found by a search, and the active corrections.

Domain code: no Flask. Read-only queries.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callmp.directory.corrections import agrees
from callmp.models import ContactCorrection, Office, Person, Riding


def active_list(session: Session, limit: int = 500) -> list[ContactCorrection]:
    """Active corrections, newest first."""
    query = (
        select(ContactCorrection)
        .where(ContactCorrection.active.is_(True))
        .order_by(ContactCorrection.created_at.desc(), ContactCorrection.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def fold(text: str) -> str:
    """``text`` in lower case without accents or extra spaces, for searching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_DASHES)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-"})


def search_members(session: Session, query: str, limit: int = 50) -> list[Person]:
    """Sitting MPs whose name, riding name or riding number matches ``query`` (any accents)."""
    wanted = fold(query)
    if not wanted:
        return []
    members = session.scalars(
        select(Person)
        .join(Riding, Person.fed_num == Riding.fed_num)
        .options(selectinload(Person.riding))
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    found = []
    for person in members:
        riding = person.riding
        haystack = [person.full_name, f"{person.first_name} {person.last_name}"]
        if riding is not None:
            haystack += [str(riding.fed_num), riding.name_en, riding.name_fr, riding.name_current]
        if any(wanted in fold(item) for item in haystack):
            found.append(person)
            if len(found) >= limit:
                break
    return found


@dataclass(frozen=True)
class CorrectionRow:
    """An active correction with whose data it corrects and whether the data now agrees."""

    correction: ContactCorrection
    person: Person
    office: Office | None
    agrees: bool


@dataclass(frozen=True)
class Overview:
    """The contact-data start page: search results and the active corrections."""

    query: str
    matches: list[Person]
    active: list[CorrectionRow]


def overview(session: Session, query: str = "", limit: int = 500) -> Overview:
    """MPs matching ``query`` (none for an empty one) and the newest active corrections."""
    found = active_list(session, limit)
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({c.person_id for c in found})))
    }
    office_ids = {c.office_id for c in found if c.office_id is not None}
    offices = {o.id: o for o in session.scalars(select(Office).where(Office.id.in_(office_ids)))}
    rows = [
        CorrectionRow(
            correction=c,
            person=people[c.person_id],
            office=offices.get(c.office_id) if c.office_id is not None else None,
            agrees=agrees(c),
        )
        for c in found
    ]
    return Overview(query=query, matches=search_members(session, query), active=rows)
