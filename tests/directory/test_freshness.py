"""Which data is loaded and how old it is: releases recorded at import, the newest read."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.config import ConfigError, load_config
from callmp.db import make_engine, make_session_factory
from callmp.directory import data_import, freshness
from callmp.models import DataRelease, Person
from callmp.ops import prepare
from tests.support.app import DATA_DIR


def _dates(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle) if row[column]}


def _releases(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DataRelease)) or 0


def test_shipped_date_is_the_oldest_of_roster_and_offices() -> None:
    roster = _dates(DATA_DIR / "mps.csv", "roster_as_of")
    offices = _dates(DATA_DIR / "offices.csv", "as_of")
    expected = min(date.fromisoformat(day) for day in roster | offices)
    assert freshness.shipped_as_of(DATA_DIR) == expected
    # The shipped roster is newer than the addresses page: the page's date wins.
    assert expected == min(date.fromisoformat(day) for day in offices)
    assert expected < max(date.fromisoformat(day) for day in roster)


def test_the_test_database_records_its_shipped_load(db_session: Session) -> None:
    # The test database is built like `flask setup`: one shipped release, dated by the files.
    assert _releases(db_session) == 1
    found = freshness.current(db_session, date(2026, 12, 6))
    assert found is not None
    assert found.kind == freshness.SHIPPED
    assert found.source == freshness.SHIPPED_SOURCE
    assert found.as_of == freshness.shipped_as_of(DATA_DIR)
    assert found.age_days == (date(2026, 12, 6) - found.as_of).days


def test_importing_the_same_files_again_adds_no_release(db_session: Session) -> None:
    report = data_import.import_all(db_session, DATA_DIR)
    again = freshness.record_shipped(db_session, DATA_DIR, report)
    assert again is not None and again.kind == freshness.SHIPPED
    assert _releases(db_session) == 1


def _newer_files(tmp_path: Path) -> Path:
    """A copy of the shipped files dated 2026-12-01 (a newer CallMP release)."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    for name, column in (("mps.csv", "roster_as_of"), ("offices.csv", "as_of")):
        path = data / name
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row[column] = "2026-12-01"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return data


def test_new_shipped_files_add_a_release(db_session: Session, tmp_path: Path) -> None:
    data = _newer_files(tmp_path)
    report = data_import.import_all(db_session, data)
    later = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    release = freshness.record_shipped(db_session, data, report, now=later)
    assert release is not None and release.as_of == date(2026, 12, 1)
    assert _releases(db_session) == 2
    found = freshness.current(db_session, date(2026, 12, 6))
    assert found is not None and (found.as_of, found.age_days) == (date(2026, 12, 1), 5)


def test_a_refresh_is_read_when_newest(db_session: Session) -> None:
    later = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    freshness.record_release(
        db_session,
        kind=freshness.REFRESH,
        source="House of Commons (ourcommons.ca)",
        as_of=date(2026, 12, 3),
        now=later,
    )
    found = freshness.current(db_session, date(2026, 12, 6))
    assert found is not None
    assert (found.kind, found.as_of, found.age_days) == (freshness.REFRESH, date(2026, 12, 3), 3)
    # Re-importing unchanged shipped files (a restart's `flask prepare`) keeps the refresh.
    report = data_import.import_all(db_session, DATA_DIR)
    assert freshness.record_shipped(db_session, DATA_DIR, report) is not None
    assert _releases(db_session) == 2
    assert freshness.newest(db_session) is not None
    assert freshness.newest(db_session).kind == freshness.REFRESH  # type: ignore[union-attr]


def test_an_import_that_puts_shipped_values_back_after_a_refresh_is_recorded(
    db_session: Session,
) -> None:
    freshness.record_release(
        db_session,
        kind=freshness.REFRESH,
        source="House of Commons (ourcommons.ca)",
        as_of=date(2026, 12, 3),
        now=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
    )
    # The refresh changed a party; the shipped files say otherwise and win on import.
    person = db_session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
    person.party = "Green"
    db_session.flush()
    report = data_import.import_all(db_session, DATA_DIR)
    freshness.record_shipped(db_session, DATA_DIR, report, now=datetime(2026, 12, 4, tzinfo=UTC))
    found = freshness.current(db_session, date(2026, 12, 6))
    assert found is not None
    assert (found.kind, found.as_of) == (freshness.SHIPPED, freshness.shipped_as_of(DATA_DIR))


def test_no_release_without_dated_files(db_session: Session, tmp_path: Path) -> None:
    assert freshness.shipped_as_of(tmp_path) is None
    empty = data_import.ImportReport()
    assert freshness.record_shipped(db_session, tmp_path, empty) is None


