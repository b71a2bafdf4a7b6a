"""The members part of a refresh: who sits where (members export), and what each member's
profile page says (preferred language, email).

Members are joined on the House person id and ridings on the FED number, never on names:
the export names constituencies only, so each name is mapped to a FED through the ridings'
official names (2023 English and French, and the House's current name); a name that maps to
no riding is a refusal, not a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from callmp.directory.corrections import same_value
from callmp.directory.house_sources import MemberRecord, ProfileRecord, SourceError, language_code
from callmp.directory.refresh_rows import Change, RefreshDiff
from callmp.models import ContactCorrection, Person, Riding

#: The export's caucus names where the shipped data writes the party differently.
CAUCUS_TO_PARTY = {"Green Party": "Green"}
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]+")
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`´]")


def normalise_riding_name(name: str) -> str:
    """A riding name reduced for matching: no accents, one kind of dash and apostrophe."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("'", _DASHES.sub("-", text))
    text = re.sub(r"\s*-\s*", "-", text)
    return " ".join(text.split()).casefold()


def riding_index(ridings: Iterable[Riding]) -> dict[str, int]:
    """FED numbers by every official name of the riding, normalised."""
    index: dict[str, int] = {}
    for riding in ridings:
        for name in (riding.name_en, riding.name_fr, riding.name_current):
            if name:
                index[normalise_riding_name(name)] = riding.fed_num
    return index


@dataclass
class Seating:
    """Who the export seats: members taking a seat now, members leaving."""

    seated: dict[int, int] = field(default_factory=dict)  # House person id -> FED, new seats
    leaving: set[int] = field(default_factory=set)


def source_tag(prefix: str, as_of: date | None) -> str:
    """A row's ``source``: where its data came from and the date of that data."""
    return f"{prefix}_{as_of.isoformat() if as_of else 'undated'}"


def _person_values(member: MemberRecord, party: str) -> dict[str, Any]:
    return {
        "honorific": member.honorific,
        "full_name": member.full_name,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "party": party,
    }


def _joined(
    current: list[MemberRecord], ridings: dict[str, int], diff: RefreshDiff
) -> dict[int, tuple[MemberRecord, int]] | None:
    """Sitting members by person id with their FED; None when any of them cannot be joined."""
    if any(m.person_id is None for m in current):
        diff.refusals.append(
            "members export: no PersonId (an older export); members cannot be joined "
            "on the House person id"
        )
    unmapped = sorted(
        {m.constituency for m in current if normalise_riding_name(m.constituency) not in ridings}
    )
    for name in unmapped:
        diff.refusals.append(f"members export: constituency {name!r} maps to no riding")
    source: dict[int, tuple[MemberRecord, int]] = {}
    for member in current:
        fed = ridings.get(normalise_riding_name(member.constituency))
        if member.person_id is not None and fed is not None:
            source[member.person_id] = (member, fed)
    # A partial join would report every unmatched member as a departure.
    return None if unmapped or len(source) != len(current) else source


def diff_members(
    members: list[MemberRecord],
    people: dict[int, Person],
    ridings: dict[str, int],
    as_of: date | None,
    diff: RefreshDiff,
) -> Seating:
    """Add the export's rows (new members, departures, vacancies, changes) to ``diff``."""
    seating = Seating()
    source = _joined([m for m in members if m.to_date is None], ridings, diff)
    if source is None:
        return seating
    stamp = {"source": source_tag("hoc_members_export", as_of), "as_of": as_of}
    for pid, (member, fed) in sorted(source.items(), key=lambda item: item[1][1]):
        person = people.get(pid)
        party = CAUCUS_TO_PARTY.get(member.caucus, member.caucus)
        if person is None or person.fed_num is None:
            since = member.from_date.isoformat() if member.from_date else "?"
            values = _person_values(member, party) | stamp | {"fed_num": fed}
            if person is None:
                change = Change("people", None, values | {"ourcommons_person_id": pid}, person=pid)
            else:
                change = Change("people", person.id, values)
            who = (fed, pid, member.full_name)
            diff.add("new_member", who, f"{party}, sitting since {since}", change)
            seating.seated[pid] = fed
            continue
        who = (fed, pid, person.full_name)
        if person.fed_num != fed:
            change = Change("people", person.id, {"fed_num": fed} | stamp)
            diff.add("riding_change", who, f"riding {person.fed_num} -> {fed}", change)
        if person.party != party:
            change = Change("people", person.id, {"party": party} | stamp)
            diff.add("party_change", who, f"{person.party or '-'} -> {party}", change)
        if person.honorific != member.honorific:
            change = Change("people", person.id, {"honorific": member.honorific} | stamp)
            detail = f"{person.honorific or '-'} -> {member.honorific or '-'}"
            diff.add("honorific_change", who, detail, change)
    seats = [fed for _, fed in source.values()]
    if len(set(seats)) != len(seats):
        shared = sorted({fed for fed in seats if seats.count(fed) > 1})
        diff.refusals.append(f"members export: several sitting members for riding(s) {shared}")
    taken = set(seats)
    sitting = [p for p in people.values() if p.fed_num is not None]
    for person in sorted(sitting, key=lambda p: p.fed_num or 0):
        seat_holder = person.ourcommons_person_id
        if seat_holder is not None and seat_holder not in source:
            change = Change("people", person.id, {"fed_num": None} | stamp)
            gone: tuple[int | None, int | None, str] = (
                person.fed_num,
                seat_holder,
                person.full_name,
            )
            diff.add("departure", gone, "not in the export", change)
            seating.leaving.add(seat_holder)
        if person.fed_num not in taken and person.fed_num is not None:
            change = Change("ridings", person.fed_num, {"previous_member": person.full_name})
            diff.add("vacancy", (person.fed_num, None, ""), f"seat of {person.full_name}", change)
    return seating


