"""deploy/gunicorn.conf.py: only the app's ProxyFix (CALLMP_PROXY_HOPS) trusts forwarded
headers, and gunicorn's access lines leave out query strings and client addresses.

Gunicorn's own default trusts X-Forwarded-Proto from 127.0.0.1 and then marks the request
as HTTPS. A request that Flask-WTF believes came over HTTPS must carry a Referer: so a
login form posted straight to gunicorn with a spoofed ``X-Forwarded-Proto: https`` and no
Referer is refused (400) when gunicorn trusts the header, and merely fails its password
check (401) when nothing does. The same request under gunicorn's defaults is the control.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from callmp.demo import DEMO_SLUG
from callmp.ops.metrics import host_name as metrics_host
from tests.support.deploy import GUNICORN_CONF, ROOT, process_environment, read_logs, serving
from tests.support.html import form_fields, one, parse
from tests.support.metrics_process import Container
from tests.support.redis_server import free_port

pytestmark = pytest.mark.real_clock("gunicorn runs as a process")

SPOOFED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
MARKER = "zq9marker"
#: Method, path, protocol, status, size, milliseconds: nothing else.
ACCESS_LINE = re.compile(
    r'^"GET /(healthz|metrics|login|api/v1/lookup) HTTP/1\.1" \d{3} \d+ \d+ms$'
)


def spoofed_login(base: str) -> int:
    """The status of a login posted with a valid CSRF token, no Referer, spoofed headers."""
    with requests.Session() as browser:
        page = browser.get(f"{base}/login", headers=SPOOFED, timeout=10)
        fields = form_fields(one(parse(page.text), "form[method=post]"))
        fields.update(email="nobody@example.org", password="not the password")
        answer = browser.post(
            f"{base}/login", data=fields, headers=SPOOFED, timeout=10, allow_redirects=False
        )
        return answer.status_code


def serve(database_url: str, folder: Path, *config: str) -> tuple[list[str], dict[str, str]]:
    """The gunicorn command (with ``config`` options) and environment of a one-worker app."""
    port = free_port()
    env = process_environment(
        {
            "CALLMP_DATABASE_URL": database_url,
            "CALLMP_SECRET_KEY": "test-secret",
            "CALLMP_QUEUE_PATH": str(folder / "queue.sqlite3"),
            "CALLMP_MAIL_OUTBOX": str(folder / "outbox"),
            "CALLMP_PROXY_HOPS": "0",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
        }
    )
    command = [sys.executable, "-m", "gunicorn", *config, "wsgi:app"]
    if not config:
        command[-1:-1] = ["--bind", env["GUNICORN_BIND"], "--workers", "1"]
    return command, env


def port_of(env: dict[str, str]) -> int:
    return int(env["GUNICORN_BIND"].rsplit(":", 1)[1])


def test_spoofed_forwarded_headers_are_ignored_and_access_lines_keep_no_query(
    database_url: str, tmp_path: Path
) -> None:
    command, env = serve(database_url, tmp_path, "--config", str(GUNICORN_CONF))
    port = port_of(env)
    base = f"http://127.0.0.1:{port}"
    logs = tmp_path / "ours"
    with serving(command, env, port, logs):
        assert spoofed_login(base) == 401
        # X-Forwarded-For is ignored too: the client is still loopback, which may read
        # /metrics without the token.
        assert requests.get(f"{base}/metrics", headers=SPOOFED, timeout=10).status_code == 200
        # The lookup API takes a postal code in the query string.
        url = f"{base}/api/v1/lookup?postal_code=K1A0A6&lang={MARKER}"
        assert requests.get(url, timeout=10).status_code in (200, 400)
    lines = [line for line in read_logs(logs).splitlines() if '"GET /' in line]
    assert any("/api/v1/lookup" in line for line in lines), lines
    assert all(ACCESS_LINE.match(line) for line in lines), lines
    assert MARKER not in read_logs(logs)


def test_under_gunicorns_defaults_the_same_spoof_is_believed(
    database_url: str, tmp_path: Path
) -> None:
    command, env = serve(database_url, tmp_path)
    port = port_of(env)
    with serving(command, env, port, tmp_path / "defaults"):
        assert spoofed_login(f"http://127.0.0.1:{port}") == 400


def dead_pid() -> int:
    """A process id no process on this host has now."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def test_metrics_add_up_the_worker_containers_files_and_start_clean_of_our_dead(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "metrics"
    gone = dead_pid()
    # A process of this host that died (a gunicorn worker before a restart): its files go.
    ours = Container(folder, socket.gethostname(), gone)
    ours.say("call placed", "call placed", "call placed", "call placed", "call placed")
    ours.stop()
    # The queue worker in its own container, with a process id this host may lack too.
    worker = Container(folder, "worker-c0ffee", gone)
    try:
        worker.say("call placed", "call placed", "letter sent")
        command, env = serve(database_url, tmp_path, "--config", str(GUNICORN_CONF))
        env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
        port = port_of(env)
        with serving(command, env, port, tmp_path / "logs"):
            assert not (folder / f"counter_{metrics_host()}-{gone}.db").exists()
            assert (folder / f"counter_worker-c0ffee-{gone}.db").exists()
            first = samples(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10))
            worker.say("call placed", "call failed")
            second = samples(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10))
    finally:
        worker.stop()
    assert first[PLACED] == 2
    assert first[("callmp_letters_total", (("outcome", "sent"),))] == 1
    assert second[PLACED] == 3
    assert second[("callmp_calls_total", (("outcome", "failed"),))] == 1


