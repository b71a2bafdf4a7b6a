"""For those who run CallMP: liveness and readiness probes, request ids, access lines.

``/healthz`` answers while the process runs (no database work); ``/readyz`` runs the
checks in ``callmp.ops.health`` and answers 503 naming what failed. Both are GET only,
outside every limit and CSRF check (those apply to staff blueprints and forms), and say
nothing about supporters. ``/metrics`` (``callmp.ops.metrics``) answers loopback clients
and requests bearing ``CALLMP_METRICS_TOKEN``; anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Request, Response, abort, current_app, g, jsonify, request

from callmp.config import ConfigError
from callmp.ops import json_logs
from callmp.ops.health import check_readiness
from callmp.ops.metrics import CONTENT_TYPE
from callmp.views.context import services

bp = Blueprint("ops", __name__)

#: The key of the clock (seconds, monotonic) that times requests in ``app.extensions``.
CLOCK_KEY = "callmp.ops_clock"
REQUEST_ID_HEADER = "X-Request-ID"
LOG_FORMATS = ("text", "json")

access_log = logging.getLogger("callmp.access")

#: Route variables that are capabilities (whoever holds the link may confirm a letter or
#: read a call's progress): access lines show ``[token]`` or ``[public_id]`` instead.
SECRET_VARIABLES = frozenset({"token", "public_id"})
#: A variable in a rule's text: ``<name>`` or ``<converter:name>``.
_RULE_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([A-Za-z_][A-Za-z0-9_]*)>")

#: Client addresses (after ProxyFix) that may read /metrics without the token.
LOOPBACK = frozenset({"127.0.0.1", "::1"})


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready: database, data, Redis and the queue answer; 503 naming what failed."""
    found = services()
    readiness = check_readiness(found.engine, found.queue, current_app.config)
    body: dict[str, object] = {
        "status": "ok" if readiness.ready else "unavailable",
        "checks": readiness.checks,
        "queue_depth": readiness.queue_depth,
    }
    if not readiness.ready:
        body["failed"] = readiness.failed()
    return jsonify(body), (200 if readiness.ready else 503)


def metrics_allowed() -> bool:
    """True for a loopback client or a request bearing the metrics token."""
    if request.remote_addr in LOOPBACK:
        return True
    token = str(current_app.config["METRICS_TOKEN"] or "")
    given = request.headers.get("Authorization", "")
    scheme, _, credential = given.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credential.strip().encode(), token.encode())


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus's text exposition; 404 unless from loopback or with the token."""
    if not metrics_allowed():
        abort(404)
    body = services().metrics.exposition()
    response = Response(body, mimetype=None, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def loggable_path() -> str:
    """The request's path for access lines: a route's secret variables as ``[name]``.

    Other variables (a campaign's slug, a riding's number) keep their values; a path no
    route matched is kept as typed (the JSON formatter still scrubs it).
    """
    return _loggable_path(_current_request())


def _loggable_path(current: Request) -> str:
    """``loggable_path`` of ``current``."""
    rule = current.url_rule
    if rule is None or not SECRET_VARIABLES & rule.arguments:
        return current.path
    given = current.view_args or {}

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"[{name}]" if name in SECRET_VARIABLES else str(given.get(name, f"[{name}]"))

    return _RULE_VARIABLE.sub(one, rule.rule)


def _current_request() -> Request:
    """The request itself, not its proxy: a hook reading it often looks it up once."""
    found: Request = request._get_current_object()  # type: ignore[attr-defined]
    return found


def _current_app() -> Flask:
    """The app itself, not its proxy."""
    found: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return found


def _request_values() -> dict[str, Any]:
    """What this request keeps in ``g``, as a dict (one proxy lookup for every read)."""
    values: dict[str, Any] = g._get_current_object().__dict__
    return values


def _start_request() -> None:
    """Take the proxy's request id when it is a safe one, else make one; start the clock."""
    values = _request_values()
    given = json_logs.valid_request_id(_current_request().headers.get(REQUEST_ID_HEADER))
    found = given or json_logs.new_request_id()
    values["request_id"] = found
    values["request_id_token"] = json_logs.request_id.set(found)
    clock: Callable[[], float] = _current_app().extensions[CLOCK_KEY]
    values["request_started"] = clock()


def _finish_request(response: Response) -> Response:
    """Echo the request id; in JSON mode, write the access line."""
    current = _current_request()
    values = _request_values()
    request_id = values.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    path = _loggable_path(current)
    # For gunicorn's access line (deploy/gunicorn.conf.py), written after this response.
    current.environ[json_logs.LOG_PATH_KEY] = path
    if "request_started" not in values:
        return response
    app = _current_app()
    clock: Callable[[], float] = app.extensions[CLOCK_KEY]
    seconds = clock() - values["request_started"]
    # The rule's endpoint, never the path as typed (it may hold a postal code).
    rule = current.url_rule
    endpoint = rule.endpoint if rule is not None else "unmatched"
    method = current.method
    status = response.status_code
    services(app).metrics.request(endpoint, method, status, seconds)
    if app.config["LOG_FORMAT"] == "json":
        duration_ms = round(seconds * 1000, 3)
        access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms},
        )
    return response


def _end_request(_exc: BaseException | None) -> None:
    """Forget the request id once the request is over."""
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            json_logs.request_id.reset(token)
        except ValueError:  # set in another context (a streamed response): just clear it
            json_logs.request_id.set("")


def init_ops(app: Flask) -> None:
    """Register the probes, the request-id hooks and, if asked, the JSON log handler."""
    log_format = str(app.config["LOG_FORMAT"])
    if log_format not in LOG_FORMATS:
        raise ConfigError("CALLMP_LOG_FORMAT must be 'text' or 'json'")
    if log_format == "json":
        json_logs.install(app.config["LOG_LEVEL"])
    app.extensions.setdefault(CLOCK_KEY, time.perf_counter)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    app.register_blueprint(bp)