@pytest.mark.parametrize(
    ("setting", "days"), [("90", 90), ("", 0), ("0", 0), (None, 0), (30, 30), (" 7 ", 7)]
)
def test_max_age_setting(setting: object, days: int) -> None:
    assert freshness.max_age_days(setting) == days


@pytest.mark.parametrize("setting", ["-1", "ninety", "1.5", "²", "9999999"])
def test_max_age_setting_refuses_anything_else(setting: str) -> None:
    with pytest.raises(ValueError, match="DATA_MAX_AGE_DAYS"):
        freshness.max_age_days(setting)


def test_stale_only_past_the_age_and_never_when_disabled() -> None:
    def aged(days: int) -> freshness.Freshness:
        return freshness.Freshness(
            kind=freshness.SHIPPED,
            source=freshness.SHIPPED_SOURCE,
            as_of=date(2026, 9, 2),
            loaded_at=datetime(2026, 9, 30, tzinfo=UTC),
            age_days=days,
        )

    assert not freshness.is_stale(aged(90), 90)
    assert freshness.is_stale(aged(91), 90)
    assert not freshness.is_stale(aged(500), 0)
    assert not freshness.is_stale(None, 90)


def test_prepare_records_the_shipped_load_once(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        sessions = make_session_factory(engine)
        prepare.prepare(engine, sessions, DATA_DIR)
        prepare.prepare(engine, sessions, DATA_DIR)
        with sessions() as session:
            assert _releases(session) == 1
            found = freshness.current(session, date(2026, 12, 6))
            assert found is not None and found.as_of == freshness.shipped_as_of(DATA_DIR)
    finally:
        engine.dispose()


def test_import_data_command_records_the_shipped_load_once(app: Flask, session: Session) -> None:
    for _ in range(2):
        result = app.test_cli_runner().invoke(args=["import-data"])
        assert result.exit_code == 0, result.output
    # The test database was built with its own load; importing the same files adds none.
    assert _releases(session) == 1


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("DATA_MAX_AGE_DAYS", "", True),
        ("DATA_MAX_AGE_DAYS", "0", True),
        ("DATA_MAX_AGE_DAYS", "120", True),
        ("DATA_MAX_AGE_DAYS", "ninety", False),
        ("DATA_MAX_AGE_DAYS", "-5", False),
        ("DATA_REFRESH_CHECK", "weekly", True),
        ("DATA_REFRESH_CHECK", "hourly", False),
        ("HOUSE_BASE_URL", "http://127.0.0.1:8080", True),
        ("HOUSE_BASE_URL", "ftp://www.ourcommons.ca", False),
        ("HOUSE_FETCH_TIMEOUT_S", "0", False),
        ("HOUSE_FETCH_DELAY_S", "-1", False),
        ("HOUSE_FETCH_MAX_BYTES", "0", False),
    ],
)
def test_data_settings_are_checked_at_startup(name: str, value: str, accepted: bool) -> None:
    environ = {"CALLMP_" + name: value}
    if accepted:
        assert load_config(environ=environ)[name] is not None
    else:
        with pytest.raises(ConfigError, match="CALLMP_" + name):
            load_config(environ=environ)


def test_the_defaults_warn_after_90_days_and_schedule_no_check() -> None:
    config = load_config(environ={})
    assert freshness.max_age_days(config["DATA_MAX_AGE_DAYS"]) == 90
    assert config["DATA_REFRESH_CHECK"] == "off"
    assert config["HOUSE_BASE_URL"] == "https://www.ourcommons.ca"


def test_after_a_refresh_the_same_shipped_files_are_not_imported_again(
    db_session: Session, tmp_path: Path
) -> None:
    refreshed = freshness.record_release(
        db_session, kind=freshness.REFRESH, source="House of Commons", as_of=date(2026, 11, 2)
    )
    person = db_session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
    person.party = "Green"  # what the refresh applied
    db_session.flush()
    skipped = freshness.import_shipped(db_session, DATA_DIR)
    assert (skipped.report, skipped.superseded_by) == (None, refreshed)
    assert "--force" in skipped.summary()
    assert person.party == "Green"
    # A newer release of the files is newer than the refresh's load: it is imported.
    assert freshness.superseding_refresh(db_session, _newer_files(tmp_path)) is None
    forced = freshness.import_shipped(db_session, DATA_DIR, force=True)
    assert forced.report is not None and forced.superseded_by is None
    db_session.refresh(person)
    assert person.party == "Conservative"
    assert freshness.newest(db_session) is not None
    assert freshness.newest(db_session).kind == freshness.SHIPPED  # type: ignore[union-attr]
