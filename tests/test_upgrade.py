"""Upgrading from a previous release's schema, with that release's data, migrates cleanly.

A release is every landed CI stop. Its schema is the migration head it shipped with; the
heads of past releases are listed in ``PREVIOUS_RELEASES``. When a release ships a new
migration, add the head it replaced (the one before it) to the list: the newest entry is
the schema the next upgrade starts from.

The data is written with plain SQL valid at each of these revisions (see
``tests/support/old_release.py``), as the old code left it, so the test does not depend on
today's models.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine

from callmp import create_app, migrate
from callmp.db import make_engine
from callmp.stats.totals import Figures
from callmp.views.context import services
from tests.support import old_release
from tests.support.app import TEST_SETTINGS
from tests.support.app import engine as app_engine
from tests.support.dashboard import headline
from tests.support.html import one, parse, text

#: Schema heads of releases before this one, oldest first. 0013 is the release just
#: before 0014 (the latest schema change), 0012 the one before it; 0010 is older and runs
#: 0011, which rebuilds the targets and people tables on SQLite while other tables point
#: at them.
PREVIOUS_RELEASES = ("0010", "0012", "0013", "0014")


@pytest.fixture
def old_database(empty_database_url: str) -> Iterator[Engine]:
    """An engine on this test's empty database."""
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    """Apps built by the test, closed at the end."""
    built: list[Flask] = []
    yield built
    for application in built:
        app_engine(application).dispose()
        services(application).probe_engine.dispose()


def expected_headline() -> dict[str, str]:
    """The headline figures the old release's events make."""
    figures = Figures()
    for event in old_release.EVENTS:
        channel, outcome, duration = event[4], event[5], event[6]
        figures.add(channel, outcome, 1, duration or 0)
    return {
        "Contacts made": str(figures.reached),
        "Calls": str(figures.calls_reached),
        "Emails": str(figures.emails_reached),
        "Verified": str(figures.verified),
        "Self-reported": str(figures.self_reported),
        "Minutes on bridged calls": str(figures.duration_s // 60),
        "Goal": str(old_release.GOAL),
    }


def current(engine: Engine) -> set[str]:
    """The database's current revisions."""
    return migrate.revisions(engine)[0]


@pytest.mark.parametrize("revision", PREVIOUS_RELEASES)
def test_a_previous_release_with_data_upgrades_cleanly(
    revision: str,
    old_database: Engine,
    empty_database_url: str,
    apps: list[Flask],
    tmp_path: Path,
) -> None:
    migrate.upgrade(old_database, revision)
    old_release.fill(old_database, revision)
    old_columns = old_release.columns(old_database)
    before = old_release.snapshot(old_database, old_columns)
    assert len(before["contact_events"]) == len(old_release.EVENTS)
    assert before["counts_by_office"], "the old release's triggers kept running totals"

    migrate.upgrade(old_database)

    _current, heads = migrate.revisions(old_database)
    assert current(old_database) == heads
    after = old_release.snapshot(old_database, old_columns)
    for table, rows in before.items():
        assert after[table] == rows, f"{table} changed in the upgrade"

    settings = {**TEST_SETTINGS, "DATABASE_URL": empty_database_url}
    app = create_app({**settings, "MAIL_OUTBOX": str(tmp_path / "outbox")})
    apps.append(app)
    checked = app.test_cli_runner().invoke(args=["check-counts"])
    assert checked.exit_code == 0, checked.output
    assert "every running total equals its events" in checked.output

    client = app.test_client()
    page = client.get(f"/c/{old_release.SLUG}")
    assert page.status_code == 200
    assert text(one(parse(page.data), "h1")) == old_release.TITLE
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = "2:o2"  # the old release's organizer and session token
    dashboard = client.get("/admin/campaigns/1/dashboard")
    assert dashboard.status_code == 200
    assert headline(dashboard.data) == expected_headline()


@pytest.mark.parametrize("revision", PREVIOUS_RELEASES)
def test_downgrading_to_a_previous_release_and_up_again_keeps_the_data(
    revision: str, old_database: Engine
) -> None:
    migrate.upgrade(old_database, revision)
    old_release.fill(old_database, revision)
    old_columns = old_release.columns(old_database)
    before = old_release.snapshot(old_database, old_columns)
    migrate.upgrade(old_database)
    migrate.downgrade(old_database, revision)
    assert current(old_database) == {revision}
    assert old_release.columns(old_database) == old_columns
    assert old_release.snapshot(old_database, old_columns) == before
    migrate.upgrade(old_database)
    assert old_release.snapshot(old_database, old_columns) == before
