"""The refresh diff: the shipped data (as the test database holds it) against House files."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.directory import corrections, house_files, refresh
from callmp.directory.house_addresses import parse_addresses_text
from callmp.directory.house_sources import SourceError, parse_members_xml, parse_profile_html
from callmp.models import OfficeKind, Person

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
XML_2026 = HOUSE / "members_search_xml_2026-04_45th_memreps.xml"
XML_2021 = HOUSE / "members_search_xml_2021-03_43rd_open-house-of-commons.xml"
PAGE = HOUSE / "members_addresses_page_2026-09-02_text-extract_dlpscan-rs.txt"


def _rows(diff: refresh.RefreshDiff, kind: str) -> set[tuple[int | None, int | None]]:
    return {(row.fed_num, row.person_id) for row in diff.of(kind)}


def test_riding_names_match_across_dashes_apostrophes_and_accents() -> None:
    norm = refresh.normalise_riding_name
    assert norm("Parry Sound\u2014Muskoka") == norm("Parry Sound - Muskoka")
    assert norm("Rivière-du-Nord") == norm("Riviere\u2013du\u2013Nord")
    assert norm("L\u2019Assomption") == norm("l'assomption")
    assert norm("Avalon") != norm("Avalons")


def test_diff_against_the_april_2026_export(db_session: Session) -> None:
    diff = refresh.compute_diff(
        db_session, house_files.HouseSources(members=parse_members_xml(XML_2026.read_bytes()))
    )
    assert diff.refusals == []
    # The three April 2026 by-election winners (FromDateTime 2026-04-13) are in the shipped
    # data already, in the same ridings and party: no row names them.
    for pid in (122753, 141713, 90964):
        assert all(row.person_id != pid for row in diff.rows)
    # Members of April who had left by September; 6 of their seats are vacant in the data,
    # 3 went to by-election winners (Gobeil, Shahnawaz, Caley) who are not in April's export.
    assert _rows(diff, "new_member") == {
        (24018, 100521),  # Richard Martel, before Daniel Gobeil
        (24037, 14171),  # Steven Guilbeault
        (24065, 58775),  # Alexandre Boulerice
        (24066, 104944),  # Simon-Pierre Savard-Tremblay
        (35007, 88687),  # Nathaniel Erskine-Smith, before Tanveer Shahnawaz
        (35015, 110354),  # Larry Brock
        (35095, 88953),  # Shaun Chen
        (47014, 89098),  # Cathay Wagantall
        (59022, 89300),  # Jonathan Wilkinson, before Braeden Caley
    }
    assert _rows(diff, "departure") == {(24018, 107294), (35007, 142763), (59022, 142764)}
    assert diff.of("vacancy") == []  # every departed seat has its April member
    assert diff.of("riding_change") == diff.of("party_change") == []
    brock = next(row for row in diff.of("new_member") if row.person_id == 110354)
    assert (brock.name, brock.detail) == ("Larry Brock", "Conservative, sitting since 2025-04-28")


def test_diff_reports_a_party_change_a_riding_change_and_a_vacancy(
    db_session: Session,
) -> None:
    edited = []
    for member in parse_members_xml(XML_2026.read_bytes()):
        if member.person_id == 90964:  # Danielle Martin crosses the floor
            member = replace(member, caucus="Green Party")
        elif member.person_id == 89156:  # Ziad Aboultaif now sits for Terrebonne
            member = replace(member, constituency="Terrebonne")
        elif member.person_id == 122753:  # Tatiana Auguste (Terrebonne) leaves
            continue
        edited.append(member)
    diff = refresh.compute_diff(db_session, house_files.HouseSources(members=edited))
    assert diff.refusals == []
    assert _rows(diff, "party_change") == {(35112, 90964)}
    assert diff.of("party_change")[0].detail == "Liberal -> Green"
    assert _rows(diff, "riding_change") == {(24073, 89156)}
    assert (24073, 122753) in _rows(diff, "departure")
    edmonton_manning = db_session.scalars(
        select(Person.fed_num).where(Person.ourcommons_person_id == 89156)
    ).one()
    assert _rows(diff, "vacancy") == {(edmonton_manning, None)}


def test_two_members_for_one_riding_are_refused(db_session: Session) -> None:
    members = [
        replace(m, constituency="Terrebonne") if m.person_id == 89156 else m
        for m in parse_members_xml(XML_2026.read_bytes())
    ]
    diff = refresh.compute_diff(db_session, house_files.HouseSources(members=members))
    assert diff.refusals == ["members export: several sitting members for riding(s) [24073]"]


def test_the_2021_export_is_refused_for_old_ridings_and_no_person_ids(
    db_session: Session,
) -> None:
    diff = refresh.compute_diff(
        db_session, house_files.HouseSources(members=parse_members_xml(XML_2021.read_bytes()))
    )
    assert diff.rows == []
    assert any("no PersonId" in reason for reason in diff.refusals)
    # Abbotsford was split in 2023 (Abbotsford—South Langley, Mission—Matsqui—Abbotsford).
    assert "members export: constituency 'Abbotsford' maps to no riding" in diff.refusals
    unmapped = [r for r in diff.refusals if "maps to no riding" in r]
    assert len(unmapped) > 50
    assert "REFUSED" in refresh.format_diff(diff)


def test_the_addresses_page_agrees_with_the_shipped_offices(db_session: Session) -> None:
    # The shipped offices were built from this very page: no office or phone differs, but
    # the April export seats Larry Brock again, and the page still lists his two offices.
    sources = house_files.HouseSources(
        members=parse_members_xml(XML_2026.read_bytes()),
        addresses=parse_addresses_text(PAGE.read_text(encoding="utf-8")),
    )
    diff = refresh.compute_diff(db_session, sources)
    assert diff.refusals == []
    assert [(r.fed_num, r.person_id, r.detail) for r in diff.of("office_new")] == [
        (35015, 110354, "3-108 St. George street, Brantford N3R 1V6 (519-754-4300)"),
        (35015, 110354, "Hill office (613-992-3118)"),
    ]
    for kind in ("office_moved", "office_removed", "phone_change"):
        assert diff.of(kind) == []


def test_changed_phones_and_a_moved_office_show_in_the_diff(db_session: Session) -> None:
    text = PAGE.read_text(encoding="utf-8")
    # Aboultaif's Hill phone changes; Acan's main office moves (same phone, new address).
    text = text.replace("Telephone:  613-992-0946", "Telephone:  613-992-0000", 1)
    text = text.replace("306-700 Dorval Drive (Main office)", "12 Lakeshore Road (Main office)", 1)
    diff = refresh.compute_diff(
        db_session, house_files.HouseSources(addresses=parse_addresses_text(text))
    )
    assert [(r.person_id, r.detail) for r in diff.of("phone_change")] == [
        (89156, "Hill office phone +16139920946 -> +16139920000")
    ]
    moved = diff.of("office_moved")
    assert [(r.person_id, r.fed_num) for r in moved] == [(123092, 35076)]
    assert moved[0].detail.endswith("-> 12 Lakeshore Road, Oakville L6K 3V3")
    assert diff.of("office_new") == diff.of("office_removed") == []


def test_a_name_the_addresses_page_cannot_join_is_refused(db_session: Session) -> None:
    text = PAGE.read_text(encoding="utf-8").replace("Acan, Sima\n", "Acan-Nobody, Sima\n", 1)
    diff = refresh.compute_diff(
        db_session, house_files.HouseSources(addresses=parse_addresses_text(text))
    )
    # Larry Brock is still on the September page, but his seat is vacant in the data and
    # only the members export (not given here) carries his person id.
    assert diff.refusals == [
        "addresses page: 'Acan-Nobody, Sima' matches no member of the data or the export",
        "addresses page: 'Brock, Larry' matches no member of the data or the export",
    ]


def test_profile_pages_give_preferred_languages(db_session: Session) -> None:
    profiles = [parse_profile_html(p.read_text("utf-8")) for p in HOUSE.glob("member_profile_*")]
    people = {
        p.ourcommons_person_id: p
        for p in db_session.scalars(
            select(Person).where(Person.ourcommons_person_id.in_([p.person_id for p in profiles]))
        )
    }
    # The shipped data carries these five pages' languages: no difference until one changes.
    diff = refresh.compute_diff(db_session, house_files.HouseSources(profiles=profiles))
    assert diff.of("language_change") == []
    people[89156].preferred_language = ""
    people[72029].preferred_language = "fr"
    db_session.flush()
    diff = refresh.compute_diff(db_session, house_files.HouseSources(profiles=profiles))
    rows = {row.person_id: row.detail for row in diff.of("language_change")}
    assert set(rows) == {89156, 72029}
    assert rows[89156].endswith("-> en fr")  # "English / French" on the page
    assert rows[72029].endswith("fr -> en")


def test_read_sources_recognises_files_by_content(tmp_path: Path) -> None:
    shutil.copy(XML_2026, tmp_path / "export.dat")
    shutil.copy(PAGE, tmp_path / "page.html")
    shutil.copy(next(HOUSE.glob("member_profile_dan-albas*")), tmp_path / "a.txt")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    sources = house_files.read_sources(tmp_path)
    assert sources.members is not None and len(sources.members) == 343
    assert sources.addresses is not None and len(sources.addresses) == 338
    assert [p.person_id for p in sources.profiles] == [72029]
    assert sources.skipped == ["notes.txt"]
    (tmp_path / "page.html").unlink()
    shutil.copy(HOUSE / "members_addresses_page_2023-10_browser-saved.html", tmp_path / "b.htm")
    saved = house_files.read_sources(tmp_path)
    assert saved.addresses is not None and len(saved.addresses) == 337
    shutil.copy(XML_2021, tmp_path / "second.xml")
    with pytest.raises(SourceError, match="second members export"):
        house_files.read_sources(tmp_path)


def test_cli_data_refresh_prints_the_diff_and_applies_nothing(app: Flask, tmp_path: Path) -> None:
    shutil.copy(XML_2026, tmp_path / XML_2026.name)
    args = ["data", "refresh", "--from", str(tmp_path), "--allow-older"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "new member (9):" in lines
    assert "  35015 Larry Brock (#110354): Conservative, sitting since 2025-04-28" in lines
    assert "departure (3):" in lines
    assert lines[-1] == "nothing applied (add --apply to write it)"


def test_cli_data_refresh_refuses_an_old_export(app: Flask, tmp_path: Path) -> None:
    shutil.copy(XML_2021, tmp_path / XML_2021.name)
    result = app.test_cli_runner().invoke(args=["data", "refresh", "--from", str(tmp_path)])
    assert result.exit_code == 1
    assert "maps to no riding" in result.stdout
    assert result.stderr.startswith("Error: refused: ")
    assert "members export: no PersonId" in result.stderr
    assert result.stderr.rstrip().endswith("listed above); nothing applied")


def test_cli_data_refresh_refuses_a_truncated_file(app: Flask, tmp_path: Path) -> None:
    data = XML_2026.read_bytes()
    (tmp_path / "members.xml").write_bytes(data[: len(data) // 2])
    result = app.test_cli_runner().invoke(args=["data", "refresh", "--from", str(tmp_path)])
    assert result.exit_code == 1
    assert "refused: members export: not well-formed XML" in result.output


def test_read_sources_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    data = PAGE.read_bytes().replace("Montréal".encode(), "Montréal".encode("latin-1"), 1)
    (tmp_path / "page.txt").write_bytes(data)
    with pytest.raises(SourceError, match=r"page\.txt: not UTF-8 text"):
        house_files.read_sources(tmp_path)


def test_a_leads_phone_correction_is_compared_not_reported_as_a_change(
    db_session: Session,
) -> None:
    mp = db_session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
    hill = next(o for o in mp.offices if o.kind == OfficeKind.hill)
    corrections.correct(db_session, None, mp, "phone", "613-992-1111", office=hill)
    db_session.commit()
    text = PAGE.read_text(encoding="utf-8")
    same = refresh.compute_diff(
        db_session, house_files.HouseSources(addresses=parse_addresses_text(text))
    )
    assert [r for r in same.rows if r.person_id == 89156] == [
        refresh.DiffRow(
            "correction",
            48018,
            89156,
            "Ziad Aboultaif",
            "Hill office phone corrected to 613-992-1111: the House disagrees",
        )
    ]
    text = text.replace("Telephone:  613-992-0946", "Telephone:  613-992-1111", 1)
    caught_up = refresh.compute_diff(
        db_session, house_files.HouseSources(addresses=parse_addresses_text(text))
    )
    assert [(r.kind, r.detail) for r in caught_up.rows if r.person_id == 89156] == [
        ("phone_change", "Hill office phone 613-992-0946 -> +16139921111"),
        ("correction", "Hill office phone corrected to 613-992-1111: the House agrees"),
    ]
