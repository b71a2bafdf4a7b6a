"""Flask-Limiter: a coarse per-address burst limit on the public forms and API writes.

The limits that matter for abuse (per phone, per address and hour, logins) are counted in
the database by the call, letter and login code, so every process shares them. This one
only blunts floods: one budget per client address for every POST of the public pages and
the API (``PUBLIC_WRITE_BURST``), counted in ``RATELIMIT_STORAGE_URI``. With
``memory://`` each process counts alone (the limit multiplies with the processes); with
``redis://`` every process counts in one place. If that store stops answering, the
limiter counts in memory until it is back rather than refusing supporters.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any, cast

from flask import Blueprint, Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: The blueprints whose POST routes share the burst limit: the lookup form, the call and
#: report forms, letters (submit and confirm), petition signatures (sign and confirm) and
#: the API, and withdrawals (the one-click link and the page). Twilio's webhooks and the staff
#: pages are not in it (signed requests; logged-in staff).
PUBLIC_WRITES = ("public", "call", "email", "petition", "api", "unsubscribe")
#: The limit's bucket: one per client address across all those routes.
SCOPE = "public-write"


def limiter(app: Flask) -> Limiter:
    """The app's Flask-Limiter."""
    found: Limiter = app.extensions["callmp.limiter"]
    return found


def retry_after(app: Flask) -> int:
    """Seconds until the limit this request broke lets the address in again (at least 1)."""
    broken = limiter(app).current_limit
    if broken is None:  # pragma: no cover - only asked for while answering a breach
        return 60
    return max(1, math.ceil(broken.reset_at - time.time()))


def init_rate_limits(app: Flask) -> None:
    """Create the app's limiter and put the public POST routes under the burst limit.

    Call after the blueprints are registered.
    """
    created = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        default_limits=[],
        # Off: Flask-Limiter would put its window's reset in Retry-After on every answer,
        # a busy database's 503 included; the 429 gets its own (``retry_after``).
        headers_enabled=False,
        in_memory_fallback_enabled=True,
    )
    app.extensions["callmp.limiter"] = created

    @created.request_filter
    def _not_a_write() -> bool:
        """Only POSTs are limited (the filter stays for what the hooks below let by)."""
        return request.method != "POST"

    # Even filtered out, the limiter builds its per-request state in three hooks, a sixth
    # of what a request costs beyond Flask's own: they now run only for the POSTs it may
    # limit (not for reads, Twilio's webhooks or staff pages, which have no limit here).
    _hooks_for_writes_only(app, created)

    burst = str(app.config["PUBLIC_WRITE_BURST"]).strip()
    if not burst:
        return
    shared = created.shared_limit(burst, scope=SCOPE, methods=["POST"])
    for name in PUBLIC_WRITES:
        shared(cast(Blueprint, app.blueprints[name]))  # flask.Blueprint, registered above


def _hooks_for_writes_only(app: Flask, created: Limiter) -> None:
    """Run ``created``'s before, after and teardown hooks only on requests it may limit
    (``_limited``), each in its place among the app's hooks (Flask-Limiter 4 has no switch
    for this)."""

    def ours(hook: Any) -> bool:
        if isinstance(hook, partial):  # its after_request hook: partial(method, limiter)
            return bool(hook.args) and hook.args[0] is created
        return getattr(hook, "__self__", None) is created

    wrapped = 0
    for kind, registry in (
        ("before", app.before_request_funcs),
        ("after", app.after_request_funcs),
        ("teardown", app.teardown_request_funcs),
    ):
        hooks = registry.get(None, [])
        for index, hook in enumerate(hooks):
            if ours(hook):
                hooks[index] = _FOR_WRITES[kind](hook)
                wrapped += 1
    if wrapped != len(_FOR_WRITES):
        raise RuntimeError(f"Flask-Limiter registered {wrapped} request hooks, not 3")


def _limited() -> bool:
    """A POST to a blueprint under the burst limit: the only requests with a limit (the
    limiter has no default limits)."""
    return request.method == "POST" and request.blueprint in PUBLIC_WRITES


def _before_writes(hook: Callable[[], Any]) -> Callable[[], Any]:
    def before() -> Any:
        return hook() if _limited() else None

    return before


def _after_writes(hook: Callable[[Response], Response]) -> Callable[[Response], Response]:
    def after(response: Response) -> Response:
        return hook(response) if _limited() else response

    return after


def _teardown_writes(
    hook: Callable[[BaseException | None], None],
) -> Callable[[BaseException | None], None]:
    def teardown(exc: BaseException | None) -> None:
        if _limited():
            hook(exc)

    return teardown


_FOR_WRITES: dict[str, Callable[[Any], Callable[..., Any]]] = {
    "before": _before_writes,
    "after": _after_writes,
    "teardown": _teardown_writes,
}
