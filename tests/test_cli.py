"""The first start's commands: ``setup --quiet`` prints only errors, ``serve`` prints a short
banner once it listens (and none when it cannot).

``setup`` runs in a subprocess, as ``scripts/run`` runs it, so that everything it would
print (Alembic's and the data import's log lines, warnings) is seen.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, select

from callmp import demo
from callmp.cli import banner
from callmp.config import REPO_ROOT
from callmp.models import Campaign

BASE = "http://127.0.0.1:5000"


def _flask(
    *args: str, database_url: str, instance: Path, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wsgi ARGS`` as scripts/run does, on ``database_url``; ``settings``
    are more environment variables (an empty value removes one)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLMP_")}
    env.update(
        CALLMP_DATABASE_URL=database_url,
        CALLMP_SECRET_KEY="test-secret",
        CALLMP_MAIL_OUTBOX=str(instance / "outbox"),
        CALLMP_QUEUE_PATH=str(instance / "queue.sqlite3"),
    )
    env.update(settings)
    env = {key: value for key, value in env.items() if value}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_quiet_setup_prints_nothing_and_builds_the_demo(
    empty_database_url: str, tmp_path: Path
) -> None:
    done = _flask("setup", "--quiet", database_url=empty_database_url, instance=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            slugs = connection.scalars(select(Campaign.slug)).all()
    finally:
        engine.dispose()
    assert slugs == [demo.DEMO_SLUG]


def test_setup_says_each_step_unless_quiet(empty_database_url: str, tmp_path: Path) -> None:
    done = _flask("setup", database_url=empty_database_url, instance=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "database is up to date"
    assert lines[-1] == f"demo campaign: /c/{demo.DEMO_SLUG}"


def test_quiet_setup_still_shows_an_error(tmp_path: Path) -> None:
    unwritable = f"sqlite:///{tmp_path}/no-such-folder/callmp.sqlite3"
    done = _flask("setup", "--quiet", database_url=unwritable, instance=tmp_path)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "unable to open database file" in done.stderr


def test_banner_says_where_to_go_how_to_log_in_and_how_to_stop(tmp_path: Path) -> None:
    password_file = tmp_path / "demo-admin-password"
    password_file.write_text("s3cret-Words\n", encoding="utf-8")
    text = banner(BASE, login="demo-admin@callmp.example", password_file=password_file)
    lines = [line.strip() for line in text.strip().splitlines()]
    assert lines[0] == f"CallMP is running on {BASE}"
    assert f"Campaign page:  {BASE}/c/{demo.DEMO_SLUG}" in lines
    assert f"Staff login:    {BASE}/login" in lines
    assert "email:        demo-admin@callmp.example" in lines
    assert f"password:     s3cret-Words  (kept in {password_file})" in lines
    assert f"Letters go to the outbox, not to MPs: {BASE}/dev/outbox" in lines
    assert lines[-1] == "Press Ctrl+C to stop."
    assert len(lines) <= 10


def test_banner_leaves_out_the_demo_lines_of_a_real_setup() -> None:
    text = banner(BASE, local_calls=False, outbox=False)
    assert "outbox" not in text
    assert "simulated" not in text
    assert "password" not in text


def test_serve_prints_no_banner_when_the_port_is_taken(app: Flask) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert "Press Ctrl+C" not in result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_serve_takes_its_port_from_the_port_variable(app: Flask) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["serve"], env={"PORT": str(port)})
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_a_command_refuses_a_production_setup_naming_each_missing_setting(
    database_url: str, tmp_path: Path
) -> None:
    done = _flask(
        "check",
        database_url=database_url,
        instance=tmp_path,
        CALLMP_SECRET_KEY="",
        CALLMP_MAIL_BACKEND="smtp",
        CALLMP_SMTP_HOST="127.0.0.1",
        CALLMP_PUBLIC_URL="http://calls.example.org",
    )
    assert done.returncode != 0
    refusal = done.stderr.strip().splitlines()
    named = [line.split(" ", 2)[1] for line in refusal if line.startswith("- CALLMP_")]
    assert named == ["CALLMP_SECRET_KEY", "CALLMP_RATELIMIT_STORAGE_URI", "CALLMP_PUBLIC_URL"]


def test_check_prints_one_line_per_check_and_no_log_noise(
    database_url: str, tmp_path: Path
) -> None:
    done = _flask("check", database_url=database_url, instance=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["OK"] * (len(lines) - 1)
    assert lines[-1] == f"all {len(lines) - 1} checks passed"
