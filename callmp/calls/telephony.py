"""Outbound calls behind a small interface: Twilio for real, a local stand-in for demos.

Phone numbers never go into logs, exception messages or URLs built here: errors keep
Twilio's code and HTTP status, not its message (which quotes the number), and are raised
``from None`` so a logged traceback does not carry the SDK's or ``requests``' text.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from callmp.i18n import N_

log = logging.getLogger(__name__)

Reason = Literal[
    "invalid_number",
    "unreachable",
    "geo_permission",
    "rate_limited",
    "server_error",
    "timeout",
    "connection",
    "other",
]

STATUS_CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")
FIND_CALL_LIMIT = 20  # newest first; a retry looks seconds back, so a short page is plenty
LOCAL_CALLS_KEPT = 1000

_INVALID_NUMBER = frozenset({21211, 13223, 13224})
_UNREACHABLE = frozenset({21214, 21217, 13225})
_GEO_PERMISSION = frozenset({21215, 21216, 13227})
_RATE_LIMITED_CODE = 20429
_NOT_FOUND_CODE = 20404
_CALL_SID = re.compile(r"CA[0-9a-f]{32}")

USER_MESSAGES: dict[Reason, str] = {
    "invalid_number": N_("We couldn't call that number. Please check it and try again."),
    "unreachable": N_(
        "We couldn't reach that number. Please check that it is a phone number that can "
        "receive calls."
    ),
    "geo_permission": N_(
        "We can't call that number or region. Please give another number, or call the "
        "office yourself."
    ),
    "rate_limited": N_("Lots of people are calling right now. Please try again in a minute."),
    "server_error": N_("We couldn't start the call just now. Please try again in a few minutes."),
    "timeout": N_("We couldn't start the call just now. Please try again in a few minutes."),
    "connection": N_("We couldn't start the call just now. Please try again in a few minutes."),
    "other": N_(
        "Something went wrong while starting the call. Please try again later, or call the "
        "office yourself."
    ),
}


@dataclass(frozen=True)
class PlacedCall:
    """A call the provider accepted: its id and the status it reported."""

    sid: str
    status: str


class TelephonyError(Exception):
    """A call could not be placed, found or ended; says whether trying again may help."""

    def __init__(
        self,
        reason: Reason,
        *,
        retryable: bool,
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        self.reason: Reason = reason
        self.retryable = retryable
        self.code = code
        self.http_status = http_status
        self.user_message = USER_MESSAGES[reason]
        super().__init__(f"{reason} (twilio code {code}, http status {http_status})")


class Telephony(Protocol):
    """What the calling code needs from a telephony provider."""

    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        fallback_url: str,
        ring_timeout: int,
    ) -> PlacedCall:
        """Start an outbound call to ``to``; ``url`` answers with TwiML when it is picked up."""
        ...

    def find_call(self, *, to: str, from_: str, since: datetime) -> PlacedCall | None:
        """The most recent call from ``from_`` to ``to`` created at or after ``since``."""
        ...

    def hangup(self, sid: str) -> None:
        """End the call (or cancel it while it is queued or ringing)."""
        ...


def is_call_sid(value: str) -> bool:
    """True when ``value`` has the form of a Twilio call sid (``CA`` and 32 hex digits)."""
    return _CALL_SID.fullmatch(value) is not None


def classify(*, http_status: int | None, code: int | None) -> TelephonyError:
    """Map a Twilio error code and HTTP status to a TelephonyError."""
    if code in _INVALID_NUMBER:
        return TelephonyError("invalid_number", retryable=False, code=code, http_status=http_status)
    if code in _UNREACHABLE:
        return TelephonyError("unreachable", retryable=False, code=code, http_status=http_status)
    if code in _GEO_PERMISSION:
        return TelephonyError("geo_permission", retryable=False, code=code, http_status=http_status)
    if code == _RATE_LIMITED_CODE or http_status == 429:
        return TelephonyError("rate_limited", retryable=True, code=code, http_status=http_status)
    if http_status is not None and http_status >= 500:
        return TelephonyError("server_error", retryable=True, code=code, http_status=http_status)
    return TelephonyError("other", retryable=False, code=code, http_status=http_status)


def _twilio_code(value: object) -> int | None:
    # Without a code in the body the SDK puts the HTTP status there: that is no Twilio code.
    return value if isinstance(value, int) and value >= 10000 else None


def _translate(exc: Exception) -> TelephonyError:
    if isinstance(exc, requests.Timeout):  # before ConnectionError: ConnectTimeout is both
        return TelephonyError("timeout", retryable=True)
    if isinstance(exc, requests.ConnectionError):
        return TelephonyError("connection", retryable=True)
    if isinstance(exc, requests.RequestException):
        return TelephonyError("other", retryable=False)
    status = getattr(exc, "status", None)
    if isinstance(status, int):  # TwilioRestException and TwilioServiceException
        return classify(http_status=status, code=_twilio_code(getattr(exc, "code", None)))
    # A failed list page is a bare TwilioException("Unable to fetch page", response).
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return TelephonyError("other", retryable=False)
    try:
        body = json.loads(getattr(response, "text", ""))
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    return classify(http_status=status, code=_twilio_code(code))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    return moment.astimezone(UTC)


def loopback_base(api_base_url: str) -> tuple[str, str]:
    """Scheme and host[:port] of a loopback base URL; ValueError for anything else."""
    parts = urlsplit(api_base_url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("api_base_url must be an http(s) URL")
    if parts.username or parts.password or parts.path not in ("", "/"):
        raise ValueError("api_base_url takes a scheme, host and port only")
    if parts.query or parts.fragment:
        raise ValueError("api_base_url takes a scheme, host and port only")
    _ = parts.port  # raises ValueError on a malformed port
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError("api_base_url is for tests and must point at a loopback host")
    return parts.scheme, parts.netloc


class _RebasingHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Twilio's HTTP client with a timeout, quiet logs and an optional loopback base URL."""

    def __init__(self, *, timeout: float, base: tuple[str, str] | None) -> None:
        super().__init__(timeout=timeout, logger=log)
        self._base = base
        if base is not None and self.session is not None:
            self.session.trust_env = False  # no proxy from the environment for loopback

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Send the request, to the loopback base when one is set (path and query kept)."""
        if self._base is not None:
            parts = urlsplit(url)
            url = urlunsplit((*self._base, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Log method and path only: the SDK's own log shows query params (phone numbers)."""
        log.debug("Twilio API request %s %s", kwargs["method"], urlsplit(kwargs["url"]).path)

    def log_response(self, status_code: int, response: Any) -> None:
        """Log the status code only."""
        log.debug("Twilio API response %s", status_code)


