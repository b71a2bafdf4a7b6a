"""Readiness checks without an app: which Redis servers count, and what a failure says."""

from __future__ import annotations

import socket
from pathlib import Path

from huey import MemoryHuey
from sqlalchemy import create_engine

from callmp.ops.health import Readiness, check_readiness, check_redis, redis_urls


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_redis_counts_only_when_configured() -> None:
    config = {
        "QUEUE": "redis",
        "REDIS_URL": "redis://queue:6379/0",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    assert redis_urls(config) == {"redis_queue": "redis://queue:6379/0"}
    assert redis_urls({"QUEUE": "sqlite", "RATELIMIT_STORAGE_URI": "rediss://lim/1"}) == {
        "redis_limiter": "rediss://lim/1"
    }
    assert redis_urls({"QUEUE": "sqlite", "RATELIMIT_STORAGE_URI": "memory://"}) == {}


def test_unreachable_redis_says_unavailable_without_its_url() -> None:
    assert check_redis(f"redis://:s3cret@127.0.0.1:{_closed_port()}/0") == "unavailable"


def test_dead_queue_redis_skips_the_queue_depth(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/no/such.sqlite3")
    config = {"QUEUE": "redis", "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}
    found = check_readiness(engine, MemoryHuey("t", immediate=True), config)
    assert found.checks == {
        "database": "unavailable",
        "data": "not checked",
        "redis_queue": "unavailable",
        "queue": "not checked",
    }
    assert found.queue_depth is None
    assert not found.ready


def test_readiness_lists_failures_in_check_order() -> None:
    found = Readiness(checks={"database": "ok", "data": "no ridings", "queue": "unreadable"})
    assert found.failed() == ["data", "queue"]
