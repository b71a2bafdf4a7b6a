"""The job queue (Huey) that the call and mail services share, built from the config.

SQLite storage by default, Redis when configured, inline (``immediate``) in tests.

With SQLite storage, Huey opens the queue's file once per process, on first use, and
shares that one connection between threads under a lock; each job is pushed in its own
short ``BEGIN EXCLUSIVE`` transaction, so processes on one file (web servers and the
worker) take turns. Handing a job over therefore opens no database during a request; the
request's own transaction stores the call already queued (``CallService.push``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey
from redis import ConnectionPool

#: Seconds to wait for Redis to accept a connection, and for any answer. Without them a
#: Redis host that stopped answering (not refusing) would hang a supporter's request at
#: enqueue; then the call waits queued and the sweeper hands it over later. The worker's
#: blocking read waits one second, well within the answer timeout.
REDIS_CONNECT_TIMEOUT_S = 3.0
REDIS_ANSWER_TIMEOUT_S = 5.0


def make_queue(config: Mapping[str, Any]) -> Huey:
    """The Huey instance the config asks for."""
    backend = config["QUEUE"]
    if backend == "immediate":
        return MemoryHuey("callmp", immediate=True)
    if backend == "redis":
        pool = ConnectionPool.from_url(
            config["REDIS_URL"],
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
            socket_timeout=REDIS_ANSWER_TIMEOUT_S,
        )
        return RedisHuey("callmp", connection_pool=pool)
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
