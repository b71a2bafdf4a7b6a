"""Parsers of the House of Commons' members export and profile pages, on saved files."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from callmp.directory.house_sources import (
    SourceError,
    parse_members_xml,
    parse_profile_html,
)

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
XML_2026 = HOUSE / "members_search_xml_2026-04_45th_memreps.xml"
XML_2021 = HOUSE / "members_search_xml_2021-03_43rd_open-house-of-commons.xml"
PROFILES = sorted(HOUSE.glob("member_profile_*.html"))


def _raw_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"<PersonId>(\d+)</PersonId>", text)]


def test_members_export_2026_has_every_member_with_their_person_id() -> None:
    text = XML_2026.read_text(encoding="utf-8")
    members = parse_members_xml(XML_2026.read_bytes())
    assert len(members) == text.count("<MemberOfParliament>") == 343
    assert [m.person_id for m in members] == _raw_ids(text)
    assert sum(m.to_date is None for m in members) == text.count('<ToDateTime xsi:nil="true" />')
    by_date = {m.last_name for m in members if m.from_date == date(2026, 4, 13)}
    assert by_date == {"Auguste", "Begum", "Martin"}
    auguste = next(m for m in members if m.person_id == 122753)
    assert (auguste.first_name, auguste.constituency, auguste.province, auguste.caucus) == (
        "Tatiana",
        "Terrebonne",
        "Quebec",
        "Liberal",
    )
    honorifics = {m.honorific for m in members}
    assert honorifics == {"", "Hon.", "Right Hon."}


def test_members_export_2021_has_no_person_ids() -> None:
    text = XML_2021.read_text(encoding="utf-8")
    members = parse_members_xml(XML_2021.read_bytes())
    assert len(members) == text.count("<MemberOfParliament>") == 338
    assert "<PersonId>" not in text
    assert all(m.person_id is None for m in members)
    assert sum(m.from_date == date(2020, 10, 26) for m in members) == 2


def _first_member_edited(old: str, new: str) -> bytes:
    text = XML_2026.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Name,Riding\nA,B\n", "not well-formed XML"),
        (b"<html><body>Maintenance</body></html>", "root element is <html>"),
        (XML_2026.read_bytes()[: XML_2026.stat().st_size // 2], "not well-formed XML"),
        (
            _first_member_edited(
                "<ConstituencyName>Edmonton Manning</ConstituencyName>", "<ConstituencyName />"
            ),
            "(Ziad Aboultaif): no constituency",
        ),
        (
            _first_member_edited("<PersonId>123092</PersonId>", "<PersonId>89156</PersonId>"),
            "person id 89156 appears twice",
        ),
        (
            _first_member_edited("<PersonId>89156</PersonId>", "<PersonId>x</PersonId>"),
            "not a number",
        ),
        (
            _first_member_edited(
                "<FromDateTime>2025-04-28T00:00:00</FromDateTime>",
                "<FromDateTime>28/04/2025</FromDateTime>",
            ),
            "FromDateTime is not a date",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><ArrayOfMemberOfParliament/>',
            "DTD",
        ),
    ],
    ids=["csv", "html", "truncated", "no-riding", "duplicate-id", "bad-id", "bad-date", "dtd"],
)
def test_members_export_refuses_bad_input(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=re.escape(message)):
        parse_members_xml(data)


def test_members_export_refuses_an_export_of_too_few_members() -> None:
    text = XML_2026.read_text(encoding="utf-8")
    cut = text.index("<MemberOfParliament>", 0)
    for _ in range(10):
        cut = text.index("</MemberOfParliament>", cut) + len("</MemberOfParliament>")
    partial = text[:cut] + "</ArrayOfMemberOfParliament>"
    with pytest.raises(SourceError, match="only 10 sitting members"):
        parse_members_xml(partial)
    assert len(parse_members_xml(partial, minimum=10)) == 10


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_profile_page_gives_id_riding_party_language_and_photo(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    profile = parse_profile_html(html)
    assert str(profile.person_id) == path.stem.split("_")[3]
    h1 = re.search(r"<h1>([^<]+)</h1>", html)
    assert h1 is not None and profile.name == h1.group(1).strip()
    caucus = re.search(r'class="mip-mp-profile-caucus"[^>]*>([^<]+)<', html)
    assert caucus is not None and profile.party == caucus.group(1).strip()
    language = re.search(r"Preferred Language:</dt>\s*<dd>([^<]+)</dd>", html)
    assert language is not None and profile.preferred_language == language.group(1).strip()
    assert profile.preferred_language in {"English", "French", "English / French"}
    assert profile.photo_url.startswith(
        "https://www.ourcommons.ca/Content/Parliamentarians/Images/OfficialMPPhotos/"
    )
    assert profile.constituency and profile.province


def test_profile_pages_read_riding_with_its_dash_and_both_languages() -> None:
    profiles = {
        p.person_id: p for p in (parse_profile_html(f.read_text("utf-8")) for f in PROFILES)
    }
    assert set(profiles) == {89156, 105340, 123033, 72029, 110339}
    assert profiles[72029].constituency == "Okanagan Lake West\u2014South Kelowna"
    assert profiles[72029].province == "British Columbia"
    assert profiles[89156].preferred_language == "English / French"
    assert profiles[123033].party == "Liberal"


def test_profile_page_refuses_a_changed_layout() -> None:
    html = PROFILES[0].read_text(encoding="utf-8")
    with pytest.raises(SourceError, match="no mp-profile-person-id"):
        parse_profile_html(html.replace("mp-profile-person-id-", "mp-person-"))
    with pytest.raises(SourceError, match="missing Political Affiliation"):
        parse_profile_html(html.replace("Political Affiliation:", "Party:"))
    with pytest.raises(SourceError):
        parse_profile_html(html[: len(html) // 3])
