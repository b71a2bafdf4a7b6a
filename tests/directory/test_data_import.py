"""The shipped data and its import: integrity, and that a second import changes nothing."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.config import REPO_ROOT
from callmp.directory import data_import
from callmp.models import Office, OfficeKind, Person, Riding

DATA = REPO_ROOT / "data"
PROVINCE_CODES = {10, 11, 12, 13, 24, 35, 46, 47, 48, 59, 60, 61, 62}
EMAIL = re.compile(r"^[a-z0-9.'-]+@parl\.gc\.ca$", re.IGNORECASE)
E164 = re.compile(r"^\+1[2-9]\d{9}$")


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_mps_csv_has_one_row_per_riding_including_vacant_seats() -> None:
    rows = _rows("mps.csv")
    feds = [int(r["fed_num"]) for r in rows]
    assert len(rows) == 343
    assert len(set(feds)) == 343
    assert all(f // 1000 in PROVINCE_CODES for f in feds)
    assert {int(r["fed_num"]) for r in _rows("ridings.csv")} == set(feds)
    statuses = [r["seat_status"] for r in rows]
    assert statuses.count("occupied") == 337
    assert statuses.count("vacant") == 6
    for row in rows:
        if row["seat_status"] == "vacant":
            assert row["full_name"] == "" and row["email"] == ""
        else:
            assert EMAIL.match(row["email"]), row["email"]


def test_derived_emails_are_flagged() -> None:
    derived = [r["full_name"] for r in _rows("mps.csv") if r["email_derived"] == "1"]
    assert sorted(derived) == sorted(
        ["Doly Begum", "Braeden Caley", "Daniel Gobeil", "Danielle Martin", "Tanveer Shahnawaz"]
    )


def test_offices_csv_numbers_are_e164_or_empty_and_never_invented() -> None:
    rows = _rows("offices.csv")
    sitting = {r["ourcommons_person_id"] for r in _rows("mps.csv") if r["ourcommons_person_id"]}
    assert {r["ourcommons_person_id"] for r in rows} == sitting
    for row in rows:
        for column in ("phone", "fax", "toll_free"):
            assert row[column] == "" or E164.match(row[column]), (column, row[column])
        assert row["source"] and row["as_of"]
    hill_without_phone = [r for r in rows if r["office_type"] == "hill" and not r["phone"]]
    assert len(hill_without_phone) == 5
    assert all(r["issues"] for r in hill_without_phone)


def test_import_loads_every_riding_member_and_office(db_session: Session) -> None:
    assert db_session.scalar(select(func.count()).select_from(Riding)) == 343
    sitting = select(func.count()).select_from(Person).where(Person.fed_num.is_not(None))
    assert db_session.scalar(sitting) == 337
    shipped_offices = (
        select(func.count()).select_from(Office).where(Office.kind != OfficeKind.other)
    )
    assert db_session.scalar(shipped_offices) == len(_rows("offices.csv"))


def test_import_twice_updates_in_place_and_duplicates_nothing(db_session: Session) -> None:
    before = {
        table: db_session.scalar(select(func.count()).select_from(table))
        for table in (Riding, Person, Office)
    }
    report = data_import.import_all(db_session, DATA)
    db_session.commit()
    assert report.created == {}
    assert report.updated == {}
    assert report.removed == {}
    assert report.unchanged == {
        "ridings": 343,
        "members": 337,
        "offices": len(_rows("offices.csv")),
    }
    after = {
        table: db_session.scalar(select(func.count()).select_from(table))
        for table in (Riding, Person, Office)
    }
    assert after == before


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    target.mkdir()
    for name in ("ridings.csv", "mps.csv", "offices.csv"):
        (target / name).write_bytes((DATA / name).read_bytes())
    return target


def _rewrite(path: Path, change: dict[str, dict[str, str]], key: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        row.update(change.get(row[key], {}))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_reimport_applies_changes_to_existing_rows(db_session: Session, tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    member = db_session.scalars(select(Person).where(Person.fed_num == 35100)).one()
    member_id = member.id
    # The member's party changes and the seat of 10001 falls vacant.
    _rewrite(data / "mps.csv", {"35100": {"party": "Independent"}}, "fed_num")
    _rewrite(
        data / "mps.csv",
        {"10001": {"seat_status": "vacant", "previous_member": "Paul Connors"}},
        "fed_num",
    )
    report = data_import.import_all(db_session, data)
    db_session.commit()
    assert report.updated.get("members") == 1
    db_session.expire_all()
    changed = db_session.get(Person, member_id)
    assert changed is not None and changed.party == "Independent"
    assert db_session.scalars(select(Person).where(Person.fed_num == 10001)).first() is None
    riding = db_session.get(Riding, 10001)
    assert riding is not None and riding.previous_member == "Paul Connors"
    assert report.removed.get("offices") == 2  # the departed MP's Hill and riding offices
