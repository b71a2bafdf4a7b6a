"""What supporters' pages are made of, kept per process for one content revision.

Domain code: no Flask. Every public request used to load its campaign with its targets,
their people, offices and corrections (six queries), and to render the same talking
points, pages and lookup answers again. Triggers (migration 0015) raise
``content_state.revision`` in the same transaction as any change to campaigns, targets,
ridings, people, offices or corrections; a process reads that one number once per
request (``content_revision``) and keeps, for that revision only, the running campaigns
(``RunningCampaigns``) and anything worked out from them (``RevisionCache``). An edit in
any process is therefore seen by every process on its next request.

Campaigns kept here are detached from any session and shared between threads: read them,
never change them or add them (or objects reachable from them) to a session; refer to
them by id when writing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from cachetools import LRUCache
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from callmp.campaigns import fields
from callmp.db import SQLITE_BUSY_TIMEOUT_MS, sqlite_file
from callmp.directory import lookup
from callmp.models import Campaign, CampaignStatus, Person, Portfolio, Riding, Target

V = TypeVar("V")


def content_revision(session: Session) -> int:
    """The content revision now (one small read, as plain SQL: it runs on every public
    request, and the ORM's statement machinery would cost more than the read)."""
    revision: int = session.connection().exec_driver_sql(_REVISION_SQL).scalar_one()
    return revision


_REVISION_SQL = "SELECT revision FROM content_state"


def revision_now(engine: Engine) -> int:
    """The content revision now, read on a pooled connection of its own (a request whose
    page is kept needs no session). The driver's own cursor: a third of what
    SQLAlchemy's Connection would cost for this one read.

    On PostgreSQL the read is made in autocommit: one round trip, where a transaction
    would add a BEGIN before it and a ROLLBACK when the pool takes the connection back
    (220 to 80 us of CPU and 410 to 130 us of waiting, measured on loopback). The
    connection goes back to the pool as it came, with transactions on.
    """
    connection = engine.raw_connection()
    server = connection.driver_connection if engine.dialect.name == "postgresql" else None
    try:
        if server is not None:
            server.autocommit = True
        cursor = connection.cursor()
        try:
            cursor.execute(_REVISION_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if server is not None:
            server.autocommit = False  # no transaction is open: nothing is sent
    except Exception:
        # Without pool_pre_ping (``db.make_probe_engine``) a dropped connection fails
        # here: it is not given back to the pool.
        connection.invalidate()
        raise
    finally:
        connection.close()  # back to the pool, rolled back
    if row is None:
        raise LookupError("content_state has no row")
    return int(row[0])


class _ThreadConnection:
    """One thread's plain SQLite connection for the revision read; closed with its thread
    (the thread's locals go, and this with them) or by ``RevisionReader.close``."""

    __slots__ = ("__weakref__", "connection", "pid")

    def __init__(self, path: str) -> None:
        self.pid = os.getpid()
        # Autocommit: each read is its own read transaction and sees the last commit, and
        # none is held between requests (which would keep WAL checkpoints from finishing).
        self.connection = sqlite3.connect(
            path,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,  # ``RevisionReader.close`` runs on another thread
        )

    def read(self) -> int:
        rows = self.connection.execute(_REVISION_SQL).fetchall()
        if not rows:
            raise LookupError("content_state has no row")
        return int(rows[0][0])

    def close(self) -> None:
        # A connection made before a fork belongs to the parent: never closed in a child.
        connection = getattr(self, "connection", None)  # None: the connect failed
        if connection is not None and self.pid == os.getpid():
            connection.close()

    def __del__(self) -> None:
        self.close()


class RevisionReader:
    """Reads the content revision now, as every public request does first.

    On a SQLite file, each thread keeps a plain connection of its own for it, outside the
    pool: inside a request, the pool's checkout and return and the engine's cursor class
    made the read cost 46 us, and a riding page drawn in process costs 40 to 60 us less
    without them. A failed read on such a connection drops it and is made again on the
    pool. On a server, ``revision_now`` on the probe pool (no ping); a connection the
    server dropped fails once, and the read is made again on the main pool, which pings.
    """

    def __init__(self, engine: Engine, probe: Engine) -> None:
        self.engine = engine
        self.probe = probe
        self.path = sqlite_file(engine.url)
        self._local = threading.local()
        self._kept: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    def read(self) -> int:
        """The revision now."""
        if self.path is None:
            try:
                return revision_now(self.probe)
            except self.probe.dialect.loaded_dbapi.Error:
                return revision_now(self.engine)
        kept: _ThreadConnection | None = getattr(self._local, "kept", None)
        if kept is None or kept.pid != os.getpid():
            kept = self._local.kept = _ThreadConnection(self.path)
            with self._lock:
                self._kept.add(kept)
        try:
            return kept.read()
        except sqlite3.Error:
            self._local.kept = None
            with self._lock:
                self._kept.discard(kept)
            kept.close()
            return revision_now(self.engine)

    def close(self) -> None:
        """Close every thread's connection (a thread that reads again opens a new one)."""
        with self._lock:
            kept = list(self._kept)
            self._kept.clear()
        for found in kept:
            found.close()
        self._local = threading.local()


def is_open(campaign: Campaign, now: datetime) -> bool:
    """Published and within its dates at ``now`` (the rule ``active.list_active`` puts in SQL)."""
    return (
        campaign.status == CampaignStatus.published
        and (campaign.starts_at is None or campaign.starts_at <= now)
        and (campaign.ends_at is None or campaign.ends_at > now)
    )


class RevisionCache:
    """Values by key for one content revision; a newer revision empties it.

    Thread-safe. A value not kept yet is made by one thread while the others asking for
    the same key and revision wait for it (after an edit, every thread of a busy process
    asks for the same campaign, ridings and pages at once: each making its own would
    multiply the work by the threads, under one GIL). A waiter whose maker failed, or
    that waited ``wait_s``, makes its own.
    """

    def __init__(self, size: int = 2048, wait_s: float = 5.0) -> None:
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._values: LRUCache[Hashable, Any] = LRUCache(maxsize=size)
        self._making: dict[Hashable, _Making] = {}
        self._wait_s = wait_s

    def get(self, revision: int, key: Hashable, make: Callable[[], V]) -> V:
        """The value of ``key`` at ``revision``: kept, or made now and kept (unless it is
        None, so that made-up keys do not push real ones out)."""
        while True:
            with self._lock:
                if revision != self._revision:
                    if self._revision is not None and revision < self._revision:
                        # A request that read the revision before another request saw a
                        # newer one: answer it without touching what newer requests keep.
                        return make()
                    self._values.clear()
                    self._making.clear()
                    self._revision = revision
                elif key in self._values:
                    found: V = self._values[key]
                    return found
                making = self._making.get(key)
                if making is None:
                    making = self._making[key] = _Making()
                    break
            if making.owner == threading.get_ident():  # asked again while making it
                return make()
            if not making.done.wait(self._wait_s):
                return make()
            if making.made:
                made: V = making.value
                return made
            # Its maker failed: ask again (one of the waiters makes it).
        try:
            value = make()
            making.value, making.made = value, True
        finally:
            with self._lock:
                if self._making.get(key) is making:
                    del self._making[key]
                if making.made and value is not None and revision == self._revision:
                    self._values[key] = value
            making.done.set()
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


def load_published(session: Session, slug: str) -> Campaign | None:
    """The published campaign ``slug`` with all a supporter's page reads, detached.

    Its targets, their people (and fallbacks, and portfolios with their holders and office
    contacts) with riding, offices and active corrections, and its referral codes, all
    loaded: nothing reached from it queries the database.
    """
    details = lookup.contact_details()
    query = (
        select(Campaign)
        .where(Campaign.slug == slug, Campaign.status == CampaignStatus.published)
        .options(
            selectinload(Campaign.referral_codes),
            selectinload(Campaign.targets)
            .selectinload(Target.person)
            .options(*details, selectinload(Person.riding)),
            selectinload(Campaign.targets)
            .selectinload(Target.fallback_person)
            .options(*details, selectinload(Person.riding)),
            # A portfolio target: the holder now and the ministerial office contact.
            selectinload(Campaign.targets)
            .selectinload(Target.portfolio)
            .options(
                # The holder's riding joined in: one row, no statement of its own.
                selectinload(Portfolio.holder).options(*details, joinedload(Person.riding)),
                selectinload(Portfolio.office_person).options(*details),
            ),
        )
    )
    campaign = session.scalars(query).first()
    if campaign is not None:
        # Touch, while attached, everything pages reach (a person may be reached by two
        # paths, and eager loads skip one already loaded); then set the many-to-one sides
        # to what is loaded, since a detached object cannot load them later.
        for code in campaign.referral_codes:
            set_committed_value(code, "campaign", campaign)
        for target in campaign.targets:
            set_committed_value(target, "campaign", campaign)
            portfolio = target.portfolio
            people = [target.person, target.fallback_person]
            if portfolio is not None:
                people += [portfolio.holder, portfolio.office_person]
            for person in people:
                if person is not None:
                    _complete(person)
    session.expunge_all()
    return campaign


def _complete(person: Person) -> None:
    """Load, while ``person`` is attached, what pages read of them (riding, corrections,
    offices and theirs); each office's ``person`` is set to them."""
    _ = person.riding, person.email_corrections
    for office in person.offices:
        _ = office.corrections
        set_committed_value(office, "person", person)


def load_ridings(session: Session, fed_nums: Sequence[int] | None) -> dict[int, Riding]:
    """Ridings by number (``None``: all) with their member, offices and active corrections,
    detached and complete (as ``load_published``)."""
    found = lookup.ridings_with_members(session, fed_nums, corrections=True)
    for riding in found.values():
        if riding.member is not None:
            set_committed_value(riding.member, "riding", riding)
            _complete(riding.member)
    session.expunge_all()
    return found


class _Making:
    """A value one thread is making for the others that ask for it meanwhile."""

    def __init__(self) -> None:
        self.owner = threading.get_ident()
        self.done = threading.Event()
        self.made = False
        self.value: Any = None


#: The key of every riding with its member in the revision cache (not a slug).
_EVERY_RIDING = ("every riding",)


class RunningCampaigns:
    """Published campaigns by slug, and ridings with their members by number, loaded once
    per content revision in this process."""

    def __init__(self, size: int = 256) -> None:
        self._cache = RevisionCache(size + 1)  # the campaigns, and every riding as one
        #: Anything worked out from the content (pages, lookup answers), same revision.
        self.derived = RevisionCache(4096)

    def get(self, session: Source, revision: int, slug: str, now: datetime) -> Campaign | None:
        """The campaign ``slug`` if it is running at ``now``, as of ``revision``; loaded
        (when it is not kept yet) through ``session``'s connection (see ``_reader``)."""
        if not fields.is_slug(slug):
            # A stranger's address (a NUL byte, a megabyte): no query, no cache entry.
            return None
        found = self._cache.get(revision, slug, lambda: self._load(session, slug))
        return found if found is not None and is_open(found, now) else None

    def ridings(self, session: Source, revision: int, fed_nums: Sequence[int]) -> dict[int, Riding]:
        """The ridings numbered ``fed_nums`` that exist, as of ``revision`` (loaded through
        ``session``'s connection when not kept yet)."""
        every: dict[int, Riding] = self._cache.get(
            revision, _EVERY_RIDING, partial(self._every_riding, session)
        )
        return {fed_num: every[fed_num] for fed_num in fed_nums if fed_num in every}

    def _load(self, session: Source, slug: str) -> Campaign | None:
        with _reader(session) as reader:
            return load_published(reader, slug)

    def _every_riding(self, session: Source) -> dict[int, Riding]:
        # All 343 at once, the first time any is asked for: about 30 ms, against 0.7 ms
        # for each riding loaded on its own (240 ms for all of them, and 0.7 ms more on
        # the first page of each riding in each process).
        with _reader(session) as reader:
            return load_ridings(reader, None)


#: Where a load reads: a session, or what gives one, asked only when something is loaded
#: (a request whose campaign and riding are kept then makes no session at all).
Source = Session | Callable[[], Session]


def _reader(source: Source) -> Session:
    """A session of its own on ``source``'s connection, in its transaction.

    What it loads is detached when it closes, and ``source``'s own objects are untouched.
    Sharing the request's connection matters: a second connection per request would let a
    burst of requests (as many as the pool holds) each hold one connection and wait for
    another, until the pool's timeout fails them all. It also reads in the same snapshot
    as the revision the request read (SQLite).
    """
    session = source if isinstance(source, Session) else source()
    return Session(bind=session.connection(), autoflush=False)
