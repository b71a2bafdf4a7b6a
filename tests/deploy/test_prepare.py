"""The entrypoint's first step (``flask prepare``): migrate and import once, change nothing
when repeated, take turns under a lock, never seed the demo unless asked.

Runs on SQLite, and on PostgreSQL when CALLMP_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from callmp import migrate
from callmp.db import make_engine, make_session_factory
from callmp.directory import freshness
from callmp.models import Campaign, Office, Person, Riding
from callmp.ops import prepare
from tests.support.deploy import ROOT, process_environment
from tests.support.redis_server import free_port

DATA_DIR = ROOT / "data"


class FakeClock:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds


def shipped_counts() -> dict[str, int]:
    """Rows the shipped data files hold: ridings, sitting MPs, offices."""

    def rows(name: str) -> list[dict[str, str]]:
        with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    return {
        "ridings": len(rows("ridings.csv")),
        "members": sum(1 for row in rows("mps.csv") if row["seat_status"] == "occupied"),
        "offices": len(rows("offices.csv")),
    }


def database_state(engine: Engine) -> dict[str, object]:
    """Row counts and the schema's revision."""
    with engine.connect() as connection:

        def count(model: type) -> int:
            return int(connection.scalar(select(func.count()).select_from(model)) or 0)

        return {
            "ridings": count(Riding),
            "people": count(Person),
            "offices": count(Office),
            "campaigns": count(Campaign),
            "revisions": sorted(
                connection.scalars(text("SELECT version_num FROM alembic_version")).all()
            ),
        }


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    """An engine on the fresh, empty database."""
    made = make_engine(fresh_database_url)
    yield made
    made.dispose()


def run_prepare(engine: Engine, **options: object) -> prepare.PrepareReport:
    return prepare.prepare(engine, make_session_factory(engine), DATA_DIR, **options)  # type: ignore[arg-type]


def test_prepare_twice_migrates_and_imports_once_then_changes_nothing(engine: Engine) -> None:
    _current, heads = migrate.revisions(engine)
    first = run_prepare(engine)
    assert first.before == frozenset() and first.after == frozenset(heads)
    assert first.data.report is not None
    assert first.data.report.created == shipped_counts()
    after_first = database_state(engine)

    second = run_prepare(engine)
    assert not second.migrated and second.after == frozenset(heads)
    imported = second.data.report
    assert imported is not None
    assert (imported.created, imported.updated, imported.removed) == ({}, {}, {})
    assert imported.unchanged == shipped_counts()
    assert database_state(engine) == after_first
    assert after_first["revisions"] == sorted(heads)
    assert second.lines()[0] == f"database already at {', '.join(sorted(heads))}"


def test_prepare_seeds_the_demo_only_when_asked(engine: Engine) -> None:
    run_prepare(engine)
    assert database_state(engine)["campaigns"] == 0
    report = run_prepare(engine, seed_demo=True)
    assert database_state(engine)["campaigns"] == 1
    assert report.lines()[-1] == f"demo campaign: /c/{report.demo_slug}"


def test_prepare_waits_for_a_held_lock_then_gives_up_without_touching_the_schema(
    engine: Engine,
) -> None:
    clock = FakeClock()
    with (
        prepare.prepare_lock(engine, 0),
        pytest.raises(prepare.PrepareError, match="another prepare held"),
    ):
        run_prepare(engine, lock_timeout_s=5, sleep=clock.sleep, clock=clock)
    assert clock.sleeps >= 5 / prepare.POLL_S - 1
    assert inspect(engine).get_table_names() == []


def test_prepare_releases_its_lock(engine: Engine) -> None:
    run_prepare(engine)
    with prepare.prepare_lock(engine, 0):
        pass


def test_an_unreachable_database_is_waited_for_then_named_without_its_password() -> None:
    clock = FakeClock()
    url = f"postgresql+psycopg://callmp:s3cret-pw@127.0.0.1:{free_port()}/callmp"
    unreachable = make_engine(url)
    try:
        with pytest.raises(prepare.PrepareError) as raised:
            prepare.wait_for_database(unreachable, 3, sleep=clock.sleep, clock=clock)
    finally:
        unreachable.dispose()
    assert str(raised.value) == "the database did not answer within 3 seconds"
    assert clock.now >= 3


def test_prepare_command_reports_a_prepared_database_unchanged(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["prepare", "--wait", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("database already at ")
    assert lines[1].startswith("data: unchanged: ")


@pytest.mark.real_clock("two flask processes see the real clock")
def test_two_prepares_started_together_leave_one_copy_of_the_data(
    fresh_database_url: str, state_dir: Path
) -> None:
    env = process_environment(
        {
            "CALLMP_DATABASE_URL": fresh_database_url,
            "CALLMP_SECRET_KEY": "test-secret",
            "CALLMP_QUEUE_PATH": str(state_dir / "queue.sqlite3"),
            "CALLMP_MAIL_OUTBOX": str(state_dir / "outbox"),
        }
    )
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "prepare", "--wait", "10"]
    started = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=180) for process in started]
    assert [process.returncode for process in started] == [0, 0], [err for _, err in outputs]
    firsts = sorted(out.splitlines()[0].split(" to ")[0].split(" at ")[0] for out, _ in outputs)
    # One migrated the empty database; the other waited for the lock and found it done.
    assert firsts == ["database already", "database migrated from empty"]
    engine = make_engine(fresh_database_url)
    try:
        state = database_state(engine)
        _current, heads = migrate.revisions(engine)
    finally:
        engine.dispose()
    shipped = shipped_counts()
    assert state["ridings"] == shipped["ridings"]
    assert state["offices"] == shipped["offices"]
    assert state["people"] == shipped["members"]
    assert state["revisions"] == sorted(heads)


def test_prepare_after_a_refresh_keeps_the_refreshed_data(engine: Engine) -> None:
    """A container start must not put the shipped files' older values back over what a
    refresh applied; a newer release of the files is imported again."""
    run_prepare(engine)
    with make_session_factory(engine)() as session:
        mp = session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
        mp.party = "Independent"
        freshness.record_release(
            session,
            kind=freshness.REFRESH,
            source="House of Commons web site",
            as_of=date(2026, 11, 2),
        )
        session.commit()
    again = run_prepare(engine)
    assert again.data.report is None and again.data.superseded_by is not None
    assert "shipped data not imported" in again.lines()[1]
    with make_session_factory(engine)() as session:
        mp = session.scalars(select(Person).where(Person.ourcommons_person_id == 89156)).one()
        assert mp.party == "Independent"
