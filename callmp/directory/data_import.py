"""Import the shipped data (data/*.csv) into the database, updating rows in place.

Fields a campaign lead corrected (``callmp.directory.corrections``) keep the corrected value; the
newly shipped value goes into the correction's ``shipped_value`` so staff can see when the
data agrees.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import ContactCorrection, Office, OfficeKind, Person, Riding

HOC_SOURCE_PREFIX = "hoc_"
#: Columns copied as they are from mps.csv and offices.csv onto the models.
MEMBER_TEXT_COLUMNS = (
    "honorific",
    "full_name",
    "first_name",
    "last_name",
    "party",
    "email",
    "email_source",
    "photo_url",
    "profile_url",
    "preferred_language",
    "preferred_language_source",
    "source",
)
OFFICE_TEXT_COLUMNS = (
    "label_en",
    "label_fr",
    "street",
    "city",
    "province_abbr",
    "postal_code",
    "phone",
    "phone_raw",
    "toll_free",
    "fax",
    "time_zone",
    "source",
    "issues",
)


@dataclass
class ImportReport:
    """How many rows of each kind were created, updated or left unchanged."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        """Add one row of ``kind`` to ``outcome``."""
        bucket: dict[str, int] = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1

    def summary(self) -> str:
        """One line per outcome, for the CLI."""
        parts = []
        for outcome in ("created", "updated", "unchanged", "removed"):
            bucket: dict[str, int] = getattr(self, outcome)
            if bucket:
                parts.append(
                    outcome + ": " + ", ".join(f"{k} {v}" for k, v in sorted(bucket.items()))
                )
        return "; ".join(parts) or "nothing to do"


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a UTF-8 CSV file as dicts."""
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _active_corrections(session: Session) -> dict[tuple[int, int | None, str], ContactCorrection]:
    """Active corrections by (person id, office id or None, field)."""
    found = session.scalars(select(ContactCorrection).where(ContactCorrection.active.is_(True)))
    return {(c.person_id, c.office_id, c.field): c for c in found}


def _note_shipped(correction: ContactCorrection, shipped: str, report: ImportReport) -> None:
    """Record what the data now ships for a field a lead corrected."""
    if correction.shipped_value != shipped:
        correction.shipped_value = shipped
        report.count("corrections", "updated")


def _date(value: str) -> date | None:
    """An ISO date, or None for an empty cell."""
    return date.fromisoformat(value) if value else None


def import_ridings(session: Session, data_dir: Path, report: ImportReport) -> None:
    """Upsert the 343 ridings from ridings.csv and the vacancy notes from mps.csv."""
    previous = {int(r["fed_num"]): r["previous_member"] for r in read_csv(data_dir / "mps.csv")}
    existing = {r.fed_num: r for r in session.scalars(select(Riding))}
    for row in read_csv(data_dir / "ridings.csv"):
        fed_num = int(row["fed_num"])
        values = {
            "name_en": row["name_en"],
            "name_fr": row["name_fr"],
            "name_current": row["name_current"] or row["name_en"],
            "name_current_fr": row.get("name_current_fr", ""),
            "province_code": int(row["province_code"]),
            "province_abbr": row["province_abbr"],
            "province_en": row["province_en"],
            "province_fr": row["province_fr"],
            "time_zone": row["time_zone"],
            "time_zone_note": row["time_zone_note"],
            "previous_member": previous.get(fed_num, ""),
        }
        riding = existing.get(fed_num)
        if riding is None:
            session.add(Riding(fed_num=fed_num, **values))
            report.count("ridings", "created")
        elif _apply(riding, values):
            report.count("ridings", "updated")
        else:
            report.count("ridings", "unchanged")
    session.flush()


