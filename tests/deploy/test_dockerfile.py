"""The Dockerfile, read instruction by instruction (it cannot be built here: no container
engine): two stages, a non-root user, a health check, the entrypoint, the shipped data,
and only paths that exist and that .dockerignore lets through."""

from __future__ import annotations

import fnmatch
import json
import os
import re

from tests.support.deploy import ENTRYPOINT, GUNICORN_CONF, ROOT
from tests.support.dockerfile import copies, final_stage, stages

DOCKERIGNORE = ROOT / ".dockerignore"


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (last match wins)."""
    verdict = False
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        rule = raw.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        pattern = rule.removeprefix("!").rstrip("/").removeprefix("**/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            verdict = not negated
    return verdict


def test_two_stages_and_the_final_one_runs_as_a_non_root_user() -> None:
    assert len(stages()) >= 2
    users = [instruction.args for instruction in final_stage() if instruction.name == "USER"]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    creates = " ".join(i.args for i in final_stage() if i.name == "RUN")
    assert f"--uid {user}" in creates  # the user exists in the image


def test_health_check_entrypoint_and_command() -> None:
    by_name = {instruction.name: instruction.args for instruction in final_stage()}
    assert "/healthz" in by_name["HEALTHCHECK"]
    entrypoint = json.loads(by_name["ENTRYPOINT"])
    assert entrypoint == ["/app/deploy/entrypoint.sh"]
    command = json.loads(by_name["CMD"])
    assert command[0] == "gunicorn" and "/app/deploy/gunicorn.conf.py" in command
    assert by_name["WORKDIR"] == "/app"


def test_the_entrypoint_and_gunicorn_config_are_copied_and_executable() -> None:
    copied = {
        source: destination for sources, destination in copies(final_stage()) for source in sources
    }
    for path in (ENTRYPOINT, GUNICORN_CONF):
        assert copied[str(path.relative_to(ROOT))] == "./deploy/"
    assert os.access(ENTRYPOINT, os.X_OK)


def test_the_shipped_data_templates_and_static_files_are_inside() -> None:
    copied = {
        source: destination for sources, destination in copies(final_stage()) for source in sources
    }
    for folder in ("data", "templates", "static"):
        assert copied[folder] == f"./{folder}"
    env = " ".join(i.args for i in final_stage() if i.name == "ENV")
    assert "CALLMP_DATA_DIR=/app/data" in env
    assert (ROOT / "data" / "postal_codes.csv.gz").is_file()


def test_every_copied_path_exists_and_reaches_the_build_context() -> None:
    for stage in stages():
        for sources, _destination in copies(stage):
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not source.startswith(".."), source
                assert not ignored(source), f".dockerignore drops {source}"
    # Local state and secrets stay out of the context.
    for private in (".env", "instance", ".venv", ".git"):
        assert ignored(private), private


def test_the_build_stage_compiles_the_translations() -> None:
    runs = " ".join(i.args for i in stages()[0] if i.name == "RUN")
    assert re.search(r"pybabel compile --directory callmp/translations", runs)
