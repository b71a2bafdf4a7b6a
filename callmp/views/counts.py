"""The public counter, kept a few seconds per process so every open page may poll it.

``COUNTS_CACHE_SECONDS`` bounds how stale a public figure may be; the figures themselves
come exact from the running totals. Staff dashboards don't use this cache.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from flask import Flask, current_app

from callmp.db import utcnow
from callmp.stats import counter
from callmp.views import context


@dataclass(frozen=True)
class Counts:
    """One campaign's public counter: the figures, their JSON body (plain and gzipped,
    compressed once per count rather than per request) and its ETag."""

    payload: dict[str, Any]
    body: bytes
    gzipped: bytes
    etag: str
    #: When it was counted (``time.monotonic``, the cache's clock).
    counted: float = field(default_factory=time.monotonic)

    def holds_for(self) -> float:
        """Seconds until the cache counts again (``COUNTS_CACHE_SECONDS`` after counting)."""
        ttl = float(current_app.config["COUNTS_CACHE_SECONDS"])
        return ttl - (time.monotonic() - self.counted)


def init_counts(app: Flask) -> None:
    """A per-process cache of public counters."""
    ttl = int(app.config["COUNTS_CACHE_SECONDS"])
    cache: TTLCache[tuple[str, str, bool], Counts] | None = (
        TTLCache(maxsize=512, ttl=ttl) if ttl > 0 else None
    )
    app.extensions["callmp.counts"] = (cache, threading.Lock())


def public_counts(
    slug: str, locale: str, *, by_office: bool = True, fresh: bool = False
) -> Counts | None:
    """The public counter of campaign ``slug`` (None: no such public campaign).

    ``fresh`` counts now (and refreshes the cache): a supporter who just acted sees
    their own contact in the count.
    """
    cache, lock = current_app.extensions["callmp.counts"]
    key = (slug, locale, by_office)
    if cache is not None and not fresh:
        with lock:
            found: Counts | None = cache.get(key)
            if found is not None:
                return found
    campaign = counter.public_campaign(context.db(), slug)
    counts = None
    if campaign is not None:
        payload = counter.counts(context.db(), campaign, locale, utcnow(), by_office=by_office)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        counts = Counts(payload, body, gzip.compress(body, compresslevel=6, mtime=0), etag)
    # Only real campaigns are kept: made-up slugs must not push them out of the cache.
    if cache is not None and counts is not None:
        with lock:
            cache[key] = counts
    return counts
