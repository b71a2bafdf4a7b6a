"""Helpers for the deployment tests: the files under deploy/, compose.yaml's settings with
loopback values in place of its services, and gunicorn started as the image starts it.

No container runtime here: the entrypoint, gunicorn's config and the settings compose
would give run as plain processes on loopback, as the image's non-root user would run
them (``nobody`` when the tests run as root).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import yaml
from sqlalchemy.engine import make_url

#: The repository these tests belong to (a worktree's or a CI clone's, not the venv's).
ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = DEPLOY / "callmp.env.example"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"

#: The base URL the filled-in example uses (never contacted).
PUBLIC_URL = "https://calls.example.org"

#: Seconds to wait for the entrypoint (prepare) and gunicorn to answer /healthz.
START_TIMEOUT_S = 90.0

_SETPRIV = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
_READ_ANYWHERE = ("--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search")
_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::\?[^}]*)?\}")


def read_env_file(path: Path) -> dict[str, str]:
    """The KEY=value lines of an env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(stripped)
        if match is None:
            raise ValueError(f"{path.name}:{number}: not a KEY=value line: {line!r}")
        values[match.group(1)] = match.group(2)
    return values


def commented_settings(path: Path) -> dict[str, str]:
    """The ``# KEY=value`` lines of an env file: settings shown for another setup."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line.lstrip("# ").strip()) if line.startswith("# ") else None
        if match is not None and match.group(1).isupper():
            values[match.group(1)] = match.group(2)
    return values


def filled_env_example() -> dict[str, str]:
    """The env example with each ``change-me`` placeholder replaced by a value."""
    values = read_env_file(ENV_EXAMPLE)
    for key, value in values.items():
        if "change-me" in value:
            values[key] = value.replace("change-me", "filled" + str(len(key)))
    return values


def load_compose() -> dict[str, Any]:
    """compose.yaml, parsed (YAML merge keys resolved)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's ``${NAME}`` and ``${NAME:?message}``, from ``env`` (missing: an error)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise KeyError(f"compose.yaml needs {name}")
        return env[name]

    return _INTERPOLATION.sub(one, value)


def service_environment(service: str, env: Mapping[str, str]) -> dict[str, str]:
    """What a compose service's container sees: its env_file, then its environment."""
    spec = load_compose()["services"][service]
    seen: dict[str, str] = {}
    if spec.get("env_file"):
        seen.update(env)
    for key, value in (spec.get("environment") or {}).items():
        seen[key] = interpolate(str(value), env)
    return seen


def production_environment(
    *, database_url: str, redis_url: str, port: int, metrics_dir: Path, service: str = "web"
) -> dict[str, str]:
    """A compose service's environment, with loopback values in place of compose's services
    (a metrics folder only where compose gives one)."""
    env = service_environment(service, filled_env_example())
    limiter = make_url(redis_url).set(database="1").render_as_string(hide_password=False)
    env.update(
        CALLMP_DATABASE_URL=database_url,
        CALLMP_REDIS_URL=redis_url,
        CALLMP_RATELIMIT_STORAGE_URI=limiter,
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    if "PROMETHEUS_MULTIPROC_DIR" in env:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    return env


def process_environment(settings: Mapping[str, str], **more: str) -> dict[str, str]:
    """This process's environment without any CallMP or metrics setting, plus ``settings``:
    this repository's code first on the path, the virtualenv's commands first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CALLMP_", "GUNICORN_", "PROMETHEUS_", "FLASK_"))
    }
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"  # as in the image: lines reach the log at once
    env.update(settings)
    env.update(more)
    return env


@functools.cache
def unprivileged_prefix() -> tuple[str, ...] | None:
    """The setpriv command that runs a program as ``nobody``, or None when the tests do not
    run as root (or lack setpriv).

    ``nobody`` must be able to execute this virtualenv's interpreter. When that lives
    under /root (mode 0700, as on the project's build machine), ``nobody`` keeps one
    capability, CAP_DAC_READ_SEARCH: it may read and traverse any folder, and still
    write nowhere it has no right to (the code, /root, its home).
    """
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    for extra in ((), _READ_ANYWHERE):
        probe = subprocess.run(
            [*_SETPRIV, *extra, "sh", "-c", 'exec "$0" -c pass', sys.executable],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if probe.returncode == 0:
            return (*_SETPRIV, *extra)
    return None


def runs_as_other_user() -> bool:
    """True when the tests run the app as ``nobody``."""
    return unprivileged_prefix() is not None


def as_unprivileged(command: list[str]) -> list[str]:
    """``command`` run as ``nobody`` when the tests run as root, else as it is."""
    prefix = unprivileged_prefix()
    return [*prefix, *command] if prefix is not None else command


def hand_to_unprivileged(path: Path) -> None:
    """Let the unprivileged user own ``path`` (its state folder)."""
    if runs_as_other_user():
        shutil.chown(path, "nobody", "nogroup")


@contextmanager
def serving(
    command: list[str], env: Mapping[str, str], port: int, logs: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` from ``cwd`` (the repository's root) until it answers /healthz on
    ``port``; stop it at the end. Its output goes to ``logs``/out.log and err.log."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "out.log").open("wb") as out, (logs / "err.log").open("wb") as err:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=err)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise AssertionError(
                        f"exited with {process.returncode}:\n" + read_logs(logs)[-4000:]
                    )
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).ok:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("never answered /healthz:\n" + read_logs(logs)[-4000:])
                time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def read_logs(logs: Path) -> str:
    """What a process started by ``serving`` wrote, standard output then error."""
    return "".join(
        (logs / name).read_text(encoding="utf-8", errors="replace")
        for name in ("out.log", "err.log")
        if (logs / name).exists()
    )
