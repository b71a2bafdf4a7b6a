"""The shipped data says only what an official page or a checked rule says: members'
preferred languages from their House profile pages (everyone else unknown), and French
names of the ridings renamed in 2026 only where the names are the same in both languages."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.config import REPO_ROOT
from callmp.directory import languages
from callmp.directory.house_sources import parse_profile_html
from callmp.models import Person, Riding

DATA = REPO_ROOT / "data"
PROFILES = sorted((REPO_ROOT / "tests" / "fixtures" / "house").glob("member_profile_*.html"))
PROFILE_SOURCE = re.compile(r"^hoc_profile_[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _build_data() -> ModuleType:
    """scripts/build_data.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "build_data", REPO_ROOT / "scripts" / "build_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_data", module)
    spec.loader.exec_module(module)
    return module


def test_every_sitting_member_has_a_language_from_a_profile_page_or_none() -> None:
    sitting = [r for r in _rows("mps.csv") if r["seat_status"] == "occupied"]
    for row in sitting:
        language, source = row["preferred_language"], row["preferred_language_source"]
        if language or source:
            assert language in languages.LANGUAGE_NAMES, row["full_name"]
            assert PROFILE_SOURCE.match(source), (row["full_name"], source)
    known = {r["ourcommons_person_id"]: r for r in sitting if r["preferred_language"]}
    # Exactly the members whose profile page the data was built from, as the pages say.
    assert len(PROFILES) == 5
    for path in PROFILES:
        profile = parse_profile_html(path.read_text(encoding="utf-8"))
        row = known.pop(str(profile.person_id))
        assert row["preferred_language"] == languages.language_code(profile.preferred_language)
        read_on = date.fromisoformat(path.stem.rsplit("_", 1)[1])
        assert row["preferred_language_source"] == languages.profile_source(read_on)
    assert known == {}


def test_import_keeps_the_language_with_its_source(db_session: Session) -> None:
    people = {
        p.ourcommons_person_id: p
        for p in db_session.scalars(select(Person).where(Person.fed_num.is_not(None)))
    }
    both = people[89156]  # Ziad Aboultaif: "English / French" on his page
    assert (both.preferred_language, both.preferred_language_source) == (
        "en fr",
        "hoc_profile_2025-08-09",
    )
    unknown = [p for p in people.values() if not p.preferred_language]
    assert all(p.preferred_language_source == "" for p in unknown)
    assert len(unknown) == len(people) - len(PROFILES)


@pytest.mark.parametrize(
    ("house", "code"),
    [("English", "en"), ("French", "fr"), ("English / French", "en fr"), (" French ", "fr")],
)
def test_the_house_s_language_values_have_codes(house: str, code: str) -> None:
    assert languages.language_code(house) == code


def test_an_unknown_language_value_is_refused_not_guessed() -> None:
    assert languages.language_code("Anglais") == "en"  # the French profile page
    assert languages.language_code("english /  FRENCH") == "en fr"
    with pytest.raises(ValueError, match="neither English nor French"):
        languages.language_code("Spanish")


def test_a_language_source_reads_as_a_dated_profile_page_or_as_it_is() -> None:
    assert languages.read_source("") is None
    assert languages.read_source("hoc_profile_2025-08-09") == languages.LanguageSource(
        date(2025, 8, 9), ""
    )
    assert languages.read_source("hoc_profile_2025-13-40") == languages.LanguageSource(
        None, "hoc_profile_2025-13-40"
    )
    assert languages.read_source("lead") == languages.LanguageSource(None, "lead")


def test_renamed_ridings_get_a_french_name_only_by_the_checked_rule() -> None:
    build = _build_data()
    rows = _rows("ridings.csv")
    renamed = [r for r in rows if r["name_current"] != r["name_en"]]
    assert len(renamed) == 16
    for row in rows:
        if row["name_current_fr"]:
            # Never a translation: the rule only ever keeps the name as it is.
            assert row in renamed
            assert row["name_current_fr"] == row["name_current"]
            assert row["name_current_fr_source"] == build.SAME_NAME_SOURCE
            assert not build.name_words(row["name_current"]) & build.TRANSLATED_WORDS
        else:
            assert row["name_current_fr_source"] == ""
    with_french = {r["fed_num"] for r in renamed if r["name_current_fr"]}
    assert {fed[:2] for fed in with_french} == {"24", "59"}  # Quebec's, and Omineca's
    assert "35120" not in with_french  # North York: a translatable word, so unknown


def test_the_rule_is_checked_against_the_2023_order() -> None:
    build = _build_data()
    ridings = [
        {"fed_num": "1", "name_en": "Saint-Laurent", "name_fr": "Saint-Laurent"},
        {"fed_num": "2", "name_en": "Ottawa South", "name_fr": "Ottawa-Sud"},
    ]
    assert build.check_same_name_rule(ridings) == 1
    ridings.append({"fed_num": "3", "name_en": "Riding Hill", "name_fr": "Colline-Riding"})
    with pytest.raises(build.DataError, match="the French-name rule does not hold"):
        build.check_same_name_rule(ridings)
    assert build.french_current_name("Jonquière", "Jonquière—Hébertville") == (
        "Jonquière—Hébertville",
        build.SAME_NAME_SOURCE,
    )
    assert build.french_current_name("York Centre", "North York") == ("", "")
    assert build.french_current_name("Papineau", "Papineau") == ("", "")


def test_french_pages_show_the_2026_name_where_known_else_the_2023_one(
    db_session: Session,
) -> None:
    rimouski = db_session.get(Riding, 24062)
    north_york = db_session.get(Riding, 35120)
    assert rimouski is not None and north_york is not None
    assert rimouski.name("fr") == rimouski.name("en") == rimouski.name_current
    assert rimouski.name("fr") != rimouski.name_fr  # the 2023 name "Rimouski—La Matapédia"
    assert north_york.name("en") == "North York"
    assert north_york.name("fr") == north_york.name_fr == "York-Centre"


def test_the_build_reads_languages_with_the_app_s_parser(tmp_path: Path) -> None:
    build = _build_data()
    folder = tmp_path / "fixtures" / "ourcommons_html"
    folder.mkdir(parents=True)
    page = PROFILES[0]
    person_id = page.stem.split("_")[3]
    (folder / page.name).write_bytes(page.read_bytes())
    with pytest.raises(build.DataError, match="1 pages, expected 5"):
        build.read_languages(tmp_path, {person_id})
    with pytest.raises(build.DataError, match="is not a sitting member"):
        build.read_languages(tmp_path, set())
    broken = page.read_text(encoding="utf-8").replace("mp-profile-person-id-", "mp-profile-")
    (folder / page.name).write_text(broken, encoding="utf-8")
    with pytest.raises(build.DataError, match="no mp-profile-person-id container"):
        build.read_languages(tmp_path, {person_id})
