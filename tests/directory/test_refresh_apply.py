"""Applying a refresh: exactly the rows of the diff, one release, one audit entry, corrections
kept and marked; refused sources change nothing."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.db import Base
from callmp.directory import corrections, house_files, refresh, refresh_apply
from callmp.directory.house_files import HouseSources, SourceFile
from callmp.directory.house_sources import parse_members_xml
from callmp.models import AuditEntry, ContactCorrection, DataRelease, OfficeKind, Person, Riding

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
XML_2026 = HOUSE / "members_search_xml_2026-04_45th_memreps.xml"
PAGE_2026 = HOUSE / "members_addresses_page_2026-09-02_text-extract_dlpscan-rs.txt"
PAGE_2023 = HOUSE / "members_addresses_page_2023-10_browser-saved.html"
PROFILES = sorted(HOUSE.glob("member_profile_*_2025-08-09.html"))
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TABLES = ("people", "offices", "ridings", "contact_corrections")
Snapshot = dict[str, dict[Any, dict[str, Any]]]


def folder(tmp_path: Path, *files: Path) -> Path:
    """A folder holding copies of ``files`` (names kept: they carry the files' dates)."""
    target = tmp_path / "house"
    target.mkdir(exist_ok=True)
    for file in files:
        shutil.copy(file, target / file.name)
    return target


def snapshot(session: Session) -> Snapshot:
    """Every row of the tables a refresh may write, by primary key."""
    found: Snapshot = {}
    for name in TABLES:
        table = Base.metadata.tables[name]
        key = next(iter(table.primary_key.columns)).name
        found[name] = {row[key]: dict(row) for row in session.execute(select(table)).mappings()}
    return found


def differences(before: Snapshot, after: Snapshot) -> dict[str, dict[str, Any]]:
    """Per table: rows changed (with the columns that changed), created, removed."""
    found: dict[str, dict[str, Any]] = {}
    for name in TABLES:
        old, new = before[name], after[name]
        changed = {
            key: {column for column, value in row.items() if old[key][column] != value}
            for key, row in new.items()
            if key in old and row != old[key]
        }
        found[name] = {
            "changed": changed,
            "created": len(set(new) - set(old)),
            "removed": set(old) - set(new),
        }
    return found


def expected(diff: refresh.RefreshDiff) -> dict[str, dict[str, Any]]:
    """What the diff's rows say will be written, in the shape of :func:`differences`."""
    found: dict[str, dict[str, Any]] = {
        name: {"changed": {}, "created": 0, "removed": set()} for name in TABLES
    }
    new_people: set[int | None] = set()
    for change in (c for row in diff.rows for c in row.changes):
        bucket = found[change.table]
        if change.delete:
            bucket["removed"].add(change.row_id)
        elif change.row_id is None and change.table == "people":
            new_people.add(change.person)
        elif change.row_id is None:
            bucket["created"] += 1
        else:
            bucket["changed"].setdefault(change.row_id, set()).update(change.values)
    found["people"]["created"] = len(new_people)
    return found


def assert_exactly_the_diff(diff: refresh.RefreshDiff, before: Snapshot, after: Snapshot) -> None:
    """Only the rows of the diff changed, and only in the columns the diff names."""
    seen, wanted = differences(before, after), expected(diff)
    for name in TABLES:
        assert seen[name]["created"] == wanted[name]["created"], name
        assert seen[name]["removed"] == wanted[name]["removed"], name
        assert set(seen[name]["changed"]) == set(wanted[name]["changed"]), name
        for key, columns in seen[name]["changed"].items():
            assert columns <= wanted[name]["changed"][key], (name, key, columns)


def person(session: Session, pid: int) -> Person:
    """The person with House person id ``pid``."""
    return session.scalars(select(Person).where(Person.ourcommons_person_id == pid)).one()


def rows(diff: refresh.RefreshDiff, kind: str) -> set[tuple[int | None, int | None]]:
    """(riding, person id) of the rows of ``kind``."""
    return {(row.fed_num, row.person_id) for row in diff.of(kind)}


def test_april_export_with_september_page_and_profiles_gives_these_rows(
    db_session: Session, tmp_path: Path
) -> None:
    sources = house_files.read_sources(folder(tmp_path, XML_2026, PAGE_2026, *PROFILES))
    refused = refresh.compute_diff(db_session, sources)
    # The export (newest start 2026-04-13) is older than the loaded roster (2026-09-27).
    assert refused.refusals == [
        "members_search_xml_2026-04_45th_memreps.xml: data of 2026-04-13 is older than the "
        "data loaded (2026-09-27); it would undo later changes (--allow-older to apply it)"
    ]
    diff = refresh.compute_diff(db_session, sources, allow_older=True)
    assert diff.refusals == []
    assert [(n.kind, n.as_of, n.older) for n in diff.sources] == [
        ("addresses", date(2026, 9, 2), False),
        ("members", date(2026, 4, 13), True),
        ("profile", date(2025, 8, 9), False),
    ]
    assert diff.as_of == date(2025, 8, 9)
    assert rows(diff, "departure") == {(24018, 107294), (35007, 142763), (59022, 142764)}
    assert len(diff.of("new_member")) == 9
    assert (35015, 110354) in rows(diff, "new_member")
    # Larry Brock is seated again by the export, and the September page lists his offices.
    assert [(r.person_id, r.detail) for r in diff.of("office_new")] == [
        (110354, "3-108 St. George street, Brantford N3R 1V6 (519-754-4300)"),
        (110354, "Hill office (613-992-3118)"),
    ]
    for kind in ("vacancy", "riding_change", "party_change", "honorific_change"):
        assert diff.of(kind) == [], kind
    for kind in ("office_moved", "office_removed", "main_office_change", "phone_change"):
        assert diff.of(kind) == [], kind
    assert diff.of("email_change") == diff.of("correction") == []
    # Languages: the pages' values (Aboultaif's page says "English / French").
    pages = {89156: "en fr", 105340: "en", 123033: "en", 72029: "en", 110339: "en"}
    loaded = {pid: person(db_session, pid).preferred_language for pid in pages}
    changed = {pid for pid, code in pages.items() if loaded[pid] != code}
    assert {row.person_id for row in diff.of("language_change")} == changed
    counts = diff.counts()
    assert counts == {
        "new_member": 9,
        "departure": 3,
        "office_new": 2,
        **({"language_change": len(changed)} if changed else {}),
    }
    text = refresh.format_diff(diff)
    assert "OLDER than the loaded data (2026-09-27): allowed by --allow-older" in text


def test_applying_changes_exactly_the_rows_of_the_diff(db_session: Session, tmp_path: Path) -> None:
    sources = house_files.read_sources(folder(tmp_path, XML_2026, PAGE_2026, *PROFILES))
    diff = refresh.compute_diff(db_session, sources, allow_older=True)
    before = snapshot(db_session)
    releases = len(db_session.scalars(select(DataRelease)).all())
    report = refresh_apply.apply_diff(db_session, sources, now=NOW, allow_older=True)
    db_session.commit()
    assert report.diff.rows == diff.rows
    assert_exactly_the_diff(diff, before, snapshot(db_session))
    brock = person(db_session, 110354)
    assert (brock.fed_num, brock.party, brock.as_of) == (35015, "Conservative", date(2026, 4, 13))
    assert brock.source == "hoc_members_export_2026-04-13"
    hill = next(o for o in brock.offices if o.kind == OfficeKind.hill)
    assert (hill.phone, hill.position, hill.source) == (
        "+16139923118",
        1,
        "hoc_addresses_page_2026-09-02",
    )
    gobeil = person(db_session, 107294)  # departed: the row stays, without a seat
    assert gobeil.fed_num is None
    assert person(db_session, 100521).fed_num == 24018  # Richard Martel has it again
    aboultaif = person(db_session, 89156)
    assert (aboultaif.preferred_language, aboultaif.preferred_language_source) == (
        "en fr",
        "hoc_profile_2025-08-09",
    )
    release = db_session.scalars(select(DataRelease).order_by(DataRelease.id.desc())).first()
    assert release is not None and release.id == report.release.id
    assert len(db_session.scalars(select(DataRelease)).all()) == releases + 1
    assert (release.kind, release.as_of, release.loaded_at, release.user_label) == (
        "refresh",
        date(2025, 8, 9),
        NOW,
        "command line",
    )
    assert release.source.startswith("House of Commons: members export members_search_xml")
    assert "5 profile pages" in release.source
    assert release.summary == refresh.format_diff(diff)
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "data.refresh"))
    [entry] = entries.all()
    assert (entry.object_type, entry.object_id) == ("data_release", release.id)
    assert "new member 9, departure 3, office new 2" in entry.summary
    # The same files again: nothing left to change.
    again = refresh.compute_diff(db_session, sources, allow_older=True)
    assert (again.rows, again.refusals) == ([], [])
    assert refresh.format_diff(again).endswith("no differences")


