"""The image's start, without a container runtime: deploy/entrypoint.sh runs the prepare
step and then gunicorn with deploy/gunicorn.conf.py, with the environment compose.yaml
gives the web service (its PostgreSQL and Redis replaced by the test database and the
test Redis on loopback), as an unprivileged user (``nobody`` when the tests run as root)
that cannot write to the code, as the image's ``callmp`` user cannot.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from tests.support.deploy import (
    ENTRYPOINT,
    GUNICORN_CONF,
    ROOT,
    START_TIMEOUT_S,
    as_unprivileged,
    hand_to_unprivileged,
    load_compose,
    process_environment,
    production_environment,
    read_logs,
    runs_as_other_user,
    serving,
)
from tests.support.redis_server import free_port

pytestmark = pytest.mark.real_clock("the entrypoint and gunicorn run as processes")

#: A process id no process has (above Linux's largest pid_max).
GONE_PID = 99_999_999
#: In a query string, to show access lines leave query strings out.
MARKER = "zq9marker"


def write_counter(folder: Path, pid: int, outcome: str, value: float) -> Path:
    """A prometheus_client multiprocess file of process ``pid`` with one call count."""
    path = folder / f"counter_{pid}.db"
    store = MmapedDict(str(path))  # type: ignore[no-untyped-call]
    key = mmap_key("callmp_calls", "callmp_calls_total", ["outcome"], [outcome], "calls")
    store.write_value(key, value, 0.0)  # type: ignore[no-untyped-call]
    store.close()  # type: ignore[no-untyped-call]
    return path


def call_counts(body: str) -> dict[str, float]:
    """``callmp_calls_total`` by outcome, from a scrape."""
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == "callmp_calls_total"
    }


#: The one capability the unprivileged user may keep (see ``unprivileged_prefix``).
CAP_DAC_READ_SEARCH = 1 << 2


def process_status(pid: int) -> tuple[int, int]:
    """The real user id and the effective capabilities of process ``pid``."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(status["Uid"].split()[0]), int(status["CapEff"].strip(), 16)


