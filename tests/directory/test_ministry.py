"""The House's ministry list: parsed to its shape, refused when it cannot be trusted.

The fixtures are CONSTRUCTED in the export's published shape (no saved copy exists); see
tests/fixtures/house/README.md.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from callmp.directory import house_files, ministry
from callmp.directory.house_sources import SourceError
from callmp.directory.ministry import parse_ministry_xml

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
BEFORE = HOUSE / "ministries_en_2026-09-15_CONSTRUCTED.xml"
AFTER = HOUSE / "ministries_en_2026-11-20_CONSTRUCTED.xml"
AFTER_FR = HOUSE / "ministries_fr_2026-11-20_CONSTRUCTED.xml"
IMMIGRATION = "minister-of-immigration-refugees-and-citizenship"


def _xml(*ministers: str, root: str = "<ArrayOfMinister>") -> bytes:
    """A ministry list of these ``<Minister>`` bodies."""
    close = "</" + root[1:].split()[0].rstrip(">") + ">"
    return (root + "".join(f"<Minister>{m}</Minister>" for m in ministers) + close).encode()


def _minister(n: int, title: str | None = None, person_id: str | None = None) -> str:
    pid = f"<PersonId>{person_id if person_id is not None else 1000 + n}</PersonId>"
    return (
        f"{pid}<PersonOfficialFirstName>First{n}</PersonOfficialFirstName>"
        f"<PersonOfficialLastName>Last{n}</PersonOfficialLastName>"
        f"<Title>{title or f'Minister of Portfolio {n}'}</Title>"
        f"<OrderOfPrecedence>{n}</OrderOfPrecedence>"
        "<FromDateTime>2025-05-13T00:00:00</FromDateTime><ToDateTime />"
    )


def test_the_english_list_gives_current_ministers_keyed_by_slug() -> None:
    parsed = parse_ministry_xml(BEFORE.read_bytes())
    assert parsed.language == "en"
    assert len(parsed.ministers) == 12
    first = parsed.ministers[0]
    assert (first.person_id, first.honorific, first.full_name, first.title) == (
        28286,
        "Right Hon.",
        "Mark Carney",
        "Prime Minister",
    )
    immigration = next(m for m in parsed.ministers if m.slug == IMMIGRATION)
    assert (immigration.person_id, immigration.precedence) == (109915, 9)
    assert immigration.from_date == date(2025, 5, 13) and immigration.to_date is None


def test_ended_entries_are_left_out_and_french_titles_join_on_person_and_dates() -> None:
    lists = [parse_ministry_xml(AFTER_FR.read_bytes()), parse_ministry_xml(AFTER.read_bytes())]
    assert [x.language for x in lists] == ["fr", "en"]
    assert len(lists[1].ministers) == 15  # three ended entries with a ToDateTime
    current = ministry.current_ministers(lists, "hoc_ministries_fr_2026-11-20")
    assert len(current) == 12
    by_slug = {m.slug: m for m in current}
    assert by_slug[IMMIGRATION].person_id == 122684
    assert by_slug[IMMIGRATION].title_fr == (
        "ministre de l'Immigration, des Réfugiés et de la Citoyenneté"
    )
    assert {m.title_fr_source for m in current} == {"hoc_ministries_fr_2026-11-20"}
    assert "minister-of-women-and-gender-equality" not in by_slug


def test_without_the_french_list_only_known_french_titles_are_given() -> None:
    current = ministry.current_ministers([parse_ministry_xml(BEFORE.read_bytes())], "unused")
    known = {m.slug for m in current if m.title_fr}
    assert known == set(ministry.KNOWN_FRENCH_TITLES) & {m.slug for m in current}
    assert {m.title_fr_source for m in current if m.title_fr} == {ministry.KNOWN_TITLES_SOURCE}
    industry = next(m for m in current if m.slug == "minister-of-industry")
    assert (industry.title_fr, industry.title_fr_source) == ("", "")  # missing, not made up


def test_a_namespace_on_the_elements_is_read() -> None:
    root = '<ArrayOfMinister xmlns="http://example.org/ns">'
    parsed = parse_ministry_xml(_xml(*(_minister(n) for n in range(1, 9)), root=root))
    assert [m.person_id for m in parsed.ministers][:2] == [1001, 1002]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_xml(*(_minister(n) for n in range(1, 9)), _minister(9, person_id="")), "no PersonId"),
        (_xml(*(_minister(n) for n in range(1, 9)), _minister(9, person_id="12a")), "not a number"),
        (_xml(*(_minister(n) for n in range(1, 4))), "only 3 current ministers"),
        (_xml(*(_minister(n, title="Minister of Health") for n in range(1, 9))), "listed twice"),
        (b"<!DOCTYPE x [<!ENTITY a 'b'>]><ArrayOfMinister/>", "DTD"),
        (b"<ArrayOfMinister><Minister><PersonId>1</PersonId>", "not well-formed"),
        (b"<ArrayOfMinister><Other/></ArrayOfMinister>", "does not hold only <Minister>"),
    ],
    ids=["no-person-id", "bad-id", "partial", "duplicate", "dtd", "truncated", "layout"],
)
def test_bad_or_partial_lists_are_refused_with_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_ministry_xml(data)


def test_a_list_without_person_ids_is_refused_for_joining() -> None:
    text = BEFORE.read_text(encoding="utf-8")
    no_ids = "".join(part.split("</PersonId>")[-1] for part in text.split("<PersonId>"))
    with pytest.raises(SourceError, match="cannot be joined on the House person id"):
        parse_ministry_xml(no_ids)


def test_read_sources_recognises_ministry_lists_by_content(tmp_path: Path) -> None:
    shutil.copy(AFTER, tmp_path / "a.xml")
    shutil.copy(AFTER_FR, tmp_path / "b.xml")
    sources = house_files.read_sources(tmp_path)
    assert sorted(x.language for x in sources.ministries) == ["en", "fr"]
    assert sources.members is None and sources.skipped == []


def test_two_english_lists_are_refused() -> None:
    parsed = parse_ministry_xml(BEFORE.read_bytes())
    with pytest.raises(SourceError, match="exactly one English export"):
        ministry.current_ministers([parsed, parsed], "x")


def test_slugs_ignore_accents_case_and_apostrophes() -> None:
    assert ministry.portfolio_slug("Minister of Women and Gender Equality") == (
        "minister-of-women-and-gender-equality"
    )
    assert ministry.portfolio_slug("Ministre de l’Énergie") == "ministre-de-lenergie"
