"""The job queue (Huey) that the call and mail services share, built from the config.

SQLite storage by default, Redis when configured, inline (``immediate``) in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey


def make_queue(config: Mapping[str, Any]) -> Huey:
    """The Huey instance the config asks for."""
    backend = config["QUEUE"]
    if backend == "immediate":
        return MemoryHuey("callmp", immediate=True)
    if backend == "redis":
        return RedisHuey("callmp", url=config["REDIS_URL"])
    Path(config["QUEUE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("callmp", filename=config["QUEUE_PATH"])


def close_queue(huey: Huey) -> None:
    """Release the queue's connections (Redis's pool, the SQLite file); they reopen on use."""
    storage = huey.storage
    if storage is None:  # taken away (a test standing in for a queue that is down)
        return
    pool = getattr(storage, "pool", None)
    if pool is not None:
        pool.disconnect()
    storage.close()