class TwilioTelephony:
    """Places calls through Twilio's REST API; keep one instance per process."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("account_sid and auth_token are required")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        base = loopback_base(api_base_url) if api_base_url is not None else None
        self._http = _RebasingHttpClient(timeout=timeout, base=base)
        self._client = Client(account_sid, auth_token, http_client=self._http)

    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        fallback_url: str,
        ring_timeout: int,
    ) -> PlacedCall:
        """Create the call; a retryable timeout may still have created it (see find_call)."""
        call = self._twilio(
            lambda: self._client.calls.create(
                to=to,
                from_=from_,
                url=url,
                method="POST",
                fallback_url=fallback_url,
                fallback_method="POST",
                status_callback=status_callback,
                status_callback_event=list(STATUS_CALLBACK_EVENTS),
                status_callback_method="POST",
                timeout=ring_timeout,
            )
        )
        return PlacedCall(sid=str(call.sid), status=str(call.status))

    def find_call(self, *, to: str, from_: str, since: datetime) -> PlacedCall | None:
        """The newest call to ``to`` from ``from_`` created at or after ``since`` (to the second).

        Filters on ``date_created`` here rather than asking for ``StartTime>``: a call that
        is still queued has no start time yet, and that is the call a retry must not repeat.
        """
        floor = _utc(since).replace(microsecond=0)
        calls = self._twilio(
            lambda: self._client.calls.list(to=to, from_=from_, limit=FIND_CALL_LIMIT)
        )
        best: Any = None
        for call in calls:
            created = call.date_created
            if created is None or created < floor:
                continue
            if best is None or created > best.date_created:
                best = call
        return None if best is None else PlacedCall(sid=str(best.sid), status=str(best.status))

    def hangup(self, sid: str) -> None:
        """Set the call's status to completed, which also cancels a queued or ringing call."""
        if not is_call_sid(sid):
            raise ValueError("not a Twilio call sid")
        self._twilio(lambda: self._client.calls(sid).update(status="completed"))

    def account_status(self) -> str:
        """Fetch our own account (a harmless read that proves the credentials); its status."""
        sid = self._client.account_sid
        account = self._twilio(lambda: self._client.api.v2010.accounts(sid).fetch())
        return str(account.status)

    def close(self) -> None:
        """Close pooled connections (at process exit, or at the end of a test)."""
        if self._http.session is not None:
            self._http.session.close()

    def _twilio(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except (TwilioException, requests.RequestException) as exc:
            # from None: the SDK's message and requests' URL can both contain the number.
            raise _translate(exc) from None


def mask_number(number: str) -> str:
    """A phone number reduced to its last two digits, for logs."""
    digits = [c for c in number if c.isdigit()]
    return "***" + "".join(digits[-2:]) if len(digits) > 4 else "***"


@dataclass
class _LocalCall:
    sid: str
    to: str
    from_: str
    created: datetime
    status: str


class LocalTelephony:
    """Places no call: logs what it would have done and remembers calls in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _LocalCall] = {}

    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        fallback_url: str,
        ring_timeout: int,
    ) -> PlacedCall:
        """Remember a queued call and log it with the number masked."""
        call = _LocalCall(
            sid="LOCAL" + secrets.token_hex(16),
            to=to,
            from_=from_,
            created=datetime.now(UTC),
            status="queued",
        )
        with self._lock:
            self._calls[call.sid] = call
            while len(self._calls) > LOCAL_CALLS_KEPT:
                del self._calls[next(iter(self._calls))]
        log.info(
            "Local telephony: would call %s (call %s, ring %ss); answer %s, status %s, fallback %s",
            mask_number(to),
            call.sid,
            ring_timeout,
            url,
            status_callback,
            fallback_url,
        )
        return PlacedCall(sid=call.sid, status=call.status)

    def find_call(self, *, to: str, from_: str, since: datetime) -> PlacedCall | None:
        """The newest remembered call to ``to`` from ``from_`` created at or after ``since``."""
        floor = _utc(since)
        with self._lock:
            matches = [
                c
                for c in self._calls.values()
                if c.to == to and c.from_ == from_ and c.created >= floor
            ]
        if not matches:
            return None
        newest = max(matches, key=lambda c: c.created)
        return PlacedCall(sid=newest.sid, status=newest.status)

    def hangup(self, sid: str) -> None:
        """Mark a remembered call completed; an unknown sid fails like Twilio's 404."""
        with self._lock:
            call = self._calls.get(sid)
            if call is not None:
                call.status = "completed"
        if call is None:
            raise TelephonyError("other", retryable=False, code=_NOT_FOUND_CODE, http_status=404)
        log.info("Local telephony: would hang up call %s", sid)