def import_members(session: Session, data_dir: Path, report: ImportReport) -> dict[int, Person]:
    """Upsert sitting MPs by House of Commons person id; MPs who left lose their seat."""
    rows = [r for r in read_csv(data_dir / "mps.csv") if r["seat_status"] == "occupied"]
    seat_of = {int(r["ourcommons_person_id"]): int(r["fed_num"]) for r in rows}
    existing = {
        p.ourcommons_person_id: p
        for p in session.scalars(select(Person).where(Person.ourcommons_person_id.is_not(None)))
        if p.ourcommons_person_id is not None
    }
    # Free every seat that changes hands first, so the unique seat key never clashes.
    for person_id, person in existing.items():
        if person.fed_num is not None and seat_of.get(person_id) != person.fed_num:
            person.fed_num = None
            report.count("seats", "removed")
    session.flush()
    corrected = _active_corrections(session)
    people: dict[int, Person] = {}
    for row in rows:
        person_id = int(row["ourcommons_person_id"])
        # Files from before a column existed read as empty (unknown) there.
        values: dict[str, Any] = {c: row.get(c, "") for c in MEMBER_TEXT_COLUMNS}
        values |= {
            "fed_num": int(row["fed_num"]),
            "email_derived": row["email_derived"] == "1",
            "as_of": _date(row["roster_as_of"]),
        }
        found = existing.get(person_id)
        fix = corrected.get((found.id, None, "email")) if found is not None else None
        if fix is not None:
            _note_shipped(fix, row["email"], report)
            values |= {"email": fix.value, "email_derived": False}
        if found is None:
            found = Person(ourcommons_person_id=person_id, **values)
            session.add(found)
            report.count("members", "created")
        elif _apply(found, values):
            report.count("members", "updated")
        else:
            report.count("members", "unchanged")
        people[person_id] = found
    session.flush()
    return people


def _keep_office_corrections(
    office: Office,
    row: dict[str, str],
    values: dict[str, Any],
    corrected: dict[tuple[int, int | None, str], ContactCorrection],
    report: ImportReport,
) -> None:
    """Keep a corrected phone or hours in ``values``, noting what the data ships."""
    phone = corrected.get((office.person_id, office.id, "phone"))
    if phone is not None:
        _note_shipped(phone, row["phone_raw"] or row["phone"], report)
        values |= {"phone": office.phone, "phone_raw": office.phone_raw}
    hours = corrected.get((office.person_id, office.id, "hours"))
    if hours is not None:
        _note_shipped(hours, row.get("hours", ""), report)
        values.pop("hours", None)


def import_offices(
    session: Session, data_dir: Path, people: dict[int, Person], report: ImportReport
) -> None:
    """Upsert MP offices by (person, kind, position); drop shipped offices no longer listed."""
    seen: set[tuple[int, str, int]] = set()
    existing = {
        (o.person_id, str(o.kind), o.position): o
        for o in session.scalars(
            select(Office)
            .join(Person)
            .where(
                Person.ourcommons_person_id.is_not(None),
                Office.source.startswith(HOC_SOURCE_PREFIX),
            )
        )
    }
    corrected = _active_corrections(session)
    for row in read_csv(data_dir / "offices.csv"):
        person = people.get(int(row["ourcommons_person_id"]))
        if person is None:
            continue
        key = (person.id, row["office_type"], int(row["position"]))
        seen.add(key)
        values: dict[str, Any] = {c: row[c] for c in OFFICE_TEXT_COLUMNS}
        values |= {"is_main": row["is_main"] == "1", "as_of": _date(row["as_of"])}
        if "hours" in row:  # not shipped yet; read when the data gains the column
            values["hours"] = row["hours"]
        office = existing.get(key)
        if office is not None:
            _keep_office_corrections(office, row, values, corrected, report)
        if office is None:
            session.add(
                Office(person_id=person.id, kind=OfficeKind(key[1]), position=key[2], **values)
            )
            report.count("offices", "created")
        elif _apply(office, values):
            report.count("offices", "updated")
        else:
            report.count("offices", "unchanged")
    for key, office in existing.items():
        if key not in seen:
            session.delete(office)
            report.count("offices", "removed")
    session.flush()


def import_all(session: Session, data_dir: Path) -> ImportReport:
    """Import ridings, members and offices; safe to run again (rows update in place)."""
    report = ImportReport()
    import_ridings(session, data_dir, report)
    people = import_members(session, data_dir, report)
    import_offices(session, data_dir, people, report)
    return report
