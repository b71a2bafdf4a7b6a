"""Every setting in one place, with its default and what it does.

Settings come from the environment (prefix ``CALLMP_``) or from the overrides passed to
``create_app``. Nothing here is read at import time: ``load_config`` is called by the
app factory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default and a line on what it does."""

    name: str
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions and tokens; generated per run when unset (dev only).",
        True,
    ),
    Setting(
        "DATABASE_URL",
        "sqlite:///" + str(REPO_ROOT / "instance" / "callmp.sqlite3"),
        "SQLAlchemy URL of the database (SQLite by default, PostgreSQL when scaled).",
    ),
    Setting(
        "DATA_DIR",
        str(REPO_ROOT / "data"),
        "Folder with the shipped data (mps.csv, offices.csv ...).",
    ),
    Setting("DEFAULT_LOCALE", "en", "Language used when the visitor has not chosen one."),
    Setting("LOCALES", ("en", "fr"), "Languages the interface is offered in."),
    Setting(
        "ELECTIONS_CANADA_LOOKUP_URL",
        "https://www.elections.ca/Scripts/vis/FindED?L={lang}&PAGEID=20",
        "Elections Canada's own riding lookup, shown when our match is uncertain.",
    ),
    Setting(
        "FSA_MAJORITY_SHARE",
        0.9,
        "An unknown code whose FSA has one riding with at least this share is answered "
        "with that riding (still marked uncertain).",
    ),
    Setting(
        "FSA_MIN_SHARE", 0.01, "Candidate ridings below this share of an FSA are dropped as noise."
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send the session cookie over HTTPS only (set in production).",
    ),
    Setting("LOG_LEVEL", "INFO", "Logging level."),
)

_BOOL_TRUE = {"1", "true", "yes", "on"}


def _coerce(default: Any, raw: str) -> Any:
    """Turn an environment string into the type of the setting's default."""
    if isinstance(default, bool):
        return raw.strip().lower() in _BOOL_TRUE
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the configuration from defaults, the environment and explicit overrides."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        raw = env.get("CALLMP_" + setting.name)
        if raw is not None:
            value = _coerce(setting.default, raw)
        config[setting.name] = value
    config.update(overrides)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = os.urandom(32).hex()
    return config
