"""Make a database ready to serve: migrate it and import the shipped data, under one lock.

The container's entrypoint and ``callmp-prepare.service`` run this before the web server
and the queue worker start. It is safe to repeat (a second run finds nothing to do) and
safe when several processes start at the same moment: a PostgreSQL advisory lock, or a
file lock beside a SQLite database, lets one of them work while the others wait, and the
others then find nothing to do. It never seeds the demo campaign unless asked. No Flask.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callmp import demo, migrate
from callmp.db import analyze
from callmp.directory import freshness

#: The PostgreSQL advisory lock's key: "CALLMP" read as a number (any fixed bigint would do,
#: as long as nothing else on the server uses it).
ADVISORY_LOCK_KEY = int.from_bytes(b"CALLMP", "big")

#: Seconds between two tries at the lock or at the database.
POLL_S = 0.2

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class PrepareError(RuntimeError):
    """The database did not answer, or another prepare held the lock, for too long."""


@dataclass(frozen=True)
class PrepareReport:
    """What a prepare did: the revisions before and after, the import, the demo."""

    before: frozenset[str]
    after: frozenset[str]
    data: freshness.ShippedImport
    demo_slug: str | None = None

    @property
    def migrated(self) -> bool:
        """True when the schema changed."""
        return self.before != self.after

    def lines(self) -> list[str]:
        """One line per step, for the command's output."""
        shown = ", ".join(sorted(self.after)) or "none"
        if self.migrated:
            was = ", ".join(sorted(self.before)) or "empty"
            schema = f"database migrated from {was} to {shown}"
        else:
            schema = f"database already at {shown}"
        lines = [schema, f"data: {self.data.summary()}"]
        if self.demo_slug is not None:
            lines.append(f"demo campaign: /c/{self.demo_slug}")
        return lines


def wait_for_database(
    engine: Engine, timeout_s: float, *, sleep: Sleep = time.sleep, clock: Clock = time.monotonic
) -> None:
    """Return once the database answers; ``PrepareError`` after ``timeout_s`` seconds."""
    deadline = clock() + timeout_s
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            if clock() >= deadline:
                # Not the error's text: it can quote the URL, password included.
                raise PrepareError(
                    f"the database did not answer within {timeout_s:g} seconds"
                ) from None
            sleep(POLL_S)


def _sqlite_lock_path(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database file (None for an in-memory one)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return path.with_name(path.name + ".prepare-lock")


@contextmanager
def _file_lock(path: Path, timeout_s: float, sleep: Sleep, clock: Clock) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a")
    try:
        deadline = clock() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if clock() >= deadline:
                    raise PrepareError(
                        f"another prepare held {path.name} for {timeout_s:g} seconds"
                    ) from None
                sleep(POLL_S)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


@contextmanager
def _advisory_lock(engine: Engine, timeout_s: float, sleep: Sleep, clock: Clock) -> Iterator[None]:
    # A session-level lock on a connection of its own, held while other connections
    # migrate and import; the server drops it if this process dies.
    with engine.connect() as connection:
        deadline = clock() + timeout_s
        while True:
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar_one()
            connection.commit()
            if taken:
                break
            if clock() >= deadline:
                raise PrepareError(f"another prepare held the lock for {timeout_s:g} seconds")
            sleep(POLL_S)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()


def prepare_lock(
    engine: Engine,
    timeout_s: float,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> AbstractContextManager[None]:
    """The lock prepares take turns with: PostgreSQL's advisory lock, a file lock beside a
    SQLite file; ``PrepareError`` when another prepare holds it for ``timeout_s``."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        return _advisory_lock(engine, timeout_s, sleep, clock)
    if backend == "sqlite":
        path = _sqlite_lock_path(engine)
        if path is not None:
            return _file_lock(path, timeout_s, sleep, clock)
        return nullcontext()
    raise PrepareError(f"no lock for the {backend} backend: use PostgreSQL or SQLite")


def prepare(
    engine: Engine,
    sessions: sessionmaker[Session],
    data_dir: Path,
    *,
    seed_demo: bool = False,
    wait_s: float = 0.0,
    lock_timeout_s: float = 600.0,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> PrepareReport:
    """Wait for the database, then under the lock migrate it to the latest revision and
    import the shipped data (and seed the demo campaign only when ``seed_demo``)."""
    if engine.url.get_backend_name() == "sqlite":
        lock_path = _sqlite_lock_path(engine)
        if lock_path is not None:
            # SQLite makes the file, not its folder (e.g. instance/ on a first start).
            lock_path.parent.mkdir(parents=True, exist_ok=True)
    wait_for_database(engine, wait_s, sleep=sleep, clock=clock)
    with prepare_lock(engine, lock_timeout_s, sleep=sleep, clock=clock):
        before, _heads = migrate.revisions(engine)
        migrate.upgrade(engine)
        after, _heads = migrate.revisions(engine)
        with sessions() as session:
            report = freshness.import_shipped(session, data_dir)
            slug = demo.seed(session).slug if seed_demo else None
            session.commit()
            analyze(session)
    return PrepareReport(
        before=frozenset(before), after=frozenset(after), data=report, demo_slug=slug
    )
