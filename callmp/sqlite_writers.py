"""One writer at a time on a SQLite file, queued in the app instead of in SQLite's sleeps.

SQLite lets one connection write at a time. A writer that finds the database locked waits
in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries and
never learns when the lock is let go: under gunicorn's 16 threads, writers queue in
those sleeps, a write that takes half a millisecond can wait a few hundred, and a
writer that keeps losing waits longest (p99 of 0.2–0.35 s on the webhooks at 16
connections).

So each connection of ours takes a gate before its first write statement and lets go
when its transaction ends (commit, rollback, close). Threads of one process wait on a
lock, which wakes the next the moment it is free; processes hold an exclusive ``flock``
on a file beside the database (``<database>-writer.lock``), which the kernel wakes too.
Only the thread that holds the process's lock asks for the file lock, polling at most
every millisecond, so a process adds one poller at most. Reads never take the gate (WAL
lets them run beside the writer).

The gate only orders writers; SQLite's own lock stays the one that decides. A writer
that cannot get the gate within its timeout (``callmp.db.SQLITE_GATE_TIMEOUT_S``: a holder
stuck that long) goes on without it and meets SQLite's lock and busy timeout as before.

Used through ``connect_args={"factory": connection_class(path, timeout)}`` (see
``callmp.db.make_engine``).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

#: The first words of the statements Python's sqlite3 opens a transaction for (its
#: "legacy" transaction control, Python < 3.12's only one): the ones that write.
_WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

#: How long a process waits between tries of the file lock while another process holds it.
_POLL_MAX_S = 0.0002


def is_write(sql: str) -> bool:
    """Whether ``sql`` begins with a word that writes (leading spaces and case ignored)."""
    return sql.lstrip()[:7].upper().startswith(_WRITE_WORDS)


class Gate:
    """The writer gate of one database file in this process (see the module)."""

    def __init__(self, path: str | None, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._fork_reset()
        os.register_at_fork(after_in_child=self._fork_reset)

    def _fork_reset(self) -> None:
        # A child gets its own lock and its own open file: an inherited descriptor would
        # share the parent's flock, and an inherited lock could be held by a thread that
        # does not exist in the child.
        self._lock = threading.Lock()  # not an RLock: a pool may end a write elsewhere
        self._owner: int | None = None
        self._depth = 0
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Wait for the gate; False (not held) when the timeout passed first. A thread
        that holds it gets it again at once (a second connection of the same thread
        then meets SQLite's own lock, as it would without the gate)."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        deadline = time.monotonic() + self.timeout_s
        if not self._lock.acquire(timeout=self.timeout_s):
            return False
        if self.path is not None and not self._lock_file(deadline):
            self._lock.release()
            return False
        self._owner = me
        self._depth = 1
        return True

    def release(self) -> None:
        """Let go of a gate ``acquire`` returned True for."""
        self._depth -= 1
        if self._depth > 0:
            return
        self._owner = None
        try:
            if self._fd is not None:
                fd, self._fd = self._fd, None
                os.close(fd)  # lets go of the flock; no descriptor kept per database
        finally:
            self._lock.release()

    def _lock_file(self, deadline: float) -> bool:
        assert self.path is not None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        pause = 0.00005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(pause)
                pause = min(pause * 2, _POLL_MAX_S)


class GatedCursor(sqlite3.Cursor):
    """A cursor whose write statement takes the connection's gate first when it opens a
    transaction (a later write in the same transaction already holds it, or went on
    without it after a timeout)."""

    connection: GatedConnection

    def execute(self, sql: str, parameters: Any = (), /) -> GatedCursor:
        self._run(super().execute, sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> GatedCursor:
        self._run(super().executemany, sql, seq_of_parameters)
        return self

    def _run(self, run: Callable[[str, Any], object], sql: str, parameters: Any) -> None:
        connection = self.connection
        if connection.in_transaction or not is_write(sql):
            run(sql, parameters)
            return
        connection.enter_gate()
        try:
            run(sql, parameters)
        finally:
            connection.leave_gate_if_done()


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its class's gate while it has a write to finish."""

    gate: Gate

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.holds_gate = False

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or GatedCursor)

    def enter_gate(self) -> None:
        self.holds_gate = self.gate.acquire()

    def leave_gate_if_done(self) -> None:
        if self.holds_gate and not self.in_transaction:
            self.holds_gate = False
            self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_gate_if_done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_gate_if_done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.holds_gate:
                self.holds_gate = False
                self.gate.release()


_classes: dict[tuple[str | None, float], type[GatedConnection]] = {}
_classes_lock = threading.Lock()


def connection_class(database: str | None, timeout_s: float) -> type[GatedConnection]:
    """The connection class for a database file (``None``: in memory, threads only), one
    per file and timeout in a process so every engine on the file shares one gate."""
    path = None if database is None else os.path.abspath(database) + "-writer.lock"
    with _classes_lock:
        found = _classes.get((path, timeout_s))
        if found is None:
            found = type("GatedConnection", (GatedConnection,), {"gate": Gate(path, timeout_s)})
            _classes[(path, timeout_s)] = found
        return found
