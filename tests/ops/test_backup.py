"""A PostgreSQL backup restores to the same campaign: pg_dump, pg_restore, flask check-counts.

Runs only on PostgreSQL (``CALLMP_TEST_DATABASE_URL``), with the ``pg_dump`` and
``pg_restore`` that match the server's major version, as the README's procedure does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import make_url

from callmp.config import REPO_ROOT
from callmp.db import make_engine, make_session_factory
from callmp.demo import DEMO_SLUG
from callmp.models import Campaign, Channel, Outcome, Role, User
from callmp.stats import consistency
from callmp.stats.totals import totals
from tests.factories import add_event, demo_campaign, mp
from tests.support import old_release
from tests.support.app import engine, log_in, sessions
from tests.support.dashboard import headline

PG_URL = os.environ.get("CALLMP_TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not PG_URL.startswith("postgresql"),
    reason="backups are PostgreSQL's pg_dump/pg_restore: set CALLMP_TEST_DATABASE_URL",
)

TORONTO = "M5V 3L9"
OTTAWA = "K2P 1L4"


def pg_tool(name: str, database: Engine) -> str:
    """The ``pg_dump``/``pg_restore`` of the server's major version (else the one on PATH)."""
    with database.connect() as connection:
        version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    matching = Path(f"/usr/lib/postgresql/{version // 10000}/bin/{name}")
    found = str(matching) if matching.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed")
    return found


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump, psql) reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def add_activity(app: Flask) -> None:
    """Calls, letters and reported contacts, through the app where it can."""
    client = app.test_client()
    for n in range(3):
        response = client.post(
            f"/api/v1/campaigns/{DEMO_SLUG}/calls",
            json={"phone": f"613-555-01{n + 10}", "postal_code": TORONTO, "ref": "union"},
        )
        assert response.status_code == 202
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    for n in range(2):
        response = client.post(
            f"/api/v1/campaigns/{DEMO_SLUG}/emails",
            json={"name": f"Sam Lee {n}", "email": f"sam{n}@example.org", "postal_code": OTTAWA},
        )
        assert response.status_code == 202
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        spadina = mp(session, 35100)
        now = datetime.now(UTC)
        for minutes, outcome in ((5, Outcome.talked_to_staff), (90, Outcome.left_voicemail)):
            add_event(
                session,
                campaign,
                spadina,
                Channel.direct_call,
                outcome,
                office=spadina.offices[0],
                at=now - timedelta(minutes=minutes),
                referral="blog",
            )
        session.commit()


def dashboard_headline(app: Flask, campaign_id: int, user_id: int) -> dict[str, str]:
    """The dashboard's headline figures, seen by staff account ``user_id``."""
    client = app.test_client()
    with sessions(app)() as session:
        user = session.get(User, user_id)
        assert user is not None
        log_in(client, user)
    response = client.get(f"/admin/campaigns/{campaign_id}/dashboard")
    assert response.status_code == 200
    return headline(response.data)


def flask_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """``flask --app wsgi ARGS`` on ``database_url``, as an operator runs it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLMP_")}
    env.update(
        PYTHONPATH=str(REPO_ROOT), CALLMP_DATABASE_URL=database_url, CALLMP_SECRET_KEY="test"
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_dump_restores_to_the_same_counts_and_dashboard(
    make_app: Callable[..., Flask],
    database_url: str,
    empty_database_url: str,
    tmp_path: Path,
    staff_password_hash: str,
) -> None:
    original = make_app()
    add_activity(original)
    with sessions(original)() as session:
        organizer = User(
            email="org@example.org", role=Role.organizer, password_hash=staff_password_hash
        )
        session.add(organizer)
        session.commit()
        campaign_id = session.scalars(select(Campaign.id)).one()
        user_id = organizer.id
        assert consistency.check(session) == []
        before_totals = totals(session, campaign_id)
    assert before_totals.figures.reached > 0
    tables = old_release.columns(engine(original))
    before = old_release.snapshot(engine(original), tables)
    before_headline = dashboard_headline(original, campaign_id, user_id)

    dump = tmp_path / "callmp.dump"
    pg_dump = pg_tool("pg_dump", engine(original))
    dump_command = [pg_dump, "--format=custom", f"--file={dump}", libpq_url(database_url)]
    subprocess.run(dump_command, check=True, timeout=300)
    restored_engine = make_engine(empty_database_url)
    try:
        pg_restore = pg_tool("pg_restore", restored_engine)
        target = f"--dbname={libpq_url(empty_database_url)}"
        restore_command = [pg_restore, "--no-owner", "--exit-on-error", target, str(dump)]
        subprocess.run(restore_command, check=True, timeout=300)
        assert old_release.columns(restored_engine) == tables
        after = old_release.snapshot(restored_engine, tables)
        for table, rows in before.items():
            assert after[table] == rows, f"{table} differs in the restore"
        with make_session_factory(restored_engine)() as session:
            assert totals(session, campaign_id) == before_totals
    finally:
        restored_engine.dispose()

    checked = flask_cli("check-counts", database_url=empty_database_url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every running total equals its events" in checked.stdout

    restored = make_app(DATABASE_URL=empty_database_url)
    assert dashboard_headline(restored, campaign_id, user_id) == before_headline
    # The restore goes on counting: sequences and triggers came back with the data.
    response = restored.test_client().post(
        f"/api/v1/campaigns/{DEMO_SLUG}/calls",
        json={"phone": "613-555-0199", "postal_code": TORONTO},
    )
    assert response.status_code == 202
    with sessions(restored)() as session:
        assert consistency.check(session) == []
        assert totals(session, campaign_id).figures.reached > before_totals.figures.reached