def samples(answer: requests.Response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer by (name, sorted labels)."""
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


PLACED = ("callmp_calls_total", (("outcome", "placed"),))


#: A letter's confirmation token and a call's id, as their links carry them.
TOKEN = "Zq9tokenLetterConfirm.sig"
CALL_ID = "Zq9callPublicId"
SAFE_PATHS = ("/c/some-campaign/emails/confirm/[token]", "/c/some-campaign/calls/[public_id]")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_access_lines_show_no_confirmation_token_or_call_id(
    database_url: str, tmp_path: Path, log_format: str
) -> None:
    command, env = serve(database_url, tmp_path, "--config", str(GUNICORN_CONF))
    env["CALLMP_LOG_FORMAT"] = log_format
    port = port_of(env)
    base = f"http://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    with serving(command, env, port, logs):
        requests.get(f"{base}/c/some-campaign/emails/confirm/{TOKEN}", timeout=10)
        requests.get(f"{base}/c/some-campaign/calls/{CALL_ID}", timeout=10)
    written = read_logs(logs)
    if log_format == "text":  # gunicorn's access line
        lines = [line for line in written.splitlines() if '"GET /c/' in line]
        paths = tuple(line.split()[1] for line in lines)
    else:  # the app's own; gunicorn writes none
        assert not [line for line in written.splitlines() if line.startswith('"GET /')]
        entries = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
        paths = tuple(e["path"] for e in entries if e["logger"] == "callmp.access")
        paths = tuple(path for path in paths if path.startswith("/c/"))
    assert paths == SAFE_PATHS
    assert "Zq9" not in written


def _rss_mb(pid: int) -> float:
    """The resident memory of process ``pid``, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_the_master_preloads_the_app_and_its_workers_open_their_own_connections(
    database_url: str, tmp_path: Path
) -> None:
    """With the deploy config the master builds the app and loads the postal tables once
    (its workers share them); two workers then serve database pages side by side, each on
    its own connections. ``GUNICORN_PRELOAD=0`` is the control: a master that loads
    nothing."""
    masters: dict[str, float] = {}
    for preload in ("1", "0"):
        command, env = serve(database_url, tmp_path, "--config", str(GUNICORN_CONF))
        env |= {"GUNICORN_WORKERS": "2", "GUNICORN_PRELOAD": preload}
        port = port_of(env)
        with serving(command, env, port, tmp_path / f"preload-{preload}") as master:
            masters[preload] = _rss_mb(master.pid)
            if preload == "1":
                urls = [
                    f"http://127.0.0.1:{port}/c/{DEMO_SLUG}",
                    f"http://127.0.0.1:{port}/api/v1/lookup?postal_code=K1A0A6",
                ] * 20
                with ThreadPoolExecutor(8) as pool:
                    statuses = list(
                        pool.map(lambda u: requests.get(u, timeout=10).status_code, urls)
                    )
                assert set(statuses) == {200}
        assert "Traceback" not in read_logs(tmp_path / f"preload-{preload}")
    # The postal tables alone are tens of megabytes.
    assert masters["1"] > masters["0"] + 20, masters


OPEN_FILES = """
import os, sys, wsgi
from callmp.views.context import services
from callmp.views.preload import ready_to_fork

with services(wsgi.app).engine.connect() as used:
    used.exec_driver_sql("SELECT 1")
ready_to_fork(wsgi.app)

def show():
    for fd in os.listdir("/proc/self/fd"):
        try:
            print(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass

show()
print("--- control: a connection opened on purpose")
with services(wsgi.app).engine.connect() as connection:
    connection.exec_driver_sql("SELECT 1")
    show()
"""


def test_the_preloading_master_holds_no_database_or_queue_file_open(
    database_url: str, tmp_path: Path
) -> None:
    """A preloading master ready to fork (``pre_fork``) keeps no connection open: a SQLite
    connection carried across a fork and used by two processes corrupts the file. Here
    the database was used first (the queue too: its tables were made)."""
    if not database_url.startswith("sqlite"):
        pytest.skip(
            "SQLite files are what a fork must not share; PostgreSQL's pool is tested above"
        )
    _command, env = serve(database_url, tmp_path)
    queue = env["CALLMP_QUEUE_PATH"]
    output = subprocess.run(
        [sys.executable, "-c", OPEN_FILES],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    before_fork, control = (part.split() for part in output.split("--- control:"))
    database = database_url.removeprefix("sqlite:///")
    assert Path(queue).exists()  # the queue was opened (and its tables made) ...
    assert [f for f in before_fork if f.startswith((database, queue))] == []  # ... then closed
    assert any(f.startswith(database) for f in control)  # what an open connection looks like
