"""``flask worker`` in a subprocess, configured exactly as a test's app, and waiting on it.

Tests whose queue is real (``QUEUE`` 'sqlite' or 'redis', not the inline 'immediate') run
the consumer as production does: its own process, its own connections. The subprocess gets
the app's settings as ``CALLMP_*`` variables and ``PYTHONPATH`` at this checkout, so it
runs this tree's code whichever checkout the virtualenv was installed from.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from callmp.config import REPO_ROOT, SETTINGS

#: How tests start a ``flask`` command as scripts/run does.
FLASK = (sys.executable, "-m", "flask", "--app", "wsgi")
#: Seconds a worker may take to finish its jobs after SIGINT.
STOP_TIMEOUT_S = 30.0


def queue_settings(kind: str, folder: Path, redis_url: str) -> dict[str, Any]:
    """Settings for a real queue of ``kind`` ('sqlite' in ``folder``, or 'redis')."""
    if kind == "redis":
        return {"QUEUE": "redis", "REDIS_URL": redis_url}
    return {"QUEUE": "sqlite", "QUEUE_PATH": str(folder / "queue.sqlite3")}


def _env_value(value: Any) -> str:
    """A setting's value as ``load_config`` reads it back from the environment."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple | list):
        return ",".join(str(part) for part in value)
    return str(value)


def worker_env(app: Flask, **overrides: Any) -> dict[str, str]:
    """The environment of a worker with ``app``'s settings (and ``overrides``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLMP_")}
    config: Mapping[str, Any] = {**app.config, **overrides}
    for setting in SETTINGS:
        env["CALLMP_" + setting.name] = _env_value(config[setting.name])
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


@contextmanager
def running_worker(
    app: Flask, folder: Path, *, threads: int = 2, **overrides: Any
) -> Iterator[subprocess.Popen[str]]:
    """Run ``flask worker`` with ``app``'s settings until the block ends, then stop it as a
    service manager would (SIGINT: finish the jobs at hand). Its output goes to a log file in
    ``folder``, shown if it does not stop cleanly."""
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"worker-{time.monotonic_ns()}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*FLASK, "worker", "--quiet", "--workers", str(threads)],
            cwd=REPO_ROOT,
            env=worker_env(app, **overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if process.returncode not in (0, -signal.SIGINT):
        raise AssertionError(
            f"worker exited with {process.returncode}:\n{log_path.read_text()[-3000:]}"
        )


def wait_until(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.05) -> bool:
    """Poll ``check`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
