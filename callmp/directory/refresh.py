"""Compare the data the database holds with the House of Commons' own publications.

Members are joined on the House person id and ridings on the FED number, never on names:
the members export names constituencies only, so each name is mapped to a FED through the
ridings' official names (2023 English and French, and the House's current name); a name
that maps to no riding is a refusal, not a guess. The addresses page names members only
(``Last, First``), so its members are matched by name to a person id; an unmatched name is
a refusal too. Nothing here writes: the diff is for a person to read before applying.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callmp.directory import ministry, ministry_apply
from callmp.directory.corrections import same_value
from callmp.directory.house_addresses import AddressEntry, OfficeRecord
from callmp.directory.house_files import HouseSources
from callmp.directory.house_sources import MemberRecord, SourceError
from callmp.models import Office, OfficeKind, Person, Riding

#: The kinds of diff rows, in the order they are printed.
KINDS = (
    "new_member",
    "departure",
    "vacancy",
    "riding_change",
    "party_change",
    "office_new",
    "office_moved",
    "office_removed",
    "phone_change",
    "correction",
    "language_change",
    *ministry_apply.KINDS,
)
#: The export's caucus names where the shipped data writes the party differently.
CAUCUS_TO_PARTY = {"Green Party": "Green"}
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]+")
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`´]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_riding_name(name: str) -> str:
    """A riding name reduced for matching: no accents, one kind of dash and apostrophe."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("'", _DASHES.sub("-", text))
    text = re.sub(r"\s*-\s*", "-", text)
    return " ".join(text.split()).casefold()


def _name_keys(last: str, first: str) -> list[str]:
    """Keys for a person's name: full first name, then its first word (middle initials)."""

    def flat(text: str) -> str:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
        return _NOT_WORD.sub("", text)

    words = first.split()
    keys = [flat(last) + "|" + flat(first)]
    if len(words) > 1:
        keys.append(flat(last) + "|" + flat(words[0]))
    # The shipped data sometimes splits a name elsewhere ("Fares Al" / "Soud").
    keys.append(flat(first) + flat(last))
    return keys


@dataclass(frozen=True)
class DiffRow:
    """One difference between the database and the sources."""

    kind: str
    fed_num: int | None
    person_id: int | None
    name: str
    detail: str


@dataclass
class RefreshDiff:
    """What a refresh would change, and why it would be refused (if it would)."""

    rows: list[DiffRow] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[DiffRow]:
        """The rows of one kind."""
        return [row for row in self.rows if row.kind == kind]


def _riding_index(ridings: Iterable[Riding]) -> dict[str, int]:
    index: dict[str, int] = {}
    for riding in ridings:
        for name in (riding.name_en, riding.name_fr, riding.name_current):
            if name:
                index[normalise_riding_name(name)] = riding.fed_num
    return index


def _diff_members(
    members: list[MemberRecord],
    sitting: dict[int, Person],
    ridings: dict[str, int],
    diff: RefreshDiff,
) -> None:
    current = [m for m in members if m.to_date is None]
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
    if unmapped or len(source) != len(current):
        return  # a partial join would report every unmatched member as a departure
    for pid, (member, fed) in sorted(source.items(), key=lambda item: item[1][1]):
        person = sitting.get(pid)
        party = CAUCUS_TO_PARTY.get(member.caucus, member.caucus)
        if person is None:
            since = member.from_date.isoformat() if member.from_date else "?"
            detail = f"{party}, sitting since {since}"
            diff.rows.append(DiffRow("new_member", fed, pid, member.full_name, detail))
            continue
        if person.fed_num != fed:
            detail = f"riding {person.fed_num} -> {fed}"
            diff.rows.append(DiffRow("riding_change", fed, pid, person.full_name, detail))
        if person.party != party:
            detail = f"{person.party or '-'} -> {party}"
            diff.rows.append(DiffRow("party_change", fed, pid, person.full_name, detail))
    seated = {fed for _, fed in source.values()}
    if len(seated) != len(source):
        shared = sorted(fed for fed in seated if sum(f == fed for _, f in source.values()) > 1)
        diff.refusals.append(f"members export: several sitting members for riding(s) {shared}")
    for pid, person in sorted(sitting.items(), key=lambda item: item[1].fed_num or 0):
        if pid not in source:
            diff.rows.append(
                DiffRow("departure", person.fed_num, pid, person.full_name, "not in the export")
            )
        if person.fed_num not in seated:
            diff.rows.append(
                DiffRow("vacancy", person.fed_num, None, "", f"seat of {person.full_name}")
            )


def _office_text(office: Office | OfficeRecord) -> str:
    street = f"{office.street}, " if office.street else ""
    return f"{street}{office.city} {office.postal_code}".strip()


def _office_key(office: Office | OfficeRecord) -> tuple[str, str]:
    return (office.postal_code.replace(" ", "").upper(), normalise_riding_name(office.street))


def _same_phone(first: str, second: str) -> bool:
    if not first or not second:
        return first == second
    return same_value("phone", first, second)


