"""Error reports to Sentry (or a compatible service), with supporters' personal data removed.

Off unless ``CALLMP_SENTRY_DSN`` is set. The SDK is told to send no personal data (no
client address, cookies or user), no request bodies and no local variables; then every
event and breadcrumb passes through ``scrub_event`` before it leaves: request bodies,
cookies, query strings and headers are dropped, URLs lose their query, and every string
left has its phone numbers, email addresses and postal codes replaced, as in the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import sentry_sdk
from sentry_sdk.integrations.logging import ignore_logger
from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

from callmp.log_privacy import scrub

log = logging.getLogger(__name__)

#: The logger of the web layer's "unhandled error" line (the error itself is reported).
UNHANDLED_ERROR_LOGGER = "callmp.views.errors"

#: Parts of an event's ``request`` that are kept (the rest can carry what people typed).
KEPT_REQUEST_KEYS = frozenset({"method", "url"})

#: Keys whose values are dropped wherever they appear (breadcrumbs' data, contexts ...).
DROPPED_KEYS = frozenset(
    {"query_string", "cookies", "data", "headers", "env", "http.query", "http.fragment"}
)


def _without_query(url: str) -> str:
    """``url`` without its query string and fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _scrubbed(value: Any, key: str = "") -> Any:
    """``value`` with every string scrubbed, URLs without query and dropped keys removed."""
    if isinstance(value, str):
        return scrub(_without_query(value) if key == "url" else value)
    if isinstance(value, Mapping):
        return {
            scrub(str(k)): _scrubbed(v, str(k)) for k, v in value.items() if k not in DROPPED_KEYS
        }
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


def scrub_event(event: Event, _hint: Hint | None = None) -> Event:
    """The event without personal data: Sentry's ``before_send`` and friends."""
    found: dict[str, Any] = dict(event)
    found.pop("user", None)
    request = found.get("request")
    if isinstance(request, Mapping):
        found["request"] = {k: v for k, v in request.items() if k in KEPT_REQUEST_KEYS}
    return cast(Event, _scrubbed(found))


def scrub_breadcrumb(crumb: Breadcrumb, _hint: BreadcrumbHint | None = None) -> Breadcrumb:
    """The breadcrumb without personal data: Sentry's ``before_breadcrumb``."""
    return cast(Breadcrumb, _scrubbed(crumb))


def init(config: Mapping[str, Any]) -> bool:
    """Start reporting errors when ``SENTRY_DSN`` is set; True if it started."""
    dsn = str(config.get("SENTRY_DSN") or "")
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=str(config.get("SENTRY_ENVIRONMENT") or "production"),
        traces_sample_rate=float(config.get("SENTRY_TRACES_SAMPLE_RATE") or 0.0),
        # No send_default_pii: off by default (newer SDKs warn when it is given at all), so
        # integrations add no client address, cookies or user.
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    # That logger's line about an unhandled error would be a second report of the same
    # error, without its trace (callmp.log_privacy keeps tracebacks as scrubbed text only).
    ignore_logger(UNHANDLED_ERROR_LOGGER)
    log.info("error reports go to Sentry (environment %s)", config.get("SENTRY_ENVIRONMENT"))
    return True


def close() -> None:
    """Send what is pending and stop reporting (tests; a process's end does it itself)."""
    client = sentry_sdk.get_client()
    client.flush(timeout=5)
    client.close()
    sentry_sdk.get_global_scope().set_client(None)
