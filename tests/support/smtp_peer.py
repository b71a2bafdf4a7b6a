"""A loopback SMTP server for tests, built on aiosmtpd.

It records every accepted message (envelope and parsed message), can be told to answer
MAIL, RCPT or DATA with a scripted reply (``451 ...``, ``550 ...``), and can speak
STARTTLS or implicit TLS with a certificate from a trustme CA and require a login.

Use ``SmtpPeer`` as a context manager, or the ``smtp_peer`` and ``tls_ca`` fixtures
(the root conftest loads this module as a plugin).
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
SERVER_NAME = "smtp-peer.test"
DEFAULT_USERNAME = "campaign-mailer"
DEFAULT_PASSWORD = "peer-password"
STAGES = ("MAIL", "RCPT", "DATA")
TLS_MODES = ("none", "starttls", "tls")
_ANSWER = re.compile(r"[2-5]\d\d[ -].*")


def free_port() -> int:
    """A loopback port that nothing listens on right now (aiosmtpd cannot use port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 and localhost."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    return context


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    """A client TLS context that trusts ``ca`` (and verifies host names as usual)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope, the parsed message and how the client came."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None
    tls: bool
    raw: bytes = b""  # the message as it came over the wire


class _Controller(Controller):
    def factory(self) -> SMTP:
        """Give the server our loop.

        Without one, aiosmtpd looks the loop up inside ``warnings.catch_warnings()``,
        which swaps the process-wide warning filters from the server thread while the
        test thread runs.
        """
        return SMTP(self.handler, loop=self.loop, **self.SMTP_kwargs)


class _Handler:
    """aiosmtpd hooks; they run on the controller's thread."""

    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Require a login when configured (done here, see SmtpPeer), then answer."""
        if self.peer.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        answer = self.peer._answer("MAIL")
        if answer is not None:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept the recipient unless an answer is scripted."""
        answer = self.peer._answer("RCPT")
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Record the message unless an answer is scripted."""
        answer = self.peer._answer("DATA")
        if answer is not None:
            return answer
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data if session.authenticated else None
        self.peer._record(
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=message,
                login=login if isinstance(login, str) else None,
                tls=_encrypted(server),
                raw=raw,
            )
        )
        return "250 2.0.0 Message accepted"


class SmtpPeer:
    """The SMTP server on 127.0.0.1; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        *,
        tls: str = "none",
        ca: trustme.CA | None = None,
        require_starttls: bool = True,
        username: str | None = None,
        password: str = DEFAULT_PASSWORD,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {TLS_MODES}")
        if tls != "none" and ca is None:
            raise ValueError("TLS needs a trustme CA")
        self.host = HOST
        self.port = 0
        self.tls = tls
        self.ca = ca
        self.require_starttls = require_starttls
        self.username = username
        self.password = password
        self._lock = threading.Condition()
        self._received: list[Received] = []
        self._next: dict[str, deque[str]] = {stage: deque() for stage in STAGES}
        self._always: dict[str, str | None] = dict.fromkeys(STAGES)
        self._controller: _Controller | None = None

    def start(self, port: int | None = None) -> SmtpPeer:
        """Listen on ``port``, or on a free port (retrying if another process takes it first)."""
        assert self._controller is None, "already started"
        wanted = port
        tries = 1 if wanted else 5
        for attempt in range(tries):
            port = wanted or free_port()
            controller = self._make_controller(port)
            try:
                controller.start()
            except OSError:
                controller.stop(no_assert=True)
                if not controller.loop.is_closed():
                    controller.loop.close()
                if attempt == tries - 1:
                    raise
                continue
            self.port = port
            self._controller = controller
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop listening and end the server thread."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpPeer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def received(self) -> list[Received]:
        """The accepted messages so far, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until ``count`` messages have arrived; return them (fewer on timeout)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self._received) >= count, timeout)
            return list(self._received)

    def answer_next(self, *answers: str, stage: str = "DATA") -> None:
        """Answer the next commands of ``stage`` (MAIL, RCPT or DATA) with ``answers``."""
        for answer in answers:
            _check_answer(answer, stage)
        with self._lock:
            self._next[stage].extend(answers)

    def answer_always(self, answer: str | None, stage: str = "DATA") -> None:
        """Answer every later ``stage`` command with ``answer`` (None: back to normal)."""
        if answer is not None:
            _check_answer(answer, stage)
        with self._lock:
            self._always[stage] = answer

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this peer's certificate."""
        assert self.ca is not None, "this peer has no CA"
        return client_context(self.ca)

    def _answer(self, stage: str) -> str | None:
        """The scripted answer for this command, if any (queued ones first)."""
        with self._lock:
            if self._next[stage]:
                return self._next[stage].popleft()
            return self._always[stage]

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """Accept exactly the configured username and password (LOGIN or PLAIN)."""
        ok = (
            self.username is not None
            and isinstance(data, LoginPassword)
            and data.login == self.username.encode()
            and data.password == self.password.encode()
        )
        if not ok:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=self.username)

    def _make_controller(self, port: int) -> _Controller:
        context = server_context(self.ca) if self.ca is not None else None
        options: dict[str, Any] = {
            "server_hostname": SERVER_NAME,
            "authenticator": self._authenticate,
            # Implicit TLS is invisible to aiosmtpd's "require TLS for AUTH" check (it
            # only knows STARTTLS); the plain peer allows AUTH too, as some relays do.
            "auth_require_tls": self.tls == "starttls",
            # auth_required=True would warn when AUTH may go unencrypted, so handle_MAIL
            # enforces the login instead.
            "auth_required": False,
        }
        if self.tls == "starttls":
            options["tls_context"] = context
            options["require_starttls"] = self.require_starttls
        elif self.tls == "tls":
            options["ssl_context"] = context
        return _Controller(_Handler(self), hostname=HOST, port=port, **options)


def _encrypted(server: SMTP) -> bool:
    """Whether this connection is under TLS (STARTTLS or implicit: only the transport knows)."""
    return (
        server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
    )


def _check_answer(answer: str, stage: str) -> None:
    """Refuse a malformed scripted answer now rather than confuse the client later."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}")
    if not _ANSWER.fullmatch(answer):
        raise ValueError("an answer is a 3-digit code, a space and text")


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    """A plain SMTP peer on loopback (no TLS, no login), stopped after the test."""
    with SmtpPeer() as peer:
        yield peer


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    """A throwaway certificate authority for TLS peers and the clients that trust them."""
    return trustme.CA()
