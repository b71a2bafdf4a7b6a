"""Prometheus metrics: requests, latency, calls, letters, lookups, the queue's depth; no Flask.

One ``Metrics`` per app (its own registry, so tests never share counts). When
``PROMETHEUS_MULTIPROC_DIR`` is set (several gunicorn workers, the queue worker), values go
to files in that folder and a scrape adds up every process's (prometheus_client's
multiprocess mode); gunicorn's ``child_exit`` hook must then call ``child_exit`` below.

Labels are endpoint names, methods, statuses and fixed kinds only: never a phone number,
an email address, a postal code or a path as typed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: The outcomes counted for calls and letters; anything else is refused.
CALL_OUTCOMES = ("queued", "placed", "failed")
LETTER_OUTCOMES = ("queued", "sent", "failed")

#: HTTP methods kept as labels; any other (a client may send anything) counts as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Latency buckets (seconds): webhooks must answer Twilio well within its 15 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

#: Reads the queue's depth at scrape time; None when it cannot be read.
DepthReader = Callable[[], int | None]


def multiprocess_dir() -> str | None:
    """The multiprocess folder when prometheus_client's multiprocess mode is on."""
    return os.environ.get(MULTIPROC_ENV) or None


class QueueDepthCollector(Collector):
    """``callmp_queue_depth``, read when scraped (absent when the queue cannot be read)."""

    def __init__(self, read: DepthReader) -> None:
        self._read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """The queue's depth now."""
        depth = self._read()
        if depth is not None:
            yield GaugeMetricFamily(
                "callmp_queue_depth", "Jobs waiting in the queue (calls and mail).", value=depth
            )


class Metrics:
    """The counters and histograms of one app, and its exposition."""

    def __init__(self, queue_depth: DepthReader | None = None) -> None:
        self.multiprocess = multiprocess_dir() is not None
        # Multiprocess values live in files, not in a registry: keep them out of any.
        self.registry = CollectorRegistry()
        own: Any = None if self.multiprocess else self.registry
        self._queue_depth = queue_depth
        self.requests = Counter(
            "callmp_http_requests",
            "HTTP requests answered, by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "callmp_http_request_duration_seconds",
            "Time to answer a request, by endpoint (Twilio's webhooks among them).",
            ["endpoint"],
            buckets=BUCKETS,
            registry=own,
        )
        self.calls = Counter(
            "callmp_calls", "Call requests queued, placed and failed.", ["outcome"], registry=own
        )
        self.letters = Counter(
            "callmp_letters", "Email messages queued, sent and failed.", ["outcome"], registry=own
        )
        self.lookups = Counter(
            "callmp_lookups",
            "Postal code lookups by how the riding was found.",
            ["kind"],
            registry=own,
        )
        if not self.multiprocess and queue_depth is not None:
            self.registry.register(QueueDepthCollector(queue_depth))

    def request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        method = method if method in METHODS else "other"
        self.requests.labels(endpoint=endpoint, method=method, status=str(status)).inc()
        self.latency.labels(endpoint=endpoint).observe(max(seconds, 0.0))

    def call(self, outcome: str) -> None:
        """Count a call request ``queued``, ``placed`` or ``failed``."""
        if outcome not in CALL_OUTCOMES:
            raise ValueError(f"unknown call outcome: {outcome}")
        self.calls.labels(outcome=outcome).inc()

    def letter(self, outcome: str, count: int = 1) -> None:
        """Count email messages ``queued``, ``sent`` or ``failed``."""
        if outcome not in LETTER_OUTCOMES:
            raise ValueError(f"unknown letter outcome: {outcome}")
        self.letters.labels(outcome=outcome).inc(count)

    def lookup(self, kind: str) -> None:
        """Count a lookup by its kind of match (``exact``, ``fsa_split`` ... ``invalid``)."""
        self.lookups.labels(kind=kind).inc()

    def scrape_registry(self) -> CollectorRegistry:
        """The registry to expose: this app's, or every process's files in multiprocess mode."""
        if not self.multiprocess:
            return self.registry
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        if self._queue_depth is not None:
            registry.register(QueueDepthCollector(self._queue_depth))
        return registry

    def exposition(self) -> bytes:
        """The metrics in Prometheus's text format."""
        return generate_latest(self.scrape_registry())


def child_exit(server: Any, worker: Any) -> None:
    """Gunicorn's ``child_exit`` hook: drop a dead worker's live gauges in multiprocess mode."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
