"""Prometheus metrics: requests, latency, calls, letters, lookups, the queue's depth; no Flask.

One ``Metrics`` per app (its own registry, so tests never share counts). When
``PROMETHEUS_MULTIPROC_DIR`` is set (several gunicorn workers, the queue worker), values go
to files in that folder and a scrape adds up every process's (prometheus_client's
multiprocess mode); gunicorn's ``child_exit`` hook must then call ``child_exit`` below.

Processes on several hosts may share the folder (compose's web and worker containers share
one volume), and process ids repeat across containers: so each process's files are named
by host name *and* process id (``counter_web1-7.db``), not by process id alone as
prometheus_client does by default. Only files of this host's dead processes are removed.

Labels are endpoint names, methods, statuses and fixed kinds only: never a phone number,
an email address, a postal code or a path as typed.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: The outcomes counted for calls and letters; anything else is refused.
CALL_OUTCOMES = ("queued", "placed", "failed")
LETTER_OUTCOMES = ("queued", "sent", "failed", "bounced")

#: HTTP methods kept as labels; any other (a client may send anything) counts as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Latency buckets (seconds): webhooks must answer Twilio well within its 15 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

#: Reads the queue's depth at scrape time; None when it cannot be read.
DepthReader = Callable[[], int | None]


#: Characters of a host name kept in file names; prometheus_client splits names at ``_``.
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9.-]+")
#: A metrics file's name ends with its process's identifier: ``<host>-<pid>``, or ``<pid>``
#: alone for files written before identifiers had a host part.
_IDENTIFIER_IN_NAME = re.compile(r"_(?:(?P<host>[A-Za-z0-9.-]+)-)?(?P<pid>\d+)\.db$")


def multiprocess_dir() -> str | None:
    """The multiprocess folder when prometheus_client's multiprocess mode is on."""
    return os.environ.get(MULTIPROC_ENV) or None


def host_name() -> str:
    """This host's name (a container's own), as it goes into metrics files' names."""
    return _file_host_name(socket.gethostname())


@lru_cache(maxsize=8)
def _file_host_name(raw: str) -> str:
    """``raw`` as a metrics file's name may hold it (asked on every value written)."""
    return _NOT_IN_NAMES.sub("-", raw).strip("-") or "host"


def process_identifier() -> str:
    """This process in the metrics folder: ``<host>-<pid>``, distinct across containers."""
    return f"{host_name()}-{os.getpid()}"


def per_process(identify: Callable[[], str]) -> Callable[[], str]:
    """``identify`` asked once per process: prometheus_client asks on every value written
    (to notice a fork), and the host name is a system call that lets go of the GIL, three
    times a request."""
    known: list[tuple[int, str]] = []

    def identifier() -> str:
        pid = os.getpid()
        if not known or known[0][0] != pid:
            known[:] = [(pid, identify())]
        return known[0][1]

    return identifier


def use_process_identifier(identify: Callable[[], str] = process_identifier) -> None:
    """Name this process's metrics files with ``identify`` (once per process).

    prometheus_client picks its value class when imported, naming files by process id;
    this replaces it before any of our metrics is made. Called again, it keeps the class
    installed first: two classes would open the same file twice and overwrite each
    other's values.
    """
    if getattr(values.ValueClass, "callmp_identify", None) is not None:
        return
    value_class: Any = values.MultiProcessValue(process_identifier=per_process(identify))  # type: ignore[no-untyped-call]
    value_class.callmp_identify = identify
    values.ValueClass = value_class


def file_owner(path: Path) -> tuple[str | None, int] | None:
    """The host (None for files named by process id alone) and process id of a metrics
    file, or None when its name says neither."""
    match = _IDENTIFIER_IN_NAME.search(path.name)
    if match is None:
        return None
    return match.group("host"), int(match.group("pid"))


def _alive(pid: int) -> bool:
    """True when process ``pid`` runs on this host (or belongs to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_files(
    folder: Path, *, own_pid: int | None = None, alive: Callable[[int], bool] = _alive
) -> list[Path]:
    """Remove the metrics files of this host's dead processes (and of ``own_pid``); return them.

    Files of other hosts stay: whether their processes run cannot be seen from here.
    Files named by process id alone are taken as this host's (an older version's).
    """
    here = host_name()
    removed = []
    for item in sorted(folder.glob("*.db")):
        owner = file_owner(item)
        if owner is None:
            dead = True
        else:
            host, pid = owner
            if host not in (None, here):
                continue
            dead = pid in (0, own_pid) or not alive(pid)
        if dead:
            item.unlink(missing_ok=True)
            removed.append(item)
    return removed


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
        folder = multiprocess_dir()
        self.multiprocess = folder is not None
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
            use_process_identifier()
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
        #: The request counter's and latency histogram's children by (endpoint, method,
        #: status): looked up once each (endpoints, methods kept and statuses are few).
        self._answered: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        method = method if method in METHODS else "other"
        key = (endpoint, method, status)
        children = self._answered.get(key)
        if children is None:
            children = (
                self.requests.labels(endpoint=endpoint, method=method, status=str(status)),
                self.latency.labels(endpoint=endpoint),
            )
            self._answered[key] = children
        counter, latency = children
        counter.inc()
        latency.observe(max(seconds, 0.0))

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
        # The worker ran on this host: its files are named by this host and its pid.
        multiprocess.mark_process_dead(f"{host_name()}-{worker.pid}")  # type: ignore[no-untyped-call]
