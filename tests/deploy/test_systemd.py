"""The systemd units for deployments without containers: who they run as, what they
wait for, their hardening, and ``systemd-analyze verify`` on them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.deploy import DEPLOY, ROOT

UNITS = DEPLOY / "systemd"
APP_UNITS = ("callmp-web.service", "callmp-worker.service")
ALL_UNITS = ("callmp-prepare.service", *APP_UNITS)


def unit(name: str) -> dict[str, list[str]]:
    """A unit's settings, ``Section.Key`` -> every value given (keys may repeat)."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in (UNITS / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key}", []).append(value)
    return settings


def one(settings: dict[str, list[str]], key: str) -> str:
    values = settings[key]
    assert len(values) == 1, f"{key} given {len(values)} times"
    return values[0]


@pytest.mark.parametrize("name", ALL_UNITS)
def test_units_run_as_callmp_with_the_env_file_and_hardening(name: str) -> None:
    settings = unit(name)
    assert one(settings, "Service.User") == "callmp"
    assert one(settings, "Service.EnvironmentFile") == "/etc/callmp/callmp.env"
    assert one(settings, "Service.NoNewPrivileges") == "yes"
    assert one(settings, "Service.ProtectSystem") == "strict"
    assert one(settings, "Service.PrivateTmp") == "yes"
    assert one(settings, "Service.ProtectHome") == "yes"
    assert "/var/lib/callmp" in one(settings, "Service.ReadWritePaths").split()
    assert one(settings, "Service.CapabilityBoundingSet") == ""


@pytest.mark.parametrize("name", APP_UNITS)
def test_web_and_worker_require_the_prepare_unit_and_restart_on_failure(name: str) -> None:
    settings = unit(name)
    assert "callmp-prepare.service" in one(settings, "Unit.Requires").split()
    assert "callmp-prepare.service" in one(settings, "Unit.After").split()
    assert one(settings, "Service.Restart") == "on-failure"
    assert "PROMETHEUS_MULTIPROC_DIR=/run/callmp" in settings["Service.Environment"]
    assert one(settings, "Service.RuntimeDirectory") == "callmp"
    assert one(settings, "Service.RuntimeDirectoryPreserve") == "yes"


def test_prepare_is_a_oneshot_that_never_seeds_the_demo() -> None:
    settings = unit("callmp-prepare.service")
    assert one(settings, "Service.Type") == "oneshot"
    assert one(settings, "Service.RemainAfterExit") == "yes"
    command = one(settings, "Service.ExecStart").split()
    assert command[-4:-2] == ["wsgi", "prepare"] and "--demo" not in command


def test_web_serves_gunicorn_with_the_config_on_loopback() -> None:
    settings = unit("callmp-web.service")
    command = one(settings, "Service.ExecStart").split()
    assert command[0].endswith("/gunicorn")
    assert command[1:3] == ["--config", "/opt/callmp/deploy/gunicorn.conf.py"]
    assert "GUNICORN_BIND=127.0.0.1:8000" in settings["Service.Environment"]
    assert one(settings, "Service.Type") == "notify"


def test_worker_stops_gracefully() -> None:
    settings = unit("callmp-worker.service")
    assert one(settings, "Service.KillSignal") == "SIGINT"  # Huey: finish the jobs under way
    assert one(settings, "Service.ExecStart").split()[1:4] == ["--app", "wsgi", "worker"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # The units name /opt/callmp; verify checks that each command exists, so the copies
    # point at this checkout and its virtualenv instead.
    venv = Path(sys.executable).parent.parent
    for name in ALL_UNITS:
        text = (UNITS / name).read_text(encoding="utf-8")
        text = text.replace("/opt/callmp/.venv", str(venv)).replace("/opt/callmp", str(ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in ALL_UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr.strip()) == (0, "")
