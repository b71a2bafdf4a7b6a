"""Pieces the benchmark scripts share: ports, one HTTP request, wrk, stopping children,
CPU time of server processes and a bare Flask app to compare with."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def http_request(
    port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request on a new connection: status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run_wrk(port: int, lua: str, seconds: float, clients: int, *options: str) -> list[int]:
    """Run wrk (one thread) with the Lua script ``lua``; the numbers of its ``RESULT`` line.

    The script's ``done`` hook prints ``RESULT`` followed by integers of its choosing.
    """
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "load.lua"
        script.write_text(lua)
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                *options,
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    line = next(ln for ln in output.splitlines() if ln.startswith("RESULT "))
    return [int(v) for v in line.split()[1:]]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child process we started, politely first."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a gunicorn master's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live children, e.g. a gunicorn master and its workers."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in child_pids(pid))


def bare_app() -> Flask:
    """The reference for "the framework alone": a Flask app with two endpoints.

    ``GET /hello`` answers a short text; ``POST /insert`` adds one row to the table
    ``bench_bare`` of ``BENCH_BARE_DATABASE_URL`` (when set) through a SQLAlchemy engine
    with the same pool defaults as CallMP's, and answers 201. Served by gunicorn as
    ``benchkit:bare_app()`` with ``scripts/`` on the path.
    """
    from flask import Flask
    from sqlalchemy import create_engine, text

    app = Flask("bare")
    url = os.environ.get("BENCH_BARE_DATABASE_URL", "")
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True) if url else None

    @app.get("/hello")
    def hello() -> str:
        """The smallest answer Flask gives."""
        return "hello"

    @app.post("/insert")
    def insert() -> tuple[str, int]:
        """One INSERT in its own transaction."""
        if engine is None:
            return "no database", 500
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_bare (note) VALUES ('bare')"))
        return "inserted", 201

    return app
