"""Declarative base, engine and session factory (one engine per app), and ``utcnow``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, MetaData, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from callmp import sqlite_writers

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the zone; SQLite stores none and hands back naive values, which
    could not be compared with aware ones. Values are stored in UTC and read back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: How long a SQLite write waits for another's lock before "database is locked" (a 503
#: with Retry-After for the client): long enough for a burst, short of Twilio's 15 s.
SQLITE_BUSY_TIMEOUT_MS = 10_000

#: How long a SQLite writer waits at the app's gate (``sqlite_writers``) before it goes on
#: to SQLite's own lock: with the busy timeout, a write still fails within 14 s.
SQLITE_GATE_TIMEOUT_S = 4.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL, a busy timeout and foreign keys on every SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_file(url: str | URL) -> str | None:
    """The file of a SQLite ``url`` as the driver opens it; None for any other database,
    for SQLite in memory and for a URL with options (a ``file:`` URI, say)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query:
        return None
    database = parsed.database
    return database if database and database != ":memory:" else None


def make_engine(url: str) -> Engine:
    """Create the engine for ``url`` with the settings each backend needs.

    Parameters are hidden: SQLAlchemy would otherwise quote them (phone numbers, email
    addresses, postal codes) in every error message and echo line.
    """
    from sqlalchemy import create_engine

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Writers queue at a gate of ours, not in SQLite's busy sleeps (sqlite_writers).
        factory = sqlite_writers.connection_class(sqlite_file(url), SQLITE_GATE_TIMEOUT_S)
        engine = create_engine(
            url, connect_args={"timeout": 5, "factory": factory}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def make_probe_engine(engine: Engine) -> Engine:
    """An engine for one-row reads made on every public request (the content revision):
    ``engine`` itself on SQLite; on a server, a small pool of its own without
    ``pool_pre_ping``, whose ``SELECT 1`` would double the read's round trips. A read on a
    connection the server dropped then fails: its caller invalidates that connection and
    takes the full path, which pings."""
    from sqlalchemy import create_engine

    if engine.dialect.name == "sqlite":
        return engine
    return create_engine(
        engine.url, pool_size=2, max_overflow=6, pool_pre_ping=False, hide_parameters=True
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def insert_once(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT a row unless one with the same unique key exists; True when it was inserted.

    ``INSERT ... ON CONFLICT DO NOTHING`` keeps replayed webhooks and double submissions
    to one row even when two requests race, without aborting the surrounding transaction.
    """
    from sqlalchemy import inspect
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells whether a row went in: with PostgreSQL's implicit RETURNING the
    # rowcount is -1 either way, which made every duplicate look inserted.
    key = inspect(model).primary_key
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(*key)
    return session.execute(statement).first() is not None


def _lock_id(key: str) -> int:
    """A signed 64-bit number for ``key``, as PostgreSQL's advisory locks take."""
    import hashlib

    digest = hashlib.blake2b(key.encode(), digest_size=8, person=b"callmp-lock").digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(session: Session, *keys: str) -> None:
    """Hold a lock on each of ``keys`` until the transaction ends, in the order given.

    A limit checked by counting rows and then inserting one lets two requests that race
    (on two servers, or two threads of one) both count the same rows and both pass. Taken
    before the count, the lock makes the second wait for the first's commit and count its
    row. PostgreSQL: transaction-level advisory locks. SQLite: nothing (its writers are
    serialized by the database lock; one server only). Callers take keys in one fixed
    order (e.g. phone, then address) so two transactions never wait on each other.
    """
    from sqlalchemy import func, select

    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        session.execute(select(func.pg_advisory_xact_lock(_lock_id(key))))


def analyze(session: Session) -> None:
    """Refresh the planner's statistics (``ANALYZE``) after a bulk change, and commit.

    Without them SQLite guesses how selective each index is and may read a table's whole
    history through the wrong one; PostgreSQL's autovacuum catches up only later.
    """
    from sqlalchemy import text

    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


class rare(FunctionElement[bool]):
    """A condition few rows meet (a waiting status, a target with no letters yet).

    SQLite's statistics (``sqlite_stat1``) keep only the average number of rows per value:
    for a column with few values, such as a status, they say an index finds a large share
    of the table, and the planner reads the whole table instead, although the value asked
    for is rare. On SQLite this renders as ``likelihood(condition, 0.001)``, which tells
    the planner so and keeps the index; elsewhere (PostgreSQL keeps per-value statistics)
    it is the condition itself.
    """

    type = Boolean()
    name = "rare"
    inherit_cache = True
    # A condition already: never compared with 1 where booleans are integers (SQLite).
    _is_implicitly_boolean = True


@compiles(rare)
def _rare(element: rare, compiler: SQLCompiler, **kw: Any) -> str:
    return "(" + compiler.process(element.clauses, **kw) + ")"


@compiles(rare, "sqlite")
def _rare_sqlite(element: rare, compiler: SQLCompiler, **kw: Any) -> str:
    return "likelihood(" + compiler.process(element.clauses, **kw) + ", 0.001)"
