"""Pieces the benchmark scripts share: ports, one HTTP request, wrk, stopping children."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import tempfile
from pathlib import Path


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
