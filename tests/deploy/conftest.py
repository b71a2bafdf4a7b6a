"""Fixtures of the deployment tests: a state folder the unprivileged user owns, and a
fresh empty database that user can reach."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.deploy import hand_to_unprivileged


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A folder owned by the user the app runs as (``nobody`` when the tests run as root):
    pytest's own temporary folders are closed to other users."""
    path = Path(tempfile.mkdtemp(prefix="callmp-deploy-"))
    hand_to_unprivileged(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fresh_database_url(empty_database_url: str, state_dir: Path) -> str:
    """An empty database: the PostgreSQL one the run uses, or a new SQLite file in
    ``state_dir`` (where the unprivileged user may create it)."""
    if make_url(empty_database_url).get_backend_name() == "sqlite":
        return f"sqlite:///{state_dir / 'callmp.sqlite3'}"
    return empty_database_url
