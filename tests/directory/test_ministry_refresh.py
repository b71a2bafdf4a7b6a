"""Ministers in the refresh: the diff between two dated ministry lists, and applying it.

The test database holds the shipped members and the demo's Immigration portfolio (held,
unofficially, by the member for Halifax West until a ministry list says otherwise).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.directory import house_files, ministry, ministry_apply, refresh
from callmp.directory.house_sources import MemberRecord, SourceError
from callmp.models import Person, Portfolio

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
BEFORE = HOUSE / "ministries_en_2026-09-15_CONSTRUCTED.xml"
AFTER = HOUSE / "ministries_en_2026-11-20_CONSTRUCTED.xml"
AFTER_FR = HOUSE / "ministries_fr_2026-11-20_CONSTRUCTED.xml"
SEPT, NOV = date(2026, 9, 15), date(2026, 11, 20)
IMMIGRATION = "minister-of-immigration-refugees-and-citizenship"
HEALTH = "minister-of-health"
WAGE = "minister-of-women-and-gender-equality"
AI = "minister-of-artificial-intelligence-and-digital-innovation"
DIAB, MICHEL, VALDEZ, SOLOMON = 109915, 122684, 110538, 123229


def _folder(tmp_path: Path, *files: Path) -> house_files.HouseSources:
    for n, path in enumerate(files):
        # Names say nothing but the date (what a refresh dates a file by): read by content.
        day = house_files.date_in_name(path.name)
        shutil.copy(path, tmp_path / f"{n}_{day}.xml")
    return house_files.read_sources(tmp_path)


def _rows(diff: refresh.RefreshDiff, kind: str) -> set[tuple[int | None, str]]:
    return {(row.person_id, row.detail.split(" (")[0]) for row in diff.of(kind)}


def _holders(session: Session) -> dict[str, int | None]:
    session.expire_all()
    portfolios = session.scalars(select(Portfolio))
    return {
        p.slug: p.holder.ourcommons_person_id if p.holder is not None else None for p in portfolios
    }


def _apply(session: Session, tmp_path: Path, as_of: date, *files: Path) -> None:
    folder = tmp_path / as_of.isoformat()
    folder.mkdir()
    ministry_apply.apply_sources(session, _folder(folder, *files).ministries, as_of=as_of)


def test_the_first_list_adds_portfolios_and_keeps_the_demos_immigration_holder(
    db_session: Session, tmp_path: Path
) -> None:
    diff = refresh.compute_diff(db_session, _folder(tmp_path, BEFORE))
    assert diff.refusals == []
    new = {row.name for row in diff.of("portfolio_new")}
    assert len(new) == 11 and "Minister of Immigration, Refugees and Citizenship" not in new
    # Every holder but the one the demo already names comes in; nobody goes out.
    ins = {row.person_id for row in diff.of("minister_in")}
    assert ins == {28286, 1813, 88633, 96081, 88384, 88316, 88468, 110339, MICHEL, 109877, VALDEZ}
    assert diff.of("minister_out") == []
    industry = next(r for r in diff.of("portfolio_new") if r.name == "Minister of Industry")
    assert industry.detail.startswith("French title missing")


def test_a_shuffle_shows_ministers_in_and_out_and_a_new_portfolio(
    db_session: Session, tmp_path: Path
) -> None:
    _apply(db_session, tmp_path, SEPT, BEFORE)
    diff = refresh.compute_diff(db_session, _folder(tmp_path, AFTER, AFTER_FR))
    assert diff.refusals == []
    assert [row.name for row in diff.of("portfolio_new")] == [
        "Minister of Artificial Intelligence and Digital Innovation"
    ]
    assert _rows(diff, "minister_in") == {
        (MICHEL, "Minister of Immigration, Refugees and Citizenship"),
        (VALDEZ, "Minister of Health"),
        (SOLOMON, "Minister of Artificial Intelligence and Digital Innovation"),
    }
    assert _rows(diff, "minister_out") == {
        (DIAB, "Minister of Immigration, Refugees and Citizenship"),
        (MICHEL, "Minister of Health"),
        (VALDEZ, "Minister of Women and Gender Equality"),
    }
    printed = refresh.format_diff(diff)
    assert "minister in (3):" in printed and "minister out (3):" in printed


def test_applying_the_shuffle_changes_exactly_those_portfolios(
    db_session: Session, tmp_path: Path
) -> None:
    _apply(db_session, tmp_path, SEPT, BEFORE)
    before = _holders(db_session)
    _apply(db_session, tmp_path, NOV, AFTER, AFTER_FR)
    after = _holders(db_session)
    changed = {slug for slug in after if before.get(slug, "new") != after[slug]}
    assert changed == {IMMIGRATION, HEALTH, WAGE, AI}
    assert (after[IMMIGRATION], after[HEALTH], after[WAGE], after[AI]) == (
        MICHEL,
        VALDEZ,
        None,
        SOLOMON,
    )
    portfolio = db_session.scalars(select(Portfolio).where(Portfolio.slug == IMMIGRATION)).one()
    assert (portfolio.holder_source, portfolio.holder_as_of) == ("hoc_ministries_2026-11-20", NOV)
    assert portfolio.holder_since == NOV
    industry = db_session.scalars(
        select(Portfolio).where(Portfolio.slug == "minister-of-industry")
    ).one()
    assert (industry.title_fr, industry.title_fr_source) == (
        "ministre de l'Industrie",
        "hoc_ministries_fr_2026-11-20",
    )
    # The ministerial office contact is not the refresh's to change.
    assert portfolio.office_person is not None
    assert portfolio.office_person.source == "demo:unverified"
    # Applying the same list again changes nothing.
    assert refresh.compute_diff(db_session, _folder(tmp_path, AFTER)).rows == []


def test_a_minister_who_is_not_a_member_is_refused_and_nothing_changes(
    db_session: Session, tmp_path: Path
) -> None:
    text = BEFORE.read_text(encoding="utf-8").replace(
        "<PersonId>110538</PersonId>", "<PersonId>999999</PersonId>"
    )
    parsed = ministry.parse_ministry_xml(text)
    diff = refresh.compute_diff(db_session, house_files.HouseSources(ministries=[parsed]))
    assert diff.refusals == ["ministry list: Rechie Valdez (#999999) is not a member we know"]
    before = _holders(db_session)
    with pytest.raises(SourceError, match="999999"):
        ministry_apply.apply_sources(db_session, [parsed], as_of=SEPT)
    assert _holders(db_session) == before


def test_a_holder_keeps_being_a_member_record_joined_on_the_person_id(
    db_session: Session, tmp_path: Path
) -> None:
    member = db_session.scalars(select(Person).where(Person.ourcommons_person_id == MICHEL)).one()
    member.full_name = "Someone Renamed"  # names are never used to join
    _apply(db_session, tmp_path, NOV, AFTER)
    portfolio = db_session.scalars(select(Portfolio).where(Portfolio.slug == IMMIGRATION)).one()
    assert portfolio.holder is member


def test_a_new_member_of_the_same_refresh_may_be_a_minister(
    db_session: Session, tmp_path: Path
) -> None:
    text = BEFORE.read_text(encoding="utf-8").replace(
        "<PersonId>110538</PersonId>", "<PersonId>999999</PersonId>"
    )
    parsed = ministry.parse_ministry_xml(text)
    newcomer = MemberRecord(999999, "", "Pat", "New", "Avalon", "", "Liberal", SEPT, None)
    sources = house_files.HouseSources(members=[newcomer], ministries=[parsed])
    refusals = refresh.compute_diff(db_session, sources).refusals
    assert not [r for r in refusals if r.startswith("ministry list")]