def test_a_floor_crossing_a_move_and_a_departure_are_applied(db_session: Session) -> None:
    edited = []
    for member in parse_members_xml(XML_2026.read_bytes()):
        if member.person_id == 90964:  # Danielle Martin crosses the floor
            member = replace(member, caucus="Green Party")
        elif member.person_id == 89156:  # Ziad Aboultaif now sits for Terrebonne
            member = replace(member, constituency="Terrebonne", honorific="Hon.")
        elif member.person_id == 122753:  # Tatiana Auguste (Terrebonne) leaves
            continue
        edited.append(member)
    sources = HouseSources(
        members=edited, files=[SourceFile("members", "edited.xml", date(2026, 10, 1))]
    )
    diff = refresh.compute_diff(db_session, sources)
    assert diff.refusals == []
    before = snapshot(db_session)
    refresh_apply.apply_diff(db_session, sources, now=NOW)
    db_session.commit()
    assert_exactly_the_diff(diff, before, snapshot(db_session))
    aboultaif = person(db_session, 89156)
    assert (aboultaif.fed_num, aboultaif.honorific) == (24073, "Hon.")
    assert person(db_session, 122753).fed_num is None
    assert person(db_session, 90964).party == "Green"
    edmonton_manning = db_session.get(Riding, 48018)
    assert edmonton_manning is not None and edmonton_manning.member is None
    assert edmonton_manning.previous_member == "Ziad Aboultaif"


