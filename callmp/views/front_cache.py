"""Shared answers: the same bytes for every stranger asking the same thing, served before
Flask runs.

Three public answers are the same for everyone who asks in the same way: the campaign
page, the lookup API and the counts API. Each is already made once per process and kept
(per content revision, language and counter figures); what a request still paid was
Flask's own work around it, the hooks every request runs (request id, locale, limits,
security headers, access line). This WSGI layer keeps the finished answer (status,
headers, body) and gives it again to the next request that asks the same way, without
going through Flask.

What makes two requests "the same way": the path and query string, and each header that
changes the answer (``Accept-Language``, ``Accept-Encoding``, ``Origin``, the host and
scheme). A request with anything personal or conditional skips the layer and goes to
Flask as before: any cookie (a session, a language chosen, staff), ``Authorization``,
``If-None-Match``/``If-Modified-Since``/``Range``; so does every method but GET.

What may be kept is decided by the view, never guessed: it calls ``offer`` with the
content revision it answered from and how long its answer holds. An answer is kept only
when it is a 200 (or a 404 the view offers), sets no cookie and its view offered it; it
is given again only while the content revision is the same (read from the database on
each request, so an edit is seen at once), before its time runs out and, for a campaign,
before the campaign closes.

What each request still gets of its own: a request id (the proxy's when it is a safe one),
its access line and its count in the metrics (with the lookups it stands for), as Flask's
hooks would have written them. Kept answers are bounded in bytes per process
(``FRONT_CACHE_BYTES``; 0 turns the layer off).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from flask import Flask, request

from callmp.db import utcnow
from callmp.ops import json_logs
from callmp.views.ops import CLOCK_KEY

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: The environ key where a qualifying request's offer goes (absent: not a candidate).
OFFER_KEY = "callmp.front_cache.offer"
#: Request headers that make an answer the asker's own: such requests are never served
#: from, nor kept in, the layer.
PERSONAL = (
    "HTTP_COOKIE",
    "HTTP_AUTHORIZATION",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)
#: Request headers (and environ values) the answer may depend on: part of the key.
VARYING = (
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_ORIGIN",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "wsgi.url_scheme",
)
#: Answer headers that belong to one request, not to the answer.
OWN_HEADERS = frozenset({"x-request-id", "date"})
#: Where ``init_front_cache`` keeps the layer in ``app.extensions``.
EXTENSION_KEY = "callmp.front_cache"
#: Statuses a view may offer.
KEPT_STATUSES = frozenset({200, 404})

access_log = logging.getLogger("callmp.access")


@dataclass(frozen=True)
class Offer:
    """What a view says of its answer: it holds for ``revision`` and, when given, at most
    ``seconds`` (monotonic) and until ``until`` (UTC, the injectable clock); ``lookups``
    are the lookup kinds each request for it is counted as, under its view's
    ``endpoint``."""

    revision: int
    seconds: float | None = None
    until: datetime | None = None
    lookups: tuple[str, ...] = ()
    endpoint: str = "unmatched"


@dataclass(frozen=True)
class Entry:
    """A kept answer and what it needs to be given again."""

    offer: Offer
    expires: float | None  # monotonic
    status: str
    code: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    log_path: str
    #: Bytes it stands for in the budget: its body, its key (headers a client chose) and
    #: a fixed share for the rest.
    weight: int

    def fresh(self, now: float) -> bool:
        """Still within its time (the revision is checked apart)."""
        if self.expires is not None and now >= self.expires:
            return False
        return self.offer.until is None or utcnow() < self.offer.until


def offer(
    *,
    revision: int,
    seconds: float | None = None,
    until: datetime | None = None,
    lookups: tuple[str, ...] = (),
) -> None:
    """Let this request's answer be given again to whoever asks the same way (see the
    module's notes). Does nothing for a request the layer does not serve (a cookie, a
    POST, the layer off); ``seconds`` of 0 or less keeps nothing."""
    if OFFER_KEY not in request.environ:
        return
    if seconds is not None and seconds <= 0:
        return
    endpoint = request.endpoint or "unmatched"
    request.environ[OFFER_KEY] = Offer(revision, seconds, until, lookups, endpoint)


class FrontCache:
    """The WSGI layer in front of ``app`` (see the module's notes)."""

    def __init__(
        self,
        app: Flask,
        inner: WSGIApplication,
        max_bytes: int,
        revision: Callable[[], int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` times how long kept answers hold (the counters' cache's clock);
        requests are timed by the access lines' clock (``views.ops.CLOCK_KEY``)."""
        self.app = app
        self.inner = inner
        self.revision = revision
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: LRUCache[tuple[Any, ...], Entry] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda entry: entry.weight
        )
        self.max_entry = max_bytes // 4

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Give a kept answer, or let Flask answer (and keep what its view offered)."""
        if environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in PERSONAL):
            return self.inner(environ, start_response)
        timer: Callable[[], float] = self.app.extensions[CLOCK_KEY]
        started = timer()
        key = tuple(environ.get(name) for name in VARYING)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry.fresh(self.clock()):
            try:
                current = self.revision()
            except Exception:  # the database is not answering: Flask answers (a 503 page)
                return self.inner(environ, start_response)
            if entry.offer.revision == current:
                return self._give(entry, environ, start_response, started)
            with self._lock:
                self._entries.pop(key, None)
        return self._answer(key, environ, start_response)

    def _answer(
        self, key: tuple[Any, ...], environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        environ[OFFER_KEY] = None
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        answer = self.inner(environ, capture)
        made = environ.get(OFFER_KEY)
        if not isinstance(made, Offer) or "status" not in seen:
            return answer
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        self._keep(key, made, seen["status"], seen["headers"], body, environ)
        return [body]

    def _keep(
        self,
        key: tuple[Any, ...],
        made: Offer,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        environ: WSGIEnvironment,
    ) -> None:
        code = int(status.split(" ", 1)[0])
        names = {name.lower() for name, _ in headers}
        if code not in KEPT_STATUSES or "set-cookie" in names:
            return
        entry = Entry(
            offer=made,
            expires=None if made.seconds is None else self.clock() + made.seconds,
            status=status,
            code=code,
            headers=tuple((n, v) for n, v in headers if n.lower() not in OWN_HEADERS),
            body=body,
            log_path=str(environ.get(json_logs.LOG_PATH_KEY) or "-"),
            weight=len(body) + sum(len(str(part)) for part in key) + 512,
        )
        if entry.weight > self.max_entry:
            return
        with self._lock:
            self._entries[key] = entry

    def _give(
        self, entry: Entry, environ: WSGIEnvironment, start_response: StartResponse, started: float
    ) -> Iterator[bytes]:
        given = json_logs.valid_request_id(environ.get("HTTP_X_REQUEST_ID"))
        request_id = given or json_logs.new_request_id()
        environ[json_logs.LOG_PATH_KEY] = entry.log_path
        start_response(entry.status, [*entry.headers, ("X-Request-ID", request_id)])
        timer: Callable[[], float] = self.app.extensions[CLOCK_KEY]
        self._account(entry, request_id, timer() - started)
        return iter((entry.body,))

    def _account(self, entry: Entry, request_id: str, seconds: float) -> None:
        """The metrics and the access line Flask's hooks would have written."""
        from callmp.views.context import services

        metrics = services(self.app).metrics
        metrics.request(entry.offer.endpoint, "GET", entry.code, seconds)
        for kind in entry.offer.lookups:
            metrics.lookup(kind)
        if self.app.config["LOG_FORMAT"] != "json":
            return
        token = json_logs.request_id.set(request_id)
        try:
            access_log.info(
                "%s %s %s",
                "GET",
                entry.log_path,
                entry.code,
                extra={
                    "method": "GET",
                    "path": entry.log_path,
                    "status": entry.code,
                    "duration_ms": round(seconds * 1000, 3),
                },
            )
        finally:
            json_logs.request_id.reset(token)

    def clear(self) -> None:
        """Forget every kept answer."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def layer(app: Flask) -> FrontCache:
    """``app``'s front layer (a KeyError when ``FRONT_CACHE_BYTES`` is 0)."""
    found: FrontCache = app.extensions[EXTENSION_KEY]
    return found


def init_front_cache(app: Flask) -> None:
    """Put the layer in front of ``app`` (before the proxy layers wrap it), unless
    ``FRONT_CACHE_BYTES`` is 0."""
    size = int(app.config["FRONT_CACHE_BYTES"])
    if size <= 0:
        return
    from callmp.views.context import services

    def revision() -> int:
        return services(app).revision.read()

    made = FrontCache(app, app.wsgi_app, size, revision)
    app.extensions[EXTENSION_KEY] = made
    app.wsgi_app = made  # type: ignore[method-assign]