def check_correction(
    correction: ContactCorrection, official: str, as_of: date | None, label: str, diff: RefreshDiff
) -> tuple[str, Change] | None:
    """The verdict row's detail and change for ``correction`` against the ``official`` value,
    or None when the last refresh already said the same of data of the same date."""
    verdict = (
        "agrees"
        if official and same_value(correction.field, correction.value, official)
        else "disagrees"
    )
    if (correction.data_verdict, correction.data_checked_on) == (verdict, as_of):
        return None
    detail = f"{label} corrected to {correction.value}: the House {verdict}"
    change = Change(
        "contact_corrections", correction.id, {"data_verdict": verdict, "data_checked_on": as_of}
    )
    return detail, change


def diff_profiles(
    profiles: list[ProfileRecord],
    dates: dict[int, date | None],
    people: dict[int, Person],
    seating: Seating,
    diff: RefreshDiff,
) -> None:
    """Add the profile pages' rows (preferred language, email) to ``diff``."""
    for profile in sorted(profiles, key=lambda p: p.person_id):
        pid, as_of = profile.person_id, dates.get(profile.person_id)
        person = people.get(pid)
        if person is None and pid not in seating.seated:
            diff.refusals.append(f"profile page {pid}: no such member")
            continue
        try:
            code = language_code(profile.preferred_language, f"profile page {pid}")
        except SourceError as error:
            diff.refusals.append(str(error))
            continue
        fed = person.fed_num if person is not None else seating.seated[pid]
        who = (fed, pid, person.full_name if person is not None else profile.name)

        before = person.preferred_language if person is not None else ""
        if before != code:
            tag = source_tag("hoc_profile", as_of)
            values = {"preferred_language": code, "preferred_language_source": tag}
            detail = f"{before or '-'} -> {code}"
            diff.add("language_change", who, detail, _person_change(person, pid, values))
        if profile.email:
            _diff_email(person, pid, profile.email, as_of, who, diff)


def _person_change(person: Person | None, pid: int, values: dict[str, Any]) -> Change:
    """A change of a person in the data, or of one the same refresh creates."""
    if person is None:
        return Change("people", None, values, person=pid)
    return Change("people", person.id, values)


def _diff_email(
    person: Person | None,
    pid: int,
    email: str,
    as_of: date | None,
    who: tuple[int | None, int | None, str],
    diff: RefreshDiff,
) -> None:
    correction = person.correction("email") if person is not None else None
    before = (
        correction.shipped_value if correction is not None else (person.email if person else "")
    )
    if not before or not same_value("email", before, email):
        if correction is not None:
            update = Change("contact_corrections", correction.id, {"shipped_value": email})
        else:
            tag = source_tag("hoc_profile", as_of)
            values = {"email": email, "email_source": tag, "email_derived": False}
            update = _person_change(person, pid, values)
        diff.add("email_change", who, f"email {before or '-'} -> {email}", update)
    if correction is not None:
        checked = check_correction(correction, email, as_of, "email", diff)
        if checked is not None:
            diff.add("correction", who, *checked)