def assert_cannot_write_the_code() -> None:
    """The unprivileged user cannot create a file in the repository, as the image's user
    cannot in /app."""
    probe = ROOT / ".write-probe"
    done = subprocess.run(
        as_unprivileged(["sh", "-c", f"touch {probe}"]),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    written = probe.exists()
    probe.unlink(missing_ok=True)
    assert done.returncode != 0 and not written


def test_entrypoint_prepares_then_gunicorn_serves_the_production_shape(
    fresh_database_url: str, redis_url: str, state_dir: Path
) -> None:
    port = free_port()
    metrics_dir = state_dir / "metrics"
    metrics_dir.mkdir()
    hand_to_unprivileged(metrics_dir)
    dead = write_counter(metrics_dir, GONE_PID, "failed", 5)
    alive = write_counter(metrics_dir, os.getpid(), "placed", 7)
    settings = production_environment(
        database_url=fresh_database_url, redis_url=redis_url, port=port, metrics_dir=metrics_dir
    )
    assert settings["CALLMP_PROXY_HOPS"] == "1" and settings["CALLMP_LOG_FORMAT"] == "json"
    env = process_environment(settings, GUNICORN_WORKERS="2", HOME="/nonexistent")
    command = as_unprivileged(
        [str(ENTRYPOINT), "gunicorn", "--config", str(GUNICORN_CONF), "wsgi:app"]
    )
    base = f"http://127.0.0.1:{port}"
    logs = state_dir / "web-logs"
    with serving(command, env, port, logs) as process:
        if runs_as_other_user():
            uid, capabilities = process_status(process.pid)
            assert uid == 65534  # nobody
            assert capabilities & ~CAP_DAC_READ_SEARCH == 0
            assert_cannot_write_the_code()
        ready = requests.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {
            "database": "ok",
            "data": "ok",
            "redis_queue": "ok",
            "redis_limiter": "ok",
            "queue": "ok",
        }
        assert requests.get(f"{base}/healthz?q={MARKER}", timeout=5).status_code == 200
        # Through Caddy, a client elsewhere: X-Forwarded-For names it (one trusted hop).
        outside = {"X-Forwarded-For": "203.0.113.9"}
        assert requests.get(f"{base}/metrics", headers=outside, timeout=5).status_code == 404
        token = settings["CALLMP_METRICS_TOKEN"]
        scraped = requests.get(
            f"{base}/metrics", headers={**outside, "Authorization": f"Bearer {token}"}, timeout=5
        )
        assert scraped.status_code == 200
    out = read_logs(logs)
    assert "database migrated from empty" in out
    # A dead process's file was removed at start; a running process's file was kept.
    assert not dead.exists() and alive.exists()
    assert call_counts(scraped.text) == {"placed": 7.0}
    access = [
        json.loads(line)
        for line in out.splitlines()
        if line.startswith("{") and '"callmp.access"' in line
    ]
    assert {"GET /readyz 200", "GET /healthz 200"} <= {
        f"{entry['method']} {entry['path']} {entry['status']}" for entry in access
    }
    assert MARKER not in out

    # The same entrypoint again (a restart): the prepare step finds nothing to do, then the
    # given command runs.
    again = subprocess.run(
        as_unprivileged([str(ENTRYPOINT), "python", "-c", "print('then the command')"]),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0].startswith("database already at ")
    assert lines[1].startswith("data: unchanged: ")
    assert lines[-1] == "then the command"


def test_entrypoint_without_a_command_refuses() -> None:
    done = subprocess.run(
        [str(ENTRYPOINT)], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 64
    assert done.stderr.strip() == "entrypoint.sh: no command given"


def test_entrypoint_leaves_out_the_prepare_step_when_asked(state_dir: Path) -> None:
    # A database that cannot answer: the prepare step, when it runs, fails.
    unreachable = process_environment(
        {
            "CALLMP_DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1:1/x",
            "CALLMP_QUEUE_PATH": str(state_dir / "queue.sqlite3"),
            "CALLMP_MAIL_OUTBOX": str(state_dir / "outbox"),
        },
        PREPARE="skip",
    )
    done = subprocess.run(
        [str(ENTRYPOINT), "python", "-c", "print('only the command')"],
        cwd=ROOT,
        env=unreachable,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "only the command\n", "")
    prepared = subprocess.run(
        [str(ENTRYPOINT), "python", "-c", "print('only the command')"],
        cwd=ROOT,
        env=dict(unreachable, PREPARE="run", PREPARE_WAIT="0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert prepared.returncode == 1
    assert "the database did not answer within 0 seconds" in prepared.stderr


def wait_for_line(path: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    """Return once ``text`` appears in ``path``; fail if the process exits first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while text not in path.read_text(encoding="utf-8", errors="replace"):
        assert process.poll() is None, path.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, f"no {text!r} in {path}"
        time.sleep(0.2)


def test_the_worker_starts_from_the_entrypoint_and_stops_gracefully_on_sigint(
    fresh_database_url: str, redis_url: str, state_dir: Path
) -> None:
    settings = production_environment(
        database_url=fresh_database_url,
        redis_url=redis_url,
        port=free_port(),
        metrics_dir=state_dir / "metrics",
        service="worker",
    )
    # Shared with the web service (compose.yaml): here a folder of the test's own.
    assert settings["PROMETHEUS_MULTIPROC_DIR"] == str(state_dir / "metrics")
    env = process_environment(settings, HOME="/nonexistent")
    spec = load_compose()["services"]["worker"]
    out, err = state_dir / "worker.out", state_dir / "worker.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        worker = subprocess.Popen(
            as_unprivileged([str(ENTRYPOINT), *spec["command"]]),
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            wait_for_line(out, "queue worker: 4 threads, Twilio calls", worker)
            healthcheck = spec["healthcheck"]["test"][1:]
            assert subprocess.run(healthcheck, env=env, timeout=30, check=False).returncode == 0
            dead = dict(env, CALLMP_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
            assert subprocess.run(
                healthcheck, env=dead, capture_output=True, timeout=30, check=False
            ).returncode
            assert spec["stop_signal"] == "SIGINT"
            worker.send_signal(signal.SIGINT)
            assert worker.wait(timeout=60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert "Received SIGINT" in err.read_text(encoding="utf-8")