def test_corrections_are_kept_and_marked(db_session: Session, tmp_path: Path) -> None:
    aboultaif = person(db_session, 89156)
    hill = next(o for o in aboultaif.offices if o.kind == OfficeKind.hill)
    corrections.correct(db_session, None, aboultaif, "phone", "613-992-1111", office=hill)
    albas = person(db_session, 72029)
    main = next(o for o in albas.offices if o.kind == OfficeKind.constituency and o.is_main)
    corrections.correct(db_session, None, albas, "phone", "250-707-0000", office=main)
    corrections.correct(db_session, None, albas, "email", "dan.albas.mp@example.org")
    db_session.commit()
    # A newer page: Aboultaif's Hill number changes (not to the lead's), Albas's main
    # office now lists the number the lead found, and Larry Brock (gone) is no longer listed.
    text = PAGE_2026.read_text(encoding="utf-8")
    start = text.index("Brock, Larry\n")
    text = text[:start] + text[text.index("Brunelle-Duceppe, Alexis\n") :]
    text = text.replace("Telephone:  613-992-0946", "Telephone:  613-992-2222", 1)
    text = text.replace("V4T 0G7\nTelephone:  1-800-665-8711", "V4T 0G7\nTelephone:  250-707-0000")
    house = tmp_path / "house"
    house.mkdir()
    (house / "addresses_2026-10-01.txt").write_text(text, encoding="utf-8")
    shutil.copy(next(p for p in PROFILES if "dan-albas" in p.name), house)
    sources = house_files.read_sources(house)
    diff = refresh.compute_diff(db_session, sources)
    assert diff.refusals == []
    assert [(r.person_id, r.detail) for r in diff.of("correction")] == [
        (89156, "Hill office phone corrected to 613-992-1111: the House disagrees"),
        (72029, "email corrected to dan.albas.mp@example.org: the House disagrees"),
        (
            72029,
            "office 101-3731 Old Okanagan Hwy, West Kelowna V4T 0G7 phone corrected to "
            "250-707-0000: the House agrees",
        ),
    ]
    before = snapshot(db_session)
    refresh_apply.apply_diff(db_session, sources, now=NOW)
    db_session.commit()
    assert_exactly_the_diff(diff, before, snapshot(db_session))
    db_session.expire_all()
    assert (hill.phone_raw, main.phone_raw) == ("613-992-1111", "250-707-0000")  # kept
    assert albas.email == "dan.albas.mp@example.org"
    found = {
        (c.person_id, c.field): c
        for c in db_session.scalars(select(ContactCorrection).where(ContactCorrection.active))
    }
    on_hill = found[(aboultaif.id, "phone")]
    assert (on_hill.shipped_value, on_hill.data_verdict, on_hill.data_checked_on) == (
        "613-992-2222",
        "disagrees",
        date(2026, 10, 1),
    )
    on_main = found[(albas.id, "phone")]
    assert (on_main.shipped_value, on_main.data_verdict) == ("250-707-0000", "agrees")
    on_email = found[(albas.id, "email")]
    assert (on_email.shipped_value, on_email.data_verdict, on_email.data_checked_on) == (
        "dan.albas@parl.gc.ca",
        "disagrees",
        date(2025, 8, 9),
    )
    # Marked once: the same files again show nothing new.
    assert refresh.compute_diff(db_session, sources).rows == []


