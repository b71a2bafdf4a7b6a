"""The image's file layout, without building it: the final stage's COPY instructions are
replayed into a folder that stands for /app (the build stage's output, the virtualenv,
comes from this machine's), and the image's own ENTRYPOINT and CMD are run there with
its ENV, as the unprivileged user, against a fresh database. It serves: so the image
holds everything the app reads at run time (templates, static files, the shipped data,
the compiled translations), and nothing outside /app is needed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from tests.support.deploy import ROOT, as_unprivileged, process_environment, serving
from tests.support.dockerfile import environment, final_stage, stage_copies, workdir
from tests.support.redis_server import free_port

pytestmark = pytest.mark.real_clock("the image's command runs as a process")

#: What the build stage leaves in its /src (the code with its compiled .mo files).
BUILD_OUTPUT = {"/src/callmp": ROOT / "callmp"}


def replay_copies(app: Path) -> None:
    """Copy into ``app`` what the final stage's COPY instructions put under WORKDIR."""
    stage = final_stage()
    image_root = workdir(stage)
    for origin, sources, destination in stage_copies(stage):
        if origin is not None and sources == ["/opt/venv"]:
            continue  # the virtualenv: this machine's stands in for it
        for source in sources:
            local = BUILD_OUTPUT[source] if origin is not None else ROOT / source
            target = app / destination.removeprefix(image_root).lstrip("./").lstrip("/")
            if destination.endswith("/"):
                target = target / local.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if local.is_dir():
                shutil.copytree(
                    local, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            else:
                shutil.copy2(local, target)


def in_app(value: str, image_root: str, app: Path) -> str:
    """``value`` with the image's /app replaced by ``app``."""
    return value.replace(image_root, str(app))


def test_the_image_layout_serves_with_its_own_entrypoint_and_command(
    fresh_database_url: str, state_dir: Path
) -> None:
    app = state_dir / "app"  # made by root inside nobody's folder: nobody cannot write it
    app.mkdir()
    replay_copies(app)
    assert (app / "callmp" / "translations" / "fr" / "LC_MESSAGES" / "messages.mo").is_file()
    stage = final_stage()
    image_root = workdir(stage)
    image_env = {
        key: in_app(value, image_root, app)
        for key, value in environment(stage).items()
        if key != "PATH"
    }
    port = free_port()
    image_env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        CALLMP_DATABASE_URL=fresh_database_url,
        CALLMP_SECRET_KEY="test-secret",
        CALLMP_QUEUE_PATH=str(state_dir / "queue.sqlite3"),
        CALLMP_MAIL_OUTBOX=str(state_dir / "outbox"),
    )
    env = process_environment(image_env, HOME="/nonexistent")
    env["PYTHONPATH"] = image_env["PYTHONPATH"]  # the copy's code, not the checkout's
    by_name = {i.name: i.args for i in stage}
    command = [
        in_app(word, image_root, app)
        for word in json.loads(by_name["ENTRYPOINT"]) + json.loads(by_name["CMD"])
    ]
    base = f"http://127.0.0.1:{port}"
    with serving(as_unprivileged(command), env, port, state_dir / "logs", cwd=app):
        ready = requests.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        home = requests.get(f"{base}/?lang=fr", timeout=10)
        assert home.status_code == 200
        assert '<html lang="fr"' in home.text
        assert requests.get(f"{base}/static/callmp.css", timeout=10).status_code == 200
        lookup = requests.post(f"{base}/api/v1/lookup", json={"postal_code": "K1A 0A6"}, timeout=10)
        assert lookup.status_code == 200, lookup.text
