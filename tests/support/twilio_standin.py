"""A loopback stand-in for the slice of Twilio's REST API that CallMP uses: Calls.

The real SDK talks to it over HTTP (``TwilioTelephony(api_base_url=standin.base_url)``).
It checks basic auth, keeps calls in memory, records every request, and can be told to
answer the next requests with a Twilio error body, a 500, a 429 or a delay.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "standin-auth-token"
API = "/2010-04-01"
_CALLS = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls\.json$")
_ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)\.json$")
_CALL = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls/(?P<sid>[^/]+)\.json$")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stand-in saw it (params: query and form body, as lists)."""

    method: str
    path: str
    params: dict[str, list[str]]
    auth_user: str | None


@dataclass(frozen=True)
class Canned:
    """A reply forced on one request: wait ``delay`` s, then answer ``status`` or normally."""

    status: int | None = None
    body: str = ""
    content_type: str = "application/json"
    delay: float = 0.0


def error_body(code: int, status: int, message: str) -> dict[str, Any]:
    """Twilio's error body for ``code``."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def error_reply(code: int, status: int = 400, message: str = "Error") -> Canned:
    """A Twilio-style error answer."""
    return Canned(status=status, body=json.dumps(error_body(code, status, message)))


def rate_limited() -> Canned:
    """Twilio's 429 with error 20429."""
    return error_reply(20429, 429, "Too Many Requests")


def server_error(json_body: bool = False) -> Canned:
    """A 500, with a plain body (as from a proxy) or Twilio's JSON body (code 20500)."""
    if json_body:
        return error_reply(20500, 500, "Internal Server Error")
    return Canned(status=500, body="Internal Server Error", content_type="text/plain")


def slow_reply(seconds: float) -> Canned:
    """Answer normally, but only after ``seconds``."""
    return Canned(delay=seconds)


def _rfc2822(moment: datetime) -> str:
    """A moment as Twilio's resources write dates."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def _parse_time(value: str) -> datetime:
    """A date or date-time from a list filter."""
    if "T" in value:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)


@dataclass
class _Call:
    resource: dict[str, Any]
    created: datetime
    start: datetime | None = None
    order: int = 0
    params: dict[str, str] | None = None  # what the create request sent (None: add_call)


@dataclass(frozen=True)
class CreatedCall:
    """A call created through the API: its sid, when (to the microsecond) and with what."""

    sid: str
    created: datetime
    to: str
    url: str
    status_callback: str


class _Server(ThreadingHTTPServer):
    standin: TwilioStandIn
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Swallow errors such as writing to a client that already gave up (timeout tests)."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Serve a GET."""
        self.server.standin._handle(self)

    def do_POST(self) -> None:
        """Serve a POST."""
        self.server.standin._handle(self)


@dataclass
class _Reply:
    status: int
    body: str
    content_type: str = "application/json"


