"""The SQLite writer gate: writers wait for each other at the app's gate, not in SQLite."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from callmp import sqlite_writers
from callmp.db import make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    yield made
    made.dispose()


def _impatient(conn: Any) -> None:
    """Make SQLite refuse at once instead of waiting in its busy handler: only the gate
    can then make a second writer wait."""
    conn.exec_driver_sql("PRAGMA busy_timeout=0")


def _gate(engine: Engine) -> sqlite_writers.Gate:
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, sqlite_writers.GatedConnection)
        return dbapi.gate


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("INSERT INTO t VALUES (1)", True),
        ("  update t SET who = 'x'", True),
        ("\nDELETE FROM t", True),
        ("REPLACE INTO t VALUES (1, 'x')", True),
        ("SELECT * FROM t", False),
        ("PRAGMA busy_timeout=0", False),
        ("CREATE TABLE u (id INT)", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
    ],
)
def test_statements_that_open_a_write_transaction_take_the_gate(sql: str, writes: bool) -> None:
    assert sqlite_writers.is_write(sql) is writes


def test_a_second_writer_waits_at_the_gate_instead_of_failing(engine: Engine) -> None:
    outcome: list[str] = []

    def second() -> None:
        with engine.connect() as conn:
            _impatient(conn)
            conn.execute(text("INSERT INTO t (who) VALUES ('second')"))
            conn.commit()
            outcome.append("done")

    with engine.connect() as first:
        first.execute(text("INSERT INTO t (who) VALUES ('first')"))
        assert first.connection.dbapi_connection.holds_gate  # type: ignore[union-attr]
        thread = threading.Thread(target=second)
        thread.start()
        # Without the gate, SQLite (busy timeout 0) would refuse the second INSERT at once.
        thread.join(timeout=0.5)
        assert thread.is_alive() and outcome == []
        first.commit()
    thread.join()
    assert outcome == ["done"]
    with engine.connect() as conn:
        who = conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all()
    assert who == ["first", "second"]


def test_the_gate_is_let_go_by_commit_rollback_failure_and_close(engine: Engine) -> None:
    gate = _gate(engine)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t (id, who) VALUES (1, 'a')"))
        assert gate._owner is not None
        conn.commit()
        assert gate._owner is None
        conn.execute(text("INSERT INTO t (who) VALUES ('b')"))
        conn.rollback()
        assert gate._owner is None
        with pytest.raises(Exception, match="UNIQUE"):
            conn.execute(text("INSERT INTO t (id, who) VALUES (1, 'again')"))
        conn.rollback()
        assert gate._owner is None
        conn.execute(text("UPDATE t SET who = 'c'"))
    # A connection given back to the pool mid-transaction is rolled back.
    assert gate._owner is None
    raw = engine.raw_connection()
    raw.cursor().execute("DELETE FROM t")
    raw.invalidate()  # closes the driver's connection outright
    assert gate._owner is None
    with engine.connect() as conn:
        _impatient(conn)
        assert conn.execute(text("SELECT who FROM t")).scalars().all() == ["a"]
        conn.execute(text("INSERT INTO t (who) VALUES ('d')"))
        conn.commit()


def test_reads_never_take_the_gate(engine: Engine) -> None:
    gate = _gate(engine)
    with engine.connect() as writer:
        writer.execute(text("INSERT INTO t (who) VALUES ('w')"))
        with engine.connect() as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        writer.commit()
    assert gate._owner is None


def test_one_thread_with_two_connections_is_not_held_up_by_its_own_gate(
    engine: Engine,
) -> None:
    """A thread whose first connection writes and whose second then writes too meets
    SQLite's lock (and its timeout), as without the gate: it never waits for itself."""
    with engine.connect() as first, engine.connect() as second:
        first.execute(text("INSERT INTO t (who) VALUES ('first')"))
        _impatient(second)
        with pytest.raises(Exception, match="locked"):
            second.execute(text("INSERT INTO t (who) VALUES ('second')"))
        second.rollback()
        first.commit()
    assert _gate(engine)._owner is None


def _hold_in_child(path: str, ready: Any, go: Any) -> None:
    child = make_engine(f"sqlite:///{path}")
    with child.connect() as conn:
        conn.execute(text("INSERT INTO t (who) VALUES ('child')"))
        ready.set()
        go.wait(30)
        conn.commit()
    child.dispose()


def test_processes_wait_for_each_other_at_the_gate(engine: Engine, tmp_path: Path) -> None:
    """The gate holds across processes (a lock file beside the database); a forked child
    gets a gate of its own, not its parent's."""
    path = str(tmp_path / "gate.sqlite3")
    _gate(engine)  # the parent's gate exists before the fork
    context = multiprocessing.get_context("fork")
    ready, go = context.Event(), context.Event()
    child = context.Process(target=_hold_in_child, args=(path, ready, go))
    child.start()
    try:
        assert ready.wait(30)
        assert os.path.exists(path + "-writer.lock")
        outcome: list[str] = []

        def write() -> None:
            with engine.connect() as conn:
                _impatient(conn)
                conn.execute(text("INSERT INTO t (who) VALUES ('parent')"))
                conn.commit()
                outcome.append("done")

        thread = threading.Thread(target=write)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive() and outcome == []
        go.set()
        thread.join()
        assert outcome == ["done"]
    finally:
        go.set()
        child.join(30)
    assert child.exitcode == 0
    with engine.connect() as conn:
        who = conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all()
    assert who == ["child", "parent"]


def test_a_writer_that_cannot_get_the_gate_in_time_goes_on_to_sqlite(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = _gate(engine)
    monkeypatch.setattr(gate, "timeout_s", 0.05)
    failures: list[str] = []

    def second() -> None:
        with engine.connect() as conn:
            _impatient(conn)
            try:
                conn.execute(text("INSERT INTO t (who) VALUES ('second')"))
            except Exception as error:  # SQLite's own refusal, after the gate gave up
                failures.append(str(error))
            conn.rollback()

    with engine.connect() as first:
        first.execute(text("INSERT INTO t (who) VALUES ('first')"))
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=30)
        first.commit()
    assert len(failures) == 1 and "locked" in failures[0]
    assert gate._owner is None
