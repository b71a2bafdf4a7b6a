"""The content revision read every public request makes first (``running.RevisionReader``).

On a SQLite file each thread keeps a plain connection of its own for it; these tests hold
it to what the pooled read it replaced did: every commit seen at once, nothing held
between reads, nothing left open when a thread or the app ends, a failed read answered
from the pool, and a forked worker never touching its parent's connection.
"""

from __future__ import annotations

import gc
import multiprocessing
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from callmp.campaigns import running
from callmp.db import make_engine
from callmp.views.context import services
from tests.factories import demo_campaign


def _revision(session: Session) -> int:
    session.rollback()  # a new transaction sees the latest commit
    return running.content_revision(session)


def _reader(app: Flask) -> running.RevisionReader:
    reader = services(app).revision
    if reader.path is None:
        pytest.skip("a database server: the probe pool's read (tests/campaigns/test_running.py)")
    return reader


def _kept(reader: running.RevisionReader) -> list[Any]:
    return list(reader._kept)


def _in_thread(read: Callable[[], int]) -> int:
    found: list[int] = []
    thread = threading.Thread(target=lambda: found.append(read()))
    thread.start()
    thread.join()
    return found[0]


def test_every_thread_reads_each_commit_at_once(app: Flask, session: Session) -> None:
    reader = _reader(app)
    before = reader.read()
    assert before == _revision(session)
    demo_campaign(session).title_en = "Seen at once"
    session.commit()
    assert reader.read() == before + 1  # this thread's kept connection
    assert _in_thread(reader.read) == before + 1  # a thread's first read


def test_no_read_is_held_open_between_reads(app: Flask, session: Session) -> None:
    """A read left open would pin the WAL: no checkpoint could finish while it lasts."""
    reader = _reader(app)
    reader.read()
    demo_campaign(session).title_en = "Written to the WAL"
    session.commit()
    assert reader.path is not None
    other = sqlite3.connect(reader.path, isolation_level=None)
    try:
        busy, _log, _done = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        other.close()
    assert busy == 0


def test_a_threads_connection_is_closed_when_the_thread_ends(app: Flask) -> None:
    reader = _reader(app)
    revision = reader.read()
    mine = _kept(reader)
    seen: list[Any] = []

    def read() -> int:
        found = reader.read()
        seen.extend(k for k in _kept(reader) if k not in mine)
        return found

    assert _in_thread(read) == revision
    assert len(seen) == 1
    connection = seen[0].connection
    seen.clear()
    gc.collect()
    assert _kept(reader) == mine
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


def test_closing_closes_every_threads_connection_and_reads_go_on(app: Flask) -> None:
    reader = _reader(app)
    revision = reader.read()
    held = threading.Event()
    done = threading.Event()

    def read_and_wait() -> None:
        reader.read()
        held.set()
        done.wait(30)

    thread = threading.Thread(target=read_and_wait)
    thread.start()
    try:
        assert held.wait(30)
        connections = [k.connection for k in _kept(reader)]
        assert len(connections) == 2
        reader.close()
        for connection in connections:
            with pytest.raises(sqlite3.ProgrammingError):
                connection.execute("SELECT 1")
    finally:
        done.set()
        thread.join()
    assert reader.read() == revision  # a new connection
    assert [k.connection for k in _kept(reader)] not in ([], connections)


def test_a_failed_read_is_made_again_on_the_pool_and_the_connection_replaced(
    app: Flask,
) -> None:
    reader = _reader(app)
    revision = reader.read()
    (broken,) = _kept(reader)
    broken.connection.close()  # as a connection whose file went away would fail
    assert reader.read() == revision  # on the pool
    assert _kept(reader) == []
    assert reader.read() == revision
    (replacement,) = _kept(reader)
    assert replacement.connection.execute("SELECT 1").fetchone() == (1,)


def _read_in_child(reader: running.RevisionReader, parents: int, out: Any) -> None:
    revision = reader.read()
    own = [k for k in _kept(reader) if id(k.connection) != parents]
    out.put((revision, len(own)))
    gc.collect()  # drops the parent's connection object: it must not be closed here


def test_a_forked_worker_reads_on_its_own_connection_and_leaves_its_parents(
    app: Flask, session: Session
) -> None:
    """gunicorn forks workers from a master that may have read (``--preload``)."""
    reader = _reader(app)
    revision = reader.read()
    (parents,) = _kept(reader)
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_read_in_child, args=(reader, id(parents.connection), out))
    child.start()
    try:
        assert out.get(timeout=30) == (revision, 1)
    finally:
        child.join(30)
    assert child.exitcode == 0
    demo_campaign(session).title_en = "After the fork"
    session.commit()
    assert reader.read() == revision + 1
    assert _kept(reader) == [parents]


def test_a_file_that_cannot_be_opened_fails_the_read_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'no such folder' / 'callmp.sqlite3'}")
    try:
        reader = running.RevisionReader(engine, engine)
        with pytest.raises(sqlite3.OperationalError):
            reader.read()
        gc.collect()  # the half-made connection's holder goes without an error of its own
        assert _kept(reader) == []
    finally:
        engine.dispose()