class TwilioStandIn:
    """The stand-in server; use as a context manager or call start() and stop()."""

    def __init__(
        self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._calls: dict[str, _Call] = {}
        self._canned: deque[Canned] = deque()
        self._in_flight = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> TwilioStandIn:
        """Listen on a free loopback port and serve in a background thread."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake delayed replies, stop serving, close the socket and join every thread."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> TwilioStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Where the server listens, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order."""
        with self._lock:
            return list(self._requests)

    def call(self, sid: str) -> dict[str, Any]:
        """The stored resource of one call."""
        with self._lock:
            return dict(self._calls[sid].resource)

    def call_sids(self) -> list[str]:
        """The sids of the stored calls, oldest first."""
        with self._lock:
            return list(self._calls)

    def created_calls(self) -> list[CreatedCall]:
        """The calls created through the API (not ``add_call``), oldest first."""
        with self._lock:
            return [
                CreatedCall(
                    sid=str(c.resource["sid"]),
                    created=c.created,
                    to=str(c.resource["to"]),
                    url=c.params.get("Url", ""),
                    status_callback=c.params.get("StatusCallback", ""),
                )
                for c in self._calls.values()
                if c.params is not None
            ]

    def reply_next(self, canned: Canned, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``canned``."""
        with self._lock:
            self._canned.extend([canned] * times)

    def add_call(self, *, to: str, from_: str, created: datetime, status: str = "completed") -> str:
        """Store a call as if it had been created at ``created``; returns its sid."""
        with self._lock:
            return str(self._store(to, from_, created.astimezone(UTC), status).resource["sid"])

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being handled (e.g. a delayed one the client gave up on)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._in_flight == 0, timeout)

    # -- request handling (handler threads) --

    def _handle(self, handler: _Handler) -> None:
        """Record a request, then answer it (canned, auth error or routed)."""
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        url = urlsplit(handler.path)
        params = parse_qs(url.query, keep_blank_values=True)
        if handler.command == "POST":
            for key, values in parse_qs(body, keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
        user, password = _basic_auth(handler.headers.get("Authorization"))
        with self._lock:
            self._requests.append(RecordedRequest(handler.command, url.path, params, user))
            canned = self._canned.popleft() if self._canned else None
            self._in_flight += 1
        try:
            if canned is not None and canned.delay and self._stopping.wait(canned.delay):
                return  # stopping: the client gave up long ago
            if canned is not None and canned.status is not None:
                reply = _Reply(canned.status, canned.body, canned.content_type)
            elif user != self.account_sid or password != self.auth_token:
                reply = _json(401, error_body(20003, 401, "Authenticate"))
            else:
                reply = self._route(handler.command, url.path, params)
            data = reply.body.encode()
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def _route(self, method: str, path: str, params: dict[str, list[str]]) -> _Reply:
        """Answer a request to the account or its Calls resources."""
        account = _ACCOUNT.match(path)
        if account is not None and method == "GET" and account["account"] == self.account_sid:
            return _json(200, {"sid": self.account_sid, "status": "active", "uri": path})
        calls, call = _CALLS.match(path), _CALL.match(path)
        match = calls or call
        if match is None or match["account"] != self.account_sid:
            return _not_found(path)
        if calls and method == "POST":
            return self._create(params)
        if calls and method == "GET":
            return self._list(path, params)
        with self._lock:
            stored = self._calls.get(call["sid"]) if call else None
            if stored is None:
                return _not_found(path)
            if method == "POST":
                _update(stored, params)
            return _json(200, stored.resource)

    def _create(self, params: dict[str, list[str]]) -> _Reply:
        """Create a call, checking the parameters Twilio requires."""
        first = {key: values[0] for key, values in params.items() if values}
        if not first.get("To"):
            return _json(400, error_body(21201, 400, "No 'To' number is specified"))
        if not first.get("From"):
            return _json(400, error_body(21603, 400, "A 'From' phone number is required."))
        if not any(first.get(key) for key in ("Url", "Twiml", "ApplicationSid")):
            return _json(400, error_body(21205, 400, "Url parameter is required."))
        with self._lock:
            stored = self._store(first["To"], first["From"], datetime.now(UTC), "queued")
            stored.params = first
        return _json(201, stored.resource)

    def _list(self, path: str, params: dict[str, list[str]]) -> _Reply:
        """One page of calls matching the filters, newest first."""
        first = {key: values[0] for key, values in params.items() if values}
        size = int(first.get("PageSize", "50"))
        page = int(first.get("Page", "0"))
        with self._lock:
            found = [c for c in self._calls.values() if _matches(c, first)]
            found.sort(key=lambda c: (c.created, c.order), reverse=True)
            items = [dict(c.resource) for c in found[page * size : (page + 1) * size]]
        filters = {k: v for k, v in first.items() if k not in ("Page", "PageSize", "PageToken")}

        def page_uri(number: int) -> str:
            """The URI of page ``number`` with the same filters."""
            return f"{path}?{urlencode({**filters, 'PageSize': size, 'Page': number})}"

        more = len(found) > (page + 1) * size
        return _json(
            200,
            {
                "calls": items,
                "end": page * size + max(len(items) - 1, 0),
                "first_page_uri": page_uri(0),
                "next_page_uri": page_uri(page + 1) if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": page_uri(page - 1) if page else None,
                "start": page * size,
                "uri": page_uri(page),
            },
        )

    def _store(self, to: str, from_: str, created: datetime, status: str) -> _Call:
        """Store a call resource as Twilio returns it."""
        sid = "CA" + secrets.token_hex(16)
        uri = f"{API}/Accounts/{self.account_sid}/Calls/{sid}.json"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": "2010-04-01",
            "caller_name": None,
            "date_created": _rfc2822(created),
            "date_updated": _rfc2822(created),
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": from_,
            "from_formatted": from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": status,
            "subresource_uris": {
                "notifications": uri.replace(".json", "/Notifications.json"),
                "recordings": uri.replace(".json", "/Recordings.json"),
            },
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": uri,
        }
        call = _Call(resource, created, order=len(self._calls))
        if status != "queued":
            call.start = created
            resource["start_time"] = resource["date_created"]
        self._calls[sid] = call
        return call


def _basic_auth(header: str | None) -> tuple[str | None, str | None]:
    """User and password of a Basic Authorization header."""
    if not header or not header.startswith("Basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, _, password = decoded.partition(":")
    return user, password


def _matches(call: _Call, first: dict[str, str]) -> bool:
    """Twilio's list filters; a call still queued has no start time, so StartTime skips it."""
    resource = call.resource
    for key, field_name in (("To", "to"), ("From", "from"), ("Status", "status")):
        if key in first and resource[field_name] != first[key]:
            return False
    bounds = {k: _parse_time(v) for k, v in first.items() if k.startswith("StartTime")}
    if not bounds:
        return True
    start = call.start
    if start is None:
        return False
    for key, bound in bounds.items():
        if key in ("StartTime>", "StartTime>=") and start < bound:
            return False
        if key in ("StartTime<", "StartTime<=") and start > bound:
            return False
        if key == "StartTime" and start.date() != bound.date():
            return False
    return True


def _update(call: _Call, params: dict[str, list[str]]) -> None:
    """Apply a Status change to a stored call, as Twilio allows it."""
    status = (params.get("Status") or [""])[0]
    current = call.resource["status"]
    if status == "completed" and current not in ("completed", "canceled", "failed"):
        call.resource["status"] = "completed"
    elif status == "canceled" and current in ("queued", "ringing"):
        call.resource["status"] = "canceled"
    else:
        return
    call.resource["end_time"] = call.resource["date_updated"] = _rfc2822(datetime.now(UTC))


def _json(status: int, body: dict[str, Any]) -> _Reply:
    """A JSON reply."""
    return _Reply(status, json.dumps(body))


def _not_found(path: str) -> _Reply:
    """Twilio's 404 for ``path``."""
    return _json(404, error_body(20404, 404, f"The requested resource {path} was not found"))
