"""Parser of the "Addresses for current members of Parliament" page (text extract)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callmp.directory.house_addresses import (
    AddressEntry,
    parse_addresses_html,
    parse_addresses_text,
)
from callmp.directory.house_sources import SourceError

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
PAGE = HOUSE / "members_addresses_page_2026-09-02_text-extract_dlpscan-rs.txt"
PHONE = re.compile(r"\b\d{3}-\d{3}-\d{4}\b")
HTML_2023 = HOUSE / "members_addresses_page_2023-10_browser-saved.html"
POSTAL = re.compile(r"^[A-Z]\d[A-Z] \d[A-Z]\d$", re.MULTILINE)


@pytest.fixture(scope="module")
def text() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html_2023() -> str:
    return HTML_2023.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def entries(text: str) -> dict[str, AddressEntry]:
    parsed = parse_addresses_text(text)
    by_name = {entry.name: entry for entry in parsed}
    assert len(by_name) == len(parsed)
    return by_name


def test_addresses_page_has_every_member_office_and_number(
    text: str, entries: dict[str, AddressEntry]
) -> None:
    assert len(entries) == text.count("\nConstituency Office(s)\n") == 338
    offices = [o for e in entries.values() for o in e.offices]
    assert len(offices) == len(POSTAL.findall(text)) == 408
    assert sum(o.is_main for o in offices) == 338
    hills = [e.hill for e in entries.values() if e.hill is not None]
    numbers = [raw for o in [*offices, *hills] for raw in (o.phone_raw, o.fax_raw) if raw]
    assert sorted(n for raw in numbers for n in PHONE.findall(raw)) == sorted(PHONE.findall(text))
    assert len(numbers) == 1306
    # Every listed number is a valid North American number.
    assert all(o.phone for o in [*offices, *hills] if o.phone_raw)
    assert all(o.fax for o in [*offices, *hills] if o.fax_raw)


def test_addresses_page_irregular_members(entries: dict[str, AddressEntry]) -> None:
    no_hill = {name for name, e in entries.items() if e.hill is None}
    assert no_hill == {
        "Auguste, Tatiana",
        "Caley, Braeden",
        "Gobeil, Daniel",
        "Shahnawaz, Tanveer",
    }
    carney = entries["Carney, Mark"]
    assert carney.hill is not None
    assert (carney.hill.phone, carney.hill.fax) == ("", "+16139479370")
    assert carney.offices[0].street == "201-240 Kennevale drive"
    assert carney.offices[0].note == "By appointment only"
    anderson = entries["Anderson, Scott"]
    assert anderson.hill is not None
    assert (anderson.hill.phone, anderson.hill.fax) == ("+16139953501", "")
    miller = entries["Miller, Marc"].offices
    assert [(o.street, o.city, o.postal_code, o.is_main) for o in miller] == [
        ("", "Montréal", "H3H 1C9", True)
    ]
    bonk = entries["Bonk, Steven"].offices
    assert [o.is_main for o in bonk] == [False, True, False]
    assert [o.province_abbr for o in bonk] == ["SK", "SK", "SK"]
    albas = entries["Albas, Dan"].offices
    assert any(o.phone_raw.startswith("1-800") and o.phone == "+18006658711" for o in albas)


def test_addresses_page_refuses_a_truncated_page(text: str) -> None:
    with pytest.raises(SourceError, match="truncated"):
        parse_addresses_text(text[: len(text) // 2])


def test_addresses_page_refuses_another_page(text: str) -> None:
    with pytest.raises(SourceError, match="first line"):
        parse_addresses_text("<html>" + text)


def test_addresses_page_refuses_an_office_without_a_postal_code(text: str) -> None:
    broken = text.replace("\nT5A 1B7\n", "\n", 1)
    assert broken != text
    with pytest.raises(SourceError, match="Aboultaif, Ziad: an office without a postal code"):
        parse_addresses_text(broken)


def test_addresses_page_refuses_a_heading_without_offices(text: str) -> None:
    broken = text.replace(
        "Acan, Sima\n", "Acan, Sima\nHill Office\nConstituency Office(s)\nAcan, Sima\n", 1
    )
    with pytest.raises(SourceError, match="Acan, Sima: no office under its heading"):
        parse_addresses_text(broken)


def test_addresses_page_refuses_a_member_listed_twice(text: str) -> None:
    broken = text.replace("Acan, Sima\n", "Acan, Sima\nHill Office\nAcan, Sima\n", 1)
    with pytest.raises(SourceError, match="Acan, Sima is listed twice"):
        parse_addresses_text(broken)


def test_addresses_page_refuses_two_main_offices(text: str) -> None:
    broken = text.replace("1A-15 Northland Lane\n", "1A-15 Northland Lane (Main office)\n", 1)
    broken = broken.replace(
        "Huntsville, Ontario\nP1H 1M4\nTelephone:  705-789-4640\nFax:  705-789-8857\n",
        "Huntsville, Ontario\nP1H 1M4\nTelephone:  705-789-4640\nFax:  705-789-8857\n"
        "9 Main Street (Main office)\nHuntsville, Ontario\nP1H 1M5\n",
        1,
    )
    assert broken != text
    with pytest.raises(SourceError, match="Aitchison, Scott: several main offices"):
        parse_addresses_text(broken)


def test_addresses_page_saved_as_html_2023(html_2023: str) -> None:
    entries = parse_addresses_html(html_2023)
    assert len(entries) == html_2023.count('<h2 class="font-weight-bold">') == 337
    offices = [o for e in entries for o in e.offices]
    postal = re.findall(r"(?m)^\s*([A-Z]\d[A-Z] \d[A-Z]\d)\s*<br", html_2023)
    assert [o.postal_code for o in offices] == postal
    numbers = [
        n
        for e in entries
        for o in [*e.offices, *([e.hill] if e.hill else [])]
        for n in (o.phone_raw, o.fax_raw)
        if n
    ]
    assert sorted(m for n in numbers for m in PHONE.findall(n)) == sorted(PHONE.findall(html_2023))
    by_name = {e.name: e for e in entries}
    # Anna Gainey (by-election of June 2023) has a Hill office but no office listed yet.
    assert by_name["Gainey, Anna"].offices == []
    assert by_name["Gainey, Anna"].hill is not None
    aboultaif = by_name["Aboultaif, Ziad"].offices
    assert [(o.street, o.city, o.postal_code, o.is_main) for o in aboultaif] == [
        ("5515 130 Ave NW", "Edmonton", "T5A 1B7", True)
    ]


def test_addresses_page_saved_as_html_refuses_a_truncated_file(html_2023: str) -> None:
    with pytest.raises(SourceError, match="truncated"):
        parse_addresses_html(html_2023[: len(html_2023) // 2])


def test_addresses_page_refuses_a_short_page(text: str) -> None:
    head, _, _ = text.partition("Acan, Sima\n")
    footer = text[text.index("Top of Page") :]
    with pytest.raises(SourceError, match="only 1 members"):
        parse_addresses_text(head + footer)
    assert len(parse_addresses_text(head + footer, minimum=1)) == 1
