"""Several CallMP servers and queue workers at once, as separate processes on loopback.

``Cluster`` starts gunicorn servers (``wsgi:app``) and ``flask worker`` processes that share
one database, one Redis (queue and limiter store), one secret key, the Twilio stand-in and
the SMTP peer: a production configuration in every respect the app checks, except that
Twilio's REST API and the mail server are loopback peers. Each process runs in its own
process group, so a test can SIGKILL a whole server (master and workers) as a crash would.

The processes import the code of the repository this file is in (``PYTHONPATH``), not
whatever the virtualenv's editable install points at.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from tests.support.redis_server import free_port

REPO = Path(__file__).resolve().parents[2]

#: Seconds a process gets to start answering, and to stop after SIGTERM.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0

#: The public URL every process is configured with. Production rules want https; no
#: request ever goes there: the tests send Twilio's webhooks and open confirmation
#: links on a server's own loopback address, keeping path and query.
PUBLIC_URL = "https://callmp.cluster.test"

#: The caller ID of the cluster's calls (a fictional 555-01xx number).
CALLER_ID = "+16135550199"


def cluster_env(
    *,
    database_url: str,
    redis_url: str,
    twilio_base_url: str,
    twilio_sid: str,
    twilio_token: str,
    smtp_port: int,
    secret_key: str | None = None,
    **settings: str,
) -> dict[str, str]:
    """The ``CALLMP_*`` environment every process of one cluster shares."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key or secrets.token_hex(32),
        "QUEUE": "redis",
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": twilio_sid,
        "TWILIO_AUTH_TOKEN": twilio_token,
        "TWILIO_FROM_NUMBER": CALLER_ID,
        "TWILIO_API_BASE_URL": twilio_base_url,
        "TWILIO_TIMEOUT": "5",
        "PUBLIC_URL": PUBLIC_URL,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TLS": "none",
        "SMTP_TIMEOUT": "5",
        "ALLOW_FICTIONAL_PHONES": "1",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    return {"CALLMP_" + name: value for name, value in env.items()}


@dataclass
class Process:
    """One started process: its name, command, log file and (for servers) its port."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def base_url(self) -> str:
        """Where a server listens, e.g. ``http://127.0.0.1:54321``."""
        assert self.port is not None, f"{self.name} is not a server"
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        """True while the process has not exited."""
        return self.popen.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the process's output, for failure messages."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Cluster:
    """Servers and workers sharing ``env``; use as a context manager (stops them all)."""

    folder: Path
    env: Mapping[str, str]
    python: str = sys.executable
    processes: dict[str, Process] = field(default_factory=dict)

    def __enter__(self) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def child_env(self) -> dict[str, str]:
        """The environment of every child: ours, the cluster's settings, this checkout."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLMP_")}
        env.update(self.env)
        env["PYTHONPATH"] = str(REPO)
        env["FLASK_APP"] = "wsgi"
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return env

    def _spawn(self, name: str, command: list[str], port: int | None = None) -> Process:
        """Start ``command`` in its own process group, output to ``<name>.log``."""
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.child_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log, port)
        self.processes[name] = process
        return process

    def start_server(self, name: str, *, workers: int = 2, threads: int = 2) -> Process:
        """A gunicorn server on a free loopback port (not yet waited for)."""
        port = free_port()
        command = [
            self.python,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            "wsgi:app",
        ]
        return self._spawn(name, command, port)

    def start_worker(self, name: str, *, threads: int = 2) -> Process:
        """A ``flask worker`` queue consumer (not yet waited for)."""
        command = [self.python, "-m", "flask", "worker", "--workers", str(threads)]
        return self._spawn(name, command)

    def wait_ready(self, *names: str, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until each named server answers ``/readyz`` and each worker has started."""
        deadline = time.monotonic() + timeout
        for name in names:
            process = self.processes[name]
            while not self._ready(process):
                if not process.alive():
                    raise RuntimeError(f"{name} exited:\n{process.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start:\n{process.log_tail()}")
                time.sleep(0.1)

    @staticmethod
    def _ready(process: Process) -> bool:
        """A server answers /readyz with 200; a worker printed its start line."""
        if process.port is None:
            return "queue worker:" in process.log_tail(100_000)
        try:
            return requests.get(process.base_url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group of ``name``, as a crash would end it."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait(timeout=STOP_TIMEOUT_S)

    def pause(self, name: str) -> None:
        """SIGSTOP the process group of ``name``: it holds what it has and takes nothing."""
        os.killpg(self.processes[name].popen.pid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        """SIGCONT the process group of ``name``."""
        os.killpg(self.processes[name].popen.pid, signal.SIGCONT)

    def stop(self, name: str) -> None:
        """SIGTERM the process group of ``name``; SIGKILL it if it lingers."""
        process = self.processes[name]
        if process.alive():
            try:
                os.killpg(process.popen.pid, signal.SIGCONT)  # a paused one could not stop
                os.killpg(process.popen.pid, signal.SIGTERM)
                process.popen.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill(name)
            except ProcessLookupError:
                pass
        # A killed master's gunicorn workers share its group: make sure none is left.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.popen.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        """Stop every process this cluster started."""
        for name in list(self.processes):
            self.stop(name)

    def flask(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run ``flask <args>`` with the cluster's settings; its result (output as text)."""
        return subprocess.run(
            [self.python, "-m", "flask", *args],
            cwd=REPO,
            env=self.child_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def logs(self) -> str:
        """Every process's log tail, for a failure message."""
        return "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in self.processes.values())


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds passed; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
