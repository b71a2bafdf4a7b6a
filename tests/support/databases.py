"""Database backends for the tests: a migrated, seeded template copied for each test.

The schema is migrated and the shipped data imported once per test session into a
template; each test then gets its own copy, so tests never see each other's writes.
"""

from __future__ import annotations

import shutil
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from callmp import demo
from tests.support.app import DATA_DIR


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
    """A template PostgreSQL database, cloned with CREATE DATABASE ... TEMPLATE per test.

    A clone takes the server about 0.1 s, mostly waiting on its disk: so the next test's
    clone is made in a background thread while this test runs.
    """

    def __init__(self, url: str) -> None:
        self.base = make_url(url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.template = f"callmp_tmpl_{uuid.uuid4().hex[:8]}"
        self._execute(f'CREATE DATABASE "{self.template}"')
        build_database(self._url(self.template))
        self._cloner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clone")
        self._next: Future[str] = self._cloner.submit(self._clone, self.template)

    def _url(self, name: str) -> str:
        """The URL of database ``name`` on the same server."""
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        """Run one statement outside a transaction."""
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def _clone(self, template: str) -> str:
        """The URL of a new database copied from ``template``."""
        name = f"callmp_t_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self._url(name)

    def new(self, empty: bool = False) -> str:
        """The URL of a fresh database (a clone of the template unless ``empty``)."""
        if empty:
            return self._clone("template0")
        url = self._next.result()
        self._next = self._cloner.submit(self._clone, self.template)
        return url

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
        """Drop the clone made ahead, the template, and release the admin connection."""
        self.drop(self._next.result())
        self._cloner.shutdown()
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()