def test_the_2023_page_is_refused_as_older_and_stays_refused_with_allow_older(
    db_session: Session, tmp_path: Path
) -> None:
    sources = house_files.read_sources(folder(tmp_path, PAGE_2023))
    diff = refresh.compute_diff(db_session, sources)
    assert diff.refusals[0] == (
        "members_addresses_page_2023-10_browser-saved.html: data of 2023-10-01 is older than "
        "the data loaded (2026-09-02); it would undo later changes (--allow-older to apply it)"
    )
    allowed = refresh.compute_diff(db_session, sources, allow_older=True)
    # Allowed by date, the page still names 125 members of 2023 who are in neither the data
    # nor an export: members who left since. They cannot be joined, so it stays refused.
    assert not any("older" in reason for reason in allowed.refusals)
    gone = [
        r for r in allowed.refusals if r.endswith("matches no member of the data or the export")
    ]
    assert len(gone) == len(allowed.refusals) == 125
    assert "addresses page: 'Bennett, Carolyn' matches no member of the data or the export" in gone
    # What it would undo: addresses as the House wrote them in 2023 come back.
    moved = {r.person_id: r.detail for r in allowed.of("office_moved")}
    assert moved[109877] == (
        "E130-120 Torbay road, St. John's A1A 2G8 -> "
        "120 Torbay Road, Suite E130, St. John's A1A 2G8"
    )
    before = snapshot(db_session)
    with pytest.raises(refresh_apply.RefreshRefused):
        refresh_apply.apply_diff(db_session, sources, now=NOW, allow_older=True)
    db_session.rollback()
    assert snapshot(db_session) == before