def _diff_offices(person: Person, entry: AddressEntry, diff: RefreshDiff) -> None:
    def add(kind: str, detail: str) -> None:
        diff.rows.append(
            DiffRow(kind, person.fed_num, person.ourcommons_person_id, person.full_name, detail)
        )

    def numbers(label: str, old: Office, new: OfficeRecord) -> None:
        # A lead's correction overwrote the office's phone; the data's own value is kept
        # on the correction, and that is what the House's number is compared with.
        correction = old.correction("phone")
        before = correction.shipped_value if correction else old.phone
        after = new.phone or new.phone_raw
        if not _same_phone(before, after):
            add("phone_change", f"{label} phone {before or '-'} -> {after or '-'}")
        if correction is not None:
            verdict = "agrees" if _same_phone(correction.value, after) else "disagrees"
            add("correction", f"{label} phone corrected to {correction.value}: the House {verdict}")
        if old.fax != new.fax:
            add("phone_change", f"{label} fax {old.fax or '-'} -> {new.fax or '-'}")

    hill = next((o for o in person.offices if o.kind == OfficeKind.hill), None)
    if hill is not None:
        numbers("Hill office", hill, entry.hill or OfficeRecord(kind="hill"))
    old = [o for o in person.offices if o.kind == OfficeKind.constituency]
    new = list(entry.offices)
    for office in list(old):
        match = next((n for n in new if _office_key(n) == _office_key(office)), None)
        if match is not None:
            numbers(f"office {_office_text(office)}", office, match)
            old.remove(office)
            new.remove(match)
    for office in list(old):
        moved = next((n for n in new if office.phone and n.phone == office.phone), None)
        if moved is not None:
            add("office_moved", f"{_office_text(office)} -> {_office_text(moved)}")
            old.remove(office)
            new.remove(moved)
    for office in old:
        add("office_removed", _office_text(office))
    for record in new:
        add("office_new", f"{_office_text(record)} ({record.phone_raw or 'no phone'})")


def _diff_addresses(
    entries: list[AddressEntry],
    members: list[MemberRecord] | None,
    people: list[Person],
    diff: RefreshDiff,
) -> None:
    by_name: dict[str, int] = {}
    for person in people:
        if person.ourcommons_person_id is not None:
            for key in _name_keys(person.last_name, person.first_name):
                by_name.setdefault(key, person.ourcommons_person_id)
    for member in members or []:
        if member.person_id is not None:
            for key in _name_keys(member.last_name, member.first_name):
                by_name.setdefault(key, member.person_id)
    by_pid = {p.ourcommons_person_id: p for p in people if p.ourcommons_person_id is not None}
    for entry in entries:
        keys = _name_keys(entry.last_name, entry.first_name)
        pid = next((by_name[k] for k in keys if k in by_name), None)
        if pid is None:
            diff.refusals.append(
                f"addresses page: {entry.name!r} matches no member of the data or the export"
            )
            continue
        member_row = by_pid.get(pid)
        if member_row is not None and member_row.fed_num is not None:
            _diff_offices(member_row, entry, diff)


def compute_diff(session: Session, sources: HouseSources) -> RefreshDiff:
    """The differences between the database and ``sources``, with any refusal reasons."""
    diff = RefreshDiff()
    ridings = _riding_index(session.scalars(select(Riding)))
    people = list(
        session.scalars(
            select(Person)
            .where(Person.ourcommons_person_id.is_not(None))
            .options(selectinload(Person.offices))
        )
    )
    sitting = {
        p.ourcommons_person_id: p
        for p in people
        if p.ourcommons_person_id is not None and p.fed_num is not None
    }
    if sources.members is not None:
        _diff_members(sources.members, sitting, ridings, diff)
    if sources.addresses is not None:
        _diff_addresses(sources.addresses, sources.members, people, diff)
    by_pid = {p.ourcommons_person_id: p for p in people}
    for profile in sources.profiles:
        person = by_pid.get(profile.person_id)
        if person is None:
            diff.refusals.append(f"profile page {profile.person_id}: no such member")
        elif person.preferred_language != profile.preferred_language:
            before, after = person.preferred_language or "-", profile.preferred_language or "-"
            diff.rows.append(
                DiffRow(
                    "language_change",
                    person.fed_num,
                    profile.person_id,
                    person.full_name,
                    f"{before} -> {after}",
                )
            )
    if sources.ministries:
        _diff_ministry(session, sources.ministries, sources.members, diff)
    order = {kind: n for n, kind in enumerate(KINDS)}
    diff.rows.sort(key=lambda r: (order[r.kind], r.fed_num or 0, r.person_id or 0, r.detail))
    return diff


def _diff_ministry(
    session: Session,
    lists: list[ministry.MinistryList],
    members: list[MemberRecord] | None,
    diff: RefreshDiff,
) -> None:
    """Ministers in and out and new portfolios (see ``ministry_apply``); members the same
    refresh adds count as known."""
    try:
        current = ministry.current_ministers(lists, "hoc_ministries_fr")
    except SourceError as error:
        diff.refusals.append(str(error))
        return
    incoming = {m.person_id for m in members or [] if m.person_id and m.to_date is None}
    found = ministry_apply.diff_ministry(session, current, incoming)
    diff.refusals.extend(found.refusals)
    diff.rows.extend(DiffRow(r.kind, r.fed_num, r.person_id, r.name, r.detail) for r in found.rows)


def format_diff(diff: RefreshDiff) -> str:
    """The diff as readable lines: refusals first, then one section per kind of change."""
    lines: list[str] = []
    if diff.refusals:
        lines.append(f"REFUSED ({len(diff.refusals)} problems):")
        lines.extend(f"  {reason}" for reason in diff.refusals)
    for kind in KINDS:
        rows = diff.of(kind)
        if rows:
            lines.append(f"{kind.replace('_', ' ')} ({len(rows)}):")
            for row in rows:
                who = " ".join(
                    part
                    for part in (
                        str(row.fed_num or ""),
                        row.name,
                        f"(#{row.person_id})" if row.person_id else "",
                    )
                    if part
                )
                lines.append(f"  {who}: {row.detail}")
    if not diff.rows and not diff.refusals:
        lines.append("no differences")
    return "\n".join(lines)
