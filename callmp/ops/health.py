"""Readiness for load balancers: the database answers, Redis answers, the queue, the data.

No Flask here. Each check names what it looked at and says ``ok`` or what failed, never an
exception's text (a connection error can quote a URL with its password).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from huey.api import Huey
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from callmp.models import Riding

#: Seconds a Redis ping may take before the check says it failed.
REDIS_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Readiness:
    """What each check found (``ok`` or a short reason) and the queue's depth."""

    checks: dict[str, str] = field(default_factory=dict)
    queue_depth: int | None = None

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(result == "ok" for result in self.checks.values())

    def failed(self) -> list[str]:
        """The names of the checks that failed."""
        return [name for name, result in self.checks.items() if result != "ok"]


def redis_urls(config: Mapping[str, Any]) -> dict[str, str]:
    """The Redis servers the config uses, by role: the queue and the limiter's storage."""
    urls: dict[str, str] = {}
    if config.get("QUEUE") == "redis" and config.get("REDIS_URL"):
        urls["redis_queue"] = str(config["REDIS_URL"])
    limiter = str(config.get("RATELIMIT_STORAGE_URI", ""))
    if limiter.startswith(("redis://", "rediss://")):
        urls["redis_limiter"] = limiter
    return urls


def check_database(engine: Engine) -> tuple[str, str]:
    """(database, data): whether the database answers, and whether ridings are loaded."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return "unavailable", "not checked"
    try:
        with engine.connect() as connection:
            ridings = connection.execute(select(func.count()).select_from(Riding)).scalar_one()
    except Exception:
        return "ok", "no ridings table"
    return "ok", ("ok" if ridings > 0 else "no ridings")


def check_redis(url: str) -> str:
    """``ok`` when the Redis server at ``url`` answers a ping."""
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception:
        return "unavailable"
    return "ok"


def check_readiness(engine: Engine, queue: Huey, config: Mapping[str, Any]) -> Readiness:
    """Run every check: database, data loaded, each configured Redis, the queue's depth."""
    database, data = check_database(engine)
    checks = {"database": database, "data": data}
    for name, url in redis_urls(config).items():
        checks[name] = check_redis(url)
    depth: int | None = None
    if checks.get("redis_queue", "ok") != "ok":
        # The queue's client waits longer than a probe should: ping first, with a short wait.
        checks["queue"] = "not checked"
        return Readiness(checks=checks, queue_depth=depth)
    try:
        depth = int(queue.pending_count())
        checks["queue"] = "ok"
    except Exception:
        checks["queue"] = "unreadable"
    return Readiness(checks=checks, queue_depth=depth)


def read_queue_depth(queue: Huey, config: Mapping[str, Any]) -> int | None:
    """The queue's depth, or None when it cannot be read (a dead Redis is pinged first)."""
    url = redis_urls(config).get("redis_queue")
    if url is not None and check_redis(url) != "ok":
        return None
    try:
        return int(queue.pending_count())
    except Exception:
        return None
