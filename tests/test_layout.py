"""The layout holds by rule: domain packages never import the web framework."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from callmp.config import REPO_ROOT

RUFF = Path(sys.executable).with_name("ruff")
WEB_IMPORTS = [
    "from flask import g",
    "from flask_babel import gettext",
    "from flask_login import current_user",
    "from flask_wtf import FlaskForm",
    "import wtforms",
    "from werkzeug.exceptions import NotFound",
]

#: Shared basics, the app factory and the CLI: the only modules at the top of callmp/.
TOP_LEVEL = {
    "__init__",
    "accounts",
    "audit",
    "cli",
    "config",
    "db",
    "demo",
    "i18n",
    "job_queue",
    "log_privacy",
    "login_limits",
    "migrate",
    "numbers",
    "services",
    "signing",
    "sqlite_writers",
    "templating",
}


def _ruff_codes(source: str, as_path: str) -> set[str]:
    """The rule codes ruff reports for ``source`` checked as if it lived at ``as_path``."""
    result = subprocess.run(
        [
            str(RUFF),
            "check",
            "--select",
            "TID251",
            "--output-format",
            "concise",
            "--stdin-filename",
            as_path,
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    return set(re.findall(r"^\S+:\d+:\d+: ([A-Z]+\d+) ", result.stdout, re.M))


@pytest.mark.parametrize("line", WEB_IMPORTS)
@pytest.mark.parametrize("package", ["calls", "letters", "stats", "directory", "campaigns"])
def test_domain_module_importing_the_web_framework_fails_lint(package: str, line: str) -> None:
    assert "TID251" in _ruff_codes(line + "\n", f"callmp/{package}/probe.py")


@pytest.mark.parametrize("path", ["callmp/views/probe.py", "callmp/views/admin/probe.py"])
def test_web_layer_may_import_the_web_framework(path: str) -> None:
    assert _ruff_codes("\n".join(WEB_IMPORTS) + "\n", path) == set()


def test_top_of_the_package_holds_only_shared_basics() -> None:
    modules = {path.stem for path in (REPO_ROOT / "callmp").glob("*.py")}
    assert modules == TOP_LEVEL
