"""Fixtures: a real database per test (SQLite file, or PostgreSQL when a URL is given).

The schema is migrated and the shipped data imported once per test session into a
template; each test then gets its own copy, so tests never see each other's writes.
Set ``CALLMP_TEST_DATABASE_URL=postgresql+psycopg://user@host/dbname`` to run the suite on
PostgreSQL (the user needs the right to create databases).

Helpers and constants live in ``tests/support`` (``tests.support.app`` for the app's
services, settings and login), test data in ``tests/factories.py``; this file holds only
fixtures. Domain tests take ``db_session`` (a session straight on the test database, no
app); tests that drive the app take ``app``, ``client`` and ``session``.

A fake clock for the whole run: set ``CALLMP_TEST_FAKE_NOW`` to an ISO 8601 instant with
an offset and every test runs with "now" starting there (``time_machine.travel`` with
``tick=True``: time still moves forward from it), e.g.::

    CALLMP_TEST_FAKE_NOW=2026-11-01T06:30:00+00:00 .venv/bin/pytest -q

Tests marked ``real_clock`` (a headless Chromium or a subprocess, which see the real
clock, not ours) are skipped under a fake clock, with the reason given in the marker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp import accounts, create_app
from callmp.db import make_engine, make_session_factory
from callmp.directory.postal_index import PostalIndex, get_index
from callmp.models import Campaign, Role, User
from callmp.views.context import services
from tests.factories import demo_campaign
from tests.support.app import (
    DATA_DIR,
    OFFICES_OPEN,
    STAFF_PASSWORD,
    TEST_SETTINGS,
    call_service,
    compile_catalogues,
    log_in,
    sessions,
)
from tests.support.clock import clock_stopped
from tests.support.databases import PostgresDatabases, SqliteDatabases
from tests.support.redis_server import redis_server
from tests.support.twilio_standin import TwilioStandIn

# The SMTP peer's fixtures (``smtp_peer``, ``tls_ca``), for every test file; apps that
# share what every app compiles the same (tests/support/app_reuse.py).
pytest_plugins = ["tests.support.smtp_peer", "tests.support.app_reuse"]

PG_URL = os.environ.get("CALLMP_TEST_DATABASE_URL", "")
FAKE_NOW = os.environ.get("CALLMP_TEST_FAKE_NOW", "")

_traveller: Any = None


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``real_clock`` marker; start the fake clock when one is asked for."""
    global _traveller
    config.addinivalue_line(
        "markers", "real_clock(reason): needs the real clock; skipped under CALLMP_TEST_FAKE_NOW"
    )
    if FAKE_NOW and _traveller is None:
        start = datetime.fromisoformat(FAKE_NOW)
        if start.tzinfo is None:
            raise pytest.UsageError("CALLMP_TEST_FAKE_NOW needs an offset, e.g. +00:00")
        _traveller = time_machine.travel(start, tick=True)
        _traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the fake clock."""
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config: pytest.Config) -> str:
    """Say which clock the run uses."""
    return f"clock: fake, from {FAKE_NOW}" if FAKE_NOW else "clock: real"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under a fake clock, skip the tests that can only see the real one."""
    if not FAKE_NOW:
        return
    for item in items:
        marker = item.get_closest_marker("real_clock")
        if marker is not None:
            reason = marker.args[0] if marker.args else "needs the real clock"
            item.add_marker(pytest.mark.skip(reason=f"under CALLMP_TEST_FAKE_NOW: {reason}"))


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The per-session database template for the chosen backend."""
    if PG_URL:
        pg = PostgresDatabases(PG_URL)
        yield pg
        pg.close()
    else:
        yield SqliteDatabases(tmp_path_factory.mktemp("db"))


@pytest.fixture
def database_url(databases: Any) -> Iterator[str]:
    """A fresh database with the schema, the shipped data and the demo campaign."""
    url: str = databases.new()
    yield url
    databases.drop(url)


@pytest.fixture
def empty_database_url(databases: Any) -> Iterator[str]:
    """A fresh database with no tables at all."""
    url: str = databases.new(empty=True)
    yield url
    databases.drop(url)


@pytest.fixture(scope="session")
def redis_session_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``redis-server`` on loopback, one per test process."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(redis_session_url: str) -> Iterator[str]:
    """The test Redis server's URL, emptied before each test that uses it."""
    client = redis.Redis.from_url(redis_session_url)
    client.flushall()
    client.close()
    yield redis_session_url


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    """The folder this test's local mail backend writes to."""
    return tmp_path / "outbox"


@pytest.fixture
def make_app(database_url: str, outbox: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's database with extra settings; closed at the end."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        settings = {**TEST_SETTINGS, "DATABASE_URL": database_url, "MAIL_OUTBOX": str(outbox)}
        application = create_app({**settings, **overrides})
        # Offices' hours decide between a conversation and a voicemail: fix "now" to a
        # weekday afternoon when every office in the country is open.
        call_service(application).clock = lambda: OFFICES_OPEN
        built.append(application)
        return application

    yield build
    for application in built:
        services(application).close()


@pytest.fixture
def standin() -> Iterator[TwilioStandIn]:
    """The Twilio REST stand-in on loopback."""
    with TwilioStandIn() as server:
        yield server


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app on its own database (local telephony, inline queue)."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session on the app's database."""
    with sessions(app)() as db_session:
        yield db_session


@pytest.fixture(scope="session")
def staff_password_hash() -> str:
    """One Argon2 hash for every test account (hashing costs about 0.1 s)."""
    return accounts.hash_password(STAFF_PASSWORD)


@pytest.fixture
def make_user(app: Flask, staff_password_hash: str) -> Callable[..., User]:
    """Create a staff account with ``role`` (password ``STAFF_PASSWORD``); returns it detached."""
    made: dict[str, int] = {}

    def build(role: Role | str = Role.admin, email: str | None = None, **fields: Any) -> User:
        role = Role(role)
        made[role] = made.get(role, 0) + 1
        address = email or f"{role.value}{made[role]}@staff.example"
        with sessions(app)(expire_on_commit=False) as db_session:
            user = User(email=address, role=role, password_hash=staff_password_hash, **fields)
            db_session.add(user)
            db_session.commit()
            return user

    return build


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Log ``client`` in as a new account with ``role``; returns the account."""

    def login(role: Role | str = Role.admin, **fields: Any) -> User:
        user = make_user(role, **fields)
        log_in(client, user)
        return user

    return login


@pytest.fixture(scope="session")
def index() -> PostalIndex:
    """The shipped postal-code tables."""
    return get_index(DATA_DIR)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """The app loads ``.mo`` files, which git ignores: build them in a fresh clone."""
    compile_catalogues()


@pytest.fixture
def db_session(database_url: str) -> Iterator[Session]:
    """A session straight on this test's database, with no app: for domain tests."""
    bound = make_engine(database_url)
    try:
        with make_session_factory(bound)() as db:
            yield db
    finally:
        bound.dispose()


@pytest.fixture
def campaign(db_session: Session) -> Campaign:
    """The demo campaign (own MP, then the Minister) on ``db_session``."""
    return demo_campaign(db_session)


@pytest.fixture
def stopped_clock() -> Iterator[datetime]:
    """ "Now" stays put for the whole test: limits counted per clock hour then cannot reset
    half-way through it, whenever the test runs."""
    with clock_stopped() as now:
        yield now
