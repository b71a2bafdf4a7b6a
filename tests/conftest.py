"""Fixtures: a real database per test (SQLite file, or PostgreSQL when a URL is given).

The schema is migrated and the shipped data imported once per test session into a
template; each test then gets its own copy, so tests never see each other's writes.
Set ``CALLMP_TEST_DATABASE_URL=postgresql+psycopg://user@host/dbname`` to run the suite on
PostgreSQL (the user needs the right to create databases).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from huey.api import Huey
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from callmp import accounts, create_app, demo
from callmp.calls.service import CallService
from callmp.config import REPO_ROOT
from callmp.directory.postal_index import PostalIndex, get_index
from callmp.models import Role, User
from tests.support.smtp_peer import smtp_peer, tls_ca  # noqa: F401 - fixtures for every test file
from tests.support.twilio_standin import TwilioStandIn

DATA_DIR = REPO_ROOT / "data"
TRANSLATIONS = REPO_ROOT / "callmp" / "translations"
PG_URL = os.environ.get("CALLMP_TEST_DATABASE_URL", "")


def build_database(url: str) -> None:
    """Migrate an empty database, import the shipped data and seed the demo campaign."""
    demo.prepare_database(url, DATA_DIR)


class SqliteDatabases:
    """A template SQLite file, copied for each test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.sqlite3"
        build_database(f"sqlite:///{self.template}")

    def new(self, empty: bool = False) -> str:
        """The URL of a fresh database (a copy of the template unless ``empty``)."""
        path = self.root / f"{uuid.uuid4().hex}.sqlite3"
        if not empty:
            shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Delete a test database file."""
        Path(make_url(url).database or "").unlink(missing_ok=True)


class PostgresDatabases:
    """A template PostgreSQL database, cloned with CREATE DATABASE ... TEMPLATE per test."""

    def __init__(self, url: str) -> None:
        self.base = make_url(url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.template = f"callmp_tmpl_{uuid.uuid4().hex[:8]}"
        self._execute(f'CREATE DATABASE "{self.template}"')
        build_database(self._url(self.template))

    def _url(self, name: str) -> str:
        """The URL of database ``name`` on the same server."""
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        """Run one statement outside a transaction."""
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def new(self, empty: bool = False) -> str:
        """The URL of a fresh database (a clone of the template unless ``empty``)."""
        name = f"callmp_t_{uuid.uuid4().hex[:12]}"
        template = "template0" if empty else self.template
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        """Drop a test database, retrying while a server process still holds it.

        FORCE ends our own leftover connections, but not those of other roles, such as an
        autovacuum worker that happened to start on the fresh clone; those end on their own.
        """
        statement = f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
        for attempt in range(20):
            try:
                self._execute(statement)
                return
            except DBAPIError:
                if attempt == 19:
                    raise
                time.sleep(0.25)

    def close(self) -> None:
        """Drop the template and release the admin connection."""
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()


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


#: A Wednesday at 19:00 UTC: 11:00 in Vancouver, 15:30 in St. John's; all offices open.
OFFICES_OPEN = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)

#: Settings every test app gets: its own database, inline queue, fictional numbers allowed.
TEST_SETTINGS: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "DATA_DIR": str(DATA_DIR),
    "QUEUE": "immediate",
    "ALLOW_FICTIONAL_PHONES": True,
    "CALLS_PER_SECOND": 1000.0,
}


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
        application.extensions["callmp.calls"].clock = lambda: OFFICES_OPEN
        built.append(application)
        return application

    yield build
    for application in built:
        application.extensions["callmp.calls"].close()
        application.extensions["callmp.mail"].close()
        application.extensions["callmp.engine"].dispose()


#: The caller ID and public URL of the tests' Twilio-mode apps.
CALLER_ID = "+16135550199"
PUBLIC_URL = "https://callmp.example"


@pytest.fixture
def standin() -> Iterator[TwilioStandIn]:
    """The Twilio REST stand-in on loopback."""
    with TwilioStandIn() as server:
        yield server


def twilio_settings(standin: TwilioStandIn, **overrides: Any) -> dict[str, Any]:
    """Settings for an app in Twilio mode whose REST calls go to ``standin``."""
    settings: dict[str, Any] = {
        "TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": standin.account_sid,
        "TWILIO_AUTH_TOKEN": standin.auth_token,
        "TWILIO_API_BASE_URL": standin.base_url,
        "TWILIO_FROM_NUMBER": CALLER_ID,
        "PUBLIC_URL": PUBLIC_URL,
    }
    return {**settings, **overrides}


#: Huey's schedule holds naive UTC datetimes; reading it at this time returns every job.
FAR_FUTURE = datetime(2100, 1, 1)


def run_scheduled(huey: Huey, name: str | None = None) -> int:
    """Run every job in the queue's schedule (named ``name`` if given) now; how many ran.

    The tests' queue runs jobs inline, and a retry lands in the schedule.
    """
    tasks = [task for task in huey.read_schedule(FAR_FUTURE) if name in (None, task.name)]
    for task in tasks:
        huey.execute(task, timestamp=FAR_FUTURE)
    return len(tasks)


def call_service(app: Flask) -> CallService:
    """The app's click-to-call service."""
    service: CallService = app.extensions["callmp.calls"]
    return service


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
    with app.extensions["callmp.sessions"]() as db_session:
        yield db_session


#: The password of every account ``make_user`` creates.
STAFF_PASSWORD = "correct horse battery staple"


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
        with app.extensions["callmp.sessions"](expire_on_commit=False) as db_session:
            user = User(email=address, role=role, password_hash=staff_password_hash, **fields)
            db_session.add(user)
            db_session.commit()
            return user

    return build


def log_in(client: FlaskClient, user: User) -> None:
    """Make ``client`` logged in as ``user`` (as Flask-Login records it in the session).

    The login form itself is tested in test_views_auth; this skips its 0.1 s hash check.
    """
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = f"{user.id}:{user.session_token}"
        flask_session["_fresh"] = True


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


def compile_catalogues(root: Path = TRANSLATIONS) -> list[Path]:
    """Compile each ``messages.po`` under ``root`` whose ``.mo`` is missing or older.

    Does what ``pybabel compile -d callmp/translations`` does (fuzzy entries are left out),
    in-process, writing through a temporary file so a half-written ``.mo`` is never read.
    Returns the ``.mo`` files it wrote.
    """
    written: list[Path] = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        tmp_path = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
        try:
            with tmp_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            tmp_path.replace(mo_path)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """The app loads ``.mo`` files, which git ignores: build them in a fresh clone."""
    compile_catalogues()
