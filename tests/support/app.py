"""Helpers and constants for tests that drive the app: settings, services, queue, login.

Every test reaches the app's services through the accessors here (``call_service``,
``mail_service``, ``sessions``, ``engine``, ``counts_cache``), never through
``app.extensions[...]`` itself, so that how the app stores them can change in one place.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from cachetools import TTLCache
from flask import Flask
from flask.testing import FlaskClient
from huey.api import Huey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from callmp.calls.service import CallService
from callmp.config import REPO_ROOT
from callmp.letters.service import MailService
from callmp.models import User
from callmp.views.context import services
from callmp.views.counts import Counts
from tests.support.twilio_standin import TwilioStandIn

DATA_DIR = REPO_ROOT / "data"
TRANSLATIONS = REPO_ROOT / "callmp" / "translations"

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
    # Tests post many times from one address; the burst limit has tests of its own.
    "PUBLIC_WRITE_BURST": "100000 per minute",
    # No error reports from tests, whatever CALLMP_SENTRY_DSN the environment holds.
    "SENTRY_DSN": "",
}

#: The caller ID and public URL of the tests' Twilio-mode apps.
CALLER_ID = "+16135550199"
PUBLIC_URL = "https://callmp.example"

#: Huey's schedule holds naive UTC datetimes; reading it at this time returns every job.
FAR_FUTURE = datetime(2100, 1, 1)

#: The password of every account ``make_user`` creates.
STAFF_PASSWORD = "correct horse battery staple"


# -- The app's services --------------------------------------------------------------------


def call_service(app: Flask) -> CallService:
    """The app's click-to-call service."""
    return services(app).calls


def mail_service(app: Flask) -> MailService:
    """The app's mail service."""
    return services(app).mail


def sessions(app: Flask) -> sessionmaker[Session]:
    """The app's session factory."""
    return services(app).sessions


def engine(app: Flask) -> Engine:
    """The app's database engine."""
    return services(app).engine


def counts_cache(app: Flask) -> TTLCache[tuple[str, str, bool], Counts]:
    """The app's cache of public counters (the app must have caching on)."""
    cache: TTLCache[tuple[str, str, bool], Counts] | None
    cache, _lock = app.extensions["callmp.counts"]
    if cache is None:
        raise LookupError("this app counts on every request: it has no cache")
    return cache


# -- Settings, queue and login -------------------------------------------------------------


def twilio_settings(standin: TwilioStandIn, **overrides: Any) -> dict[str, Any]:
    """Settings for an app in Twilio mode whose REST calls go to ``standin``."""
    settings: dict[str, Any] = {
        "TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": standin.account_sid,
        "TWILIO_AUTH_TOKEN": standin.auth_token,
        "TWILIO_API_BASE_URL": standin.base_url,
        "TWILIO_FROM_NUMBER": CALLER_ID,
        "PUBLIC_URL": PUBLIC_URL,
        # These tests are about calls; their letters go to the test's outbox folder.
        "ALLOW_LOCAL_MAIL": True,
    }
    return {**settings, **overrides}


def run_scheduled(huey: Huey, name: str | None = None) -> int:
    """Run every job in the queue's schedule (named ``name`` if given) now; how many ran.

    The tests' queue runs jobs inline, and a retry lands in the schedule.
    """
    tasks = [task for task in huey.read_schedule(FAR_FUTURE) if name in (None, task.name)]
    for task in tasks:
        huey.execute(task, timestamp=FAR_FUTURE)
    return len(tasks)


def run_queued(huey: Huey) -> int:
    """Run every job waiting in a real queue (SQLite or Redis) now, in this process, as a
    worker would; how many ran. A no-op for the inline queue, which never holds any."""
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def log_in(client: FlaskClient, user: User) -> None:
    """Make ``client`` logged in as ``user`` (as Flask-Login records it in the session).

    The login form itself is tested in tests/views/admin/test_login.py; this skips its
    0.1 s hash check.
    """
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = f"{user.id}:{user.session_token}"
        flask_session["_fresh"] = True


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
