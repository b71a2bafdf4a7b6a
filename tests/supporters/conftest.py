"""Fixtures of the supporters' tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.supporters.helpers import PUBLIC


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """An app with a public URL (the unsubscribe links are built from it), counting live."""
    return make_app(PUBLIC_URL=PUBLIC, ALLOW_LOCAL_MAIL=True, COUNTS_CACHE_SECONDS=0)
