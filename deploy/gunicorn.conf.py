"""Gunicorn's settings for CallMP: ``gunicorn --config deploy/gunicorn.conf.py wsgi:app``.

Used by the container image and by callmp-web.service. A few values come from the
environment so one file serves both:

- ``GUNICORN_BIND`` (default ``127.0.0.1:8000``; the image sets ``0.0.0.0:8000``),
- ``GUNICORN_WORKERS`` (default: two per CPU this process may use, plus one, at most 8),
- ``GUNICORN_THREADS`` (default 4 per worker),
- ``GUNICORN_TIMEOUT`` (default 30 seconds).

Forwarded headers: gunicorn trusts ``X-Forwarded-Proto`` (and sets the request's scheme
from it) when the client is in ``forwarded_allow_ips``, by default 127.0.0.1. Here it
trusts nobody: ``CALLMP_PROXY_HOPS`` (Werkzeug's ProxyFix inside the app) is the one
place that decides which proxy's ``X-Forwarded-*`` headers count, so a client that
reaches gunicorn directly cannot claim to be on HTTPS or to come from another address.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from callmp.ops.json_logs import LOG_PATH_KEY
from callmp.ops.metrics import MULTIPROC_ENV, remove_dead_files
from callmp.ops.metrics import child_exit as _drop_dead_worker


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# Threads: a request mostly waits on the database, Redis or Twilio; threads share one
# copy of the postal index per worker process.
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", min(2 * _cpus() + 1, 8))
threads = _int("GUNICORN_THREADS", 4)
# Twilio gives up on a webhook after 15 s; a request still running after 30 s is stuck.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# Longer than the reverse proxy keeps an idle connection (deploy/Caddyfile: 30 s), so the
# proxy never sends a request on a connection gunicorn is closing.
keepalive = 60
# Preloaded (``GUNICORN_PRELOAD=0`` turns it off): the master builds the app and loads
# the postal tables and templates once (``pre_fork`` below), and the workers share those
# pages of memory instead of each building its own copy. The master closes its
# connections before forking, and ``post_fork`` makes sure a worker never uses one of
# the master's; Redis clients reconnect by themselves in a new process.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip() not in {"0", "false", "no"}
# Workers' heartbeat files go to the default temporary folder: a tmpfs in compose.yaml
# (the image's root file system is read-only there), PrivateTmp under systemd.

# See the module's docstring: ProxyFix (CALLMP_PROXY_HOPS) alone trusts forwarded headers.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

# Gunicorn's control socket (``gunicornc``) is not used, and $HOME may be read-only.
control_socket_disable = True

errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# With CALLMP_LOG_FORMAT=json the app writes its own access line (JSON, with the request
# id); otherwise gunicorn writes one. Either way without the query string or the
# referrer, which can hold a postal code or a search for a supporter, and without the
# client's address: method, path, protocol, status, size and milliseconds only. The path
# is the one the app chose to log (AccessLogger below): a letter's confirmation token or
# a call's id, capabilities both, never reach the log.
accesslog = None if os.environ.get("CALLMP_LOG_FORMAT", "text") == "json" else "-"
access_log_format = '"%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


class AccessLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger, with the path the app put in the request's environ for logs
    (``-`` for a request the app never saw): never the path as the client sent it."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        """Gunicorn's atoms, with ``U`` and the request line ``r`` on the logged path."""
        atoms = super().atoms(resp, req, environ, request_time)
        path = str(environ.get(LOG_PATH_KEY) or "-")
        atoms["U"] = path
        atoms["r"] = f"{atoms['m']} {path} {atoms['H']}"
        return atoms


logger_class = AccessLogger


def on_starting(server: Any) -> None:
    """Create ``PROMETHEUS_MULTIPROC_DIR`` and remove what this host's dead processes left.

    Files of processes still running (a queue worker on the same host sharing the folder)
    stay, and so do other hosts' (compose's worker container shares the folder): removing
    them would lose those counts until their process restarts.
    """
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    remove_dead_files(path, own_pid=os.getpid())


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: drop its live gauges (prometheus_client's multiprocess mode)."""
    _drop_dead_worker(server, worker)


def pre_fork(server: Any, worker: Any) -> None:
    """In the master, before each fork of a preloaded app: load what the workers share,
    close every connection, freeze the heap (``callmp.views.preload``; cheap to repeat)."""
    app = _preloaded_app()
    if app is not None:
        from callmp.views.preload import ready_to_fork

        ready_to_fork(app)


def post_fork(server: Any, worker: Any) -> None:
    """In a new worker: drop (without closing) any database connection inherited from the
    master, so that the worker opens its own."""
    app = _preloaded_app()
    if app is not None:
        from callmp.views.context import services

        services(app).engine.dispose(close=False)


def post_worker_init(worker: Any) -> None:
    """In a worker with its app loaded: what lives as long as the process is kept out of
    the garbage collector's full passes (~90 ms at random moments otherwise)."""
    import gc

    gc.freeze()


def _preloaded_app() -> Any:
    """The app the master preloaded (``wsgi:app``), or None."""
    import sys

    preloaded = sys.modules.get("wsgi")
    return getattr(preloaded, "app", None)