def test_profile_pages_write_language_and_email_also_for_a_member_seated_now(
    db_session: Session, tmp_path: Path
) -> None:
    albas = next(p for p in PROFILES if "dan-albas" in p.name)
    house = folder(tmp_path, XML_2026)
    html = albas.read_text(encoding="utf-8")
    newer = html.replace("dan.albas@parl.gc.ca", "dan.albas.mp@parl.gc.ca")
    (house / "albas_2026-10-01.html").write_text(newer, encoding="utf-8")
    # A page for Larry Brock (seated again by the export), built from Albas's: the
    # refresh creates him and writes his language and email in the same transaction.
    brock = html.replace("mp-profile-person-id-72029", "mp-profile-person-id-110354")
    brock = brock.replace("mailto:dan.albas@parl.gc.ca", "mailto:larry.brock@parl.gc.ca")
    brock = brock.replace("<dd>English </dd>", "<dd>French</dd>")
    (house / "brock_2026-10-01.html").write_text(brock, encoding="utf-8")
    sources = house_files.read_sources(house)
    diff = refresh.compute_diff(db_session, sources, allow_older=True)
    assert diff.refusals == []
    assert [(r.person_id, r.detail) for r in diff.of("email_change")] == [
        (110354, "email - -> larry.brock@parl.gc.ca"),  # riding 35015 before 59023
        (72029, "email dan.albas@parl.gc.ca -> dan.albas.mp@parl.gc.ca"),
    ]
    languages = {r.person_id: r.detail for r in diff.of("language_change")}
    assert languages[110354] == "- -> fr"
    before = snapshot(db_session)
    refresh_apply.apply_diff(db_session, sources, now=NOW, allow_older=True)
    db_session.commit()
    assert_exactly_the_diff(diff, before, snapshot(db_session))
    found = person(db_session, 72029)
    assert (found.email, found.email_source) == (
        "dan.albas.mp@parl.gc.ca",
        "hoc_profile_2026-10-01",
    )
    seated = person(db_session, 110354)
    assert (seated.fed_num, seated.email, seated.preferred_language) == (
        35015,
        "larry.brock@parl.gc.ca",
        "fr",
    )
    assert seated.preferred_language_source == "hoc_profile_2026-10-01"


def test_an_older_profile_page_does_not_replace_a_newer_language(
    db_session: Session, tmp_path: Path
) -> None:
    mp = person(db_session, 72029)
    mp.preferred_language, mp.preferred_language_source = "fr", "hoc_profile_2026-01-05"
    db_session.commit()
    albas = next(p for p in PROFILES if "dan-albas" in p.name)
    diff = refresh.compute_diff(db_session, house_files.read_sources(folder(tmp_path, albas)))
    assert diff.refusals == [
        f"{albas.name}: data of 2025-08-09 is older than the data loaded (2026-01-05); "
        "it would undo later changes (--allow-older to apply it)"
    ]


def test_the_main_office_follows_the_page(db_session: Session, tmp_path: Path) -> None:
    text = PAGE_2026.read_text(encoding="utf-8")
    start = text.index("Brock, Larry\n")
    text = text[:start] + text[text.index("Brunelle-Duceppe, Alexis\n") :]
    # Dan Albas's Kelowna office becomes the main one.
    text = text.replace("101-3731 Old Okanagan Hwy (Main office)", "101-3731 Old Okanagan Hwy", 1)
    text = text.replace("303 – 3001 Tutt Street\n", "303 – 3001 Tutt Street (Main office)\n", 1)
    house = tmp_path / "house"
    house.mkdir()
    (house / "addresses_2026-10-01.txt").write_text(text, encoding="utf-8")
    sources = house_files.read_sources(house)
    diff = refresh.compute_diff(db_session, sources)
    assert diff.refusals == []
    assert [(r.person_id, r.detail) for r in diff.rows] == [
        (72029, "101-3731 Old Okanagan Hwy, West Kelowna V4T 0G7 is no longer the main office"),
        (72029, "303 – 3001 Tutt Street, Kelowna V1Y 2H4 is now the main office"),
    ]
    before = snapshot(db_session)
    refresh_apply.apply_diff(db_session, sources, now=NOW)
    db_session.commit()
    assert_exactly_the_diff(diff, before, snapshot(db_session))
    offices = {o.city: o for o in person(db_session, 72029).offices if o.city}
    assert (offices["Kelowna"].is_main, offices["Kelowna"].label_en) == (
        True,
        "Constituency office (main)",
    )
    assert (offices["West Kelowna"].is_main, offices["West Kelowna"].label_fr) == (
        False,
        "Bureau de circonscription",
    )
