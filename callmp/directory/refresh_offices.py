"""The offices part of a refresh: the House's "Addresses for current members" page against
the offices the database holds.

The page names members only (``Last, First``), so its members are matched by name to a
House person id (of the data, or of the members export read with it); an unmatched name is
a refusal. Offices are matched on postal code and street; an office whose address changed
but whose phone did not has moved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from callmp.directory.corrections import same_value
from callmp.directory.house_addresses import AddressEntry, OfficeRecord
from callmp.directory.house_sources import MemberRecord
from callmp.directory.refresh_members import (
    Seating,
    check_correction,
    normalise_riding_name,
    source_tag,
)
from callmp.directory.refresh_rows import Change, RefreshDiff
from callmp.models import Office, OfficeKind, Person

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_TOLL_FREE = ("+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888")
#: Office labels as the shipped data writes them (English, French).
LABELS = {
    "hill": ("Parliament Hill office", "Bureau de la Colline du Parlement"),
    "main": ("Constituency office (main)", "Bureau de circonscription (principal)"),
    "constituency": ("Constituency office", "Bureau de circonscription"),
}


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


def _office_text(office: Office | OfficeRecord) -> str:
    street = f"{office.street}, " if office.street else ""
    return f"{street}{office.city} {office.postal_code}".strip()


def _office_key(office: Office | OfficeRecord) -> tuple[str, str]:
    return (office.postal_code.replace(" ", "").upper(), normalise_riding_name(office.street))


def _same_phone(first: str, second: str) -> bool:
    if not first or not second:
        return first == second
    return same_value("phone", first, second)


@dataclass(frozen=True)
class _Context:
    """What every office row of one refresh shares."""

    diff: RefreshDiff
    as_of: date | None
    zones: dict[int, str]  # time zone by FED

    @property
    def stamp(self) -> dict[str, Any]:
        return {"source": source_tag("hoc_addresses_page", self.as_of), "as_of": self.as_of}


def _new_office(record: OfficeRecord, pid: int, fed: int | None, ctx: _Context) -> Change:
    """A new office of the member ``pid`` (its position is chosen when applied)."""
    label = "hill" if record.kind == "hill" else ("main" if record.is_main else "constituency")
    values: dict[str, Any] = {
        "kind": record.kind,
        "is_main": record.is_main,
        "label_en": LABELS[label][0],
        "label_fr": LABELS[label][1],
        "street": record.street,
        "city": record.city,
        "province_abbr": record.province_abbr,
        "postal_code": record.postal_code,
        "phone": record.phone,
        "phone_raw": record.phone_raw,
        "toll_free": record.phone if record.phone.startswith(_TOLL_FREE) else "",
        "fax": record.fax,
        "time_zone": ctx.zones.get(fed or 0, "America/Toronto"),
        "issues": f"note_in_street:{record.note}" if record.note else "",
    }
    return Change("offices", None, values | ctx.stamp, person=pid)


def _numbers(
    label: str,
    old: Office,
    new: OfficeRecord,
    who: tuple[int | None, int | None, str],
    ctx: _Context,
) -> None:
    # A lead's correction overwrote the office's phone; the data's own value is kept on the
    # correction, and that is what the House's number is compared with (and updated).
    correction = old.correction("phone")
    before = correction.shipped_value if correction else (old.phone or old.phone_raw)
    after = new.phone or new.phone_raw
    if not _same_phone(before, after):
        if correction is not None:
            # As published, like the shipped data's value (see data_import).
            published = new.phone_raw or new.phone
            change = Change("contact_corrections", correction.id, {"shipped_value": published})
        else:
            toll_free = new.phone if new.phone.startswith(_TOLL_FREE) else ""
            values = {"phone": new.phone, "phone_raw": new.phone_raw, "toll_free": toll_free}
            change = Change("offices", old.id, values | ctx.stamp)
        detail = f"{label} phone {before or '-'} -> {after or '-'}"
        ctx.diff.add("phone_change", who, detail, change)
    if correction is not None:
        checked = check_correction(correction, after, ctx.as_of, f"{label} phone", ctx.diff)
        if checked is not None:
            ctx.diff.add("correction", who, *checked)
    if old.fax != new.fax:
        change = Change("offices", old.id, {"fax": new.fax} | ctx.stamp)
        ctx.diff.add(
            "phone_change", who, f"{label} fax {old.fax or '-'} -> {new.fax or '-'}", change
        )


def _main_values(office: Office, record: OfficeRecord, entry: AddressEntry) -> dict[str, Any]:
    """The main-office flag and labels when the page marks another office as the main one
    (nothing when the page marks no single main office: the 2023 page sometimes omits it)."""
    if sum(o.is_main for o in entry.offices) != 1 or office.is_main == record.is_main:
        return {}
    label = LABELS["main" if record.is_main else "constituency"]
    return {"is_main": record.is_main, "label_en": label[0], "label_fr": label[1]}


def _diff_offices(person: Person, fed: int | None, entry: AddressEntry, ctx: _Context) -> None:
    pid = person.ourcommons_person_id or 0
    who = (fed, person.ourcommons_person_id, person.full_name)
    hill = next((o for o in person.offices if o.kind == OfficeKind.hill), None)
    if hill is not None:
        _numbers("Hill office", hill, entry.hill or OfficeRecord(kind="hill"), who, ctx)
    elif entry.hill is not None:
        detail = f"Hill office ({entry.hill.phone_raw or 'no phone'})"
        ctx.diff.add("office_new", who, detail, _new_office(entry.hill, pid, fed, ctx))
    old = [o for o in person.offices if o.kind == OfficeKind.constituency]
    new = list(entry.offices)
    for office in list(old):
        match = next((n for n in new if _office_key(n) == _office_key(office)), None)
        if match is not None:
            _numbers(f"office {_office_text(office)}", office, match, who, ctx)
            if main := _main_values(office, match, entry):
                state = "now" if match.is_main else "no longer"
                detail = f"{_office_text(office)} is {state} the main office"
                change = Change("offices", office.id, main | ctx.stamp)
                ctx.diff.add("main_office_change", who, detail, change)
            old.remove(office)
            new.remove(match)
    for office in list(old):
        moved = next((n for n in new if office.phone and n.phone == office.phone), None)
        if moved is not None:
            values = {
                "street": moved.street,
                "city": moved.city,
                "province_abbr": moved.province_abbr,
                "postal_code": moved.postal_code,
            }
            values |= _main_values(office, moved, entry)
            change = Change("offices", office.id, values | ctx.stamp)
            detail = f"{_office_text(office)} -> {_office_text(moved)}"
            ctx.diff.add("office_moved", who, detail, change)
            old.remove(office)
            new.remove(moved)
    for office in old:
        detail = _office_text(office)
        if office.corrections:
            detail += " (its corrections go with it)"
        ctx.diff.add("office_removed", who, detail, Change("offices", office.id, delete=True))
    for record in new:
        detail = f"{_office_text(record)} ({record.phone_raw or 'no phone'})"
        ctx.diff.add("office_new", who, detail, _new_office(record, pid, fed, ctx))


def _all_new(entry: AddressEntry, pid: int, fed: int, ctx: _Context) -> None:
    """Every office of a member the refresh seats and the database does not hold."""
    who = (fed, pid, f"{entry.first_name} {entry.last_name}")
    if entry.hill is not None:
        detail = f"Hill office ({entry.hill.phone_raw or 'no phone'})"
        ctx.diff.add("office_new", who, detail, _new_office(entry.hill, pid, fed, ctx))
    # The main office first: it takes the first position, as in the shipped data.
    for record in sorted(entry.offices, key=lambda o: not o.is_main):
        detail = f"{_office_text(record)} ({record.phone_raw or 'no phone'})"
        ctx.diff.add("office_new", who, detail, _new_office(record, pid, fed, ctx))


def diff_addresses(
    entries: list[AddressEntry],
    members: list[MemberRecord] | None,
    people: dict[int, Person],
    seating: Seating,
    as_of: date | None,
    zones: dict[int, str],
    diff: RefreshDiff,
) -> None:
    """Add the addresses page's rows (offices new, moved, removed; numbers) to ``diff``."""
    ctx = _Context(diff, as_of, zones)
    by_name: dict[str, int] = {}
    for known, holder in people.items():
        for key in _name_keys(holder.last_name, holder.first_name):
            by_name.setdefault(key, known)
    for member in members or []:
        if member.person_id is not None:
            for key in _name_keys(member.last_name, member.first_name):
                by_name.setdefault(key, member.person_id)
    for entry in entries:
        keys = _name_keys(entry.last_name, entry.first_name)
        pid = next((by_name[k] for k in keys if k in by_name), None)
        if pid is None:
            diff.refusals.append(
                f"addresses page: {entry.name!r} matches no member of the data or the export"
            )
            continue
        if pid in seating.leaving:
            continue  # the export says they left: their offices no longer matter
        person = people.get(pid)
        if person is not None and (person.fed_num is not None or pid in seating.seated):
            _diff_offices(person, person.fed_num or seating.seated.get(pid), entry, ctx)
        elif person is None and pid in seating.seated:
            _all_new(entry, pid, seating.seated[pid], ctx)
