"""Outgoing mail: build RFC 5322 messages and hand them to an SMTP server.

The local backend, which writes messages to a folder instead, is ``callmp.letters.outbox``.

No Flask and no database here: callers pass plain values and get exceptions that say
whether a later retry can succeed (``TemporaryMailError``) or not (``PermanentMailError``).
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address, AddressHeader
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from callmp.letters.dkim_signing import DkimSigner

log = logging.getLogger(__name__)

TLS_MODES = ("starttls", "tls", "none")

#: Longest display name in From, To and Reply-To, quotes and escapes included. Python
#: 3.11's folder drops the quotes of a quoted display name that does not fit on the
#: header's first line, so "Doe, Jane" became two addresses; kept this short, a name
#: always fits there. The signature still carries the full name.
DISPLAY_NAME_MAX = 58

#: The headers that must each hold exactly the one address we meant.
ADDRESS_HEADERS = ("From", "To", "Reply-To")

# Besides CR and LF, str.splitlines() (which parts of the email package rely on) breaks
# on these; a header value has no business holding any control character.
_BAD_HEADER_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")


class MailError(Exception):
    """A message could not be handed over; ``reason`` is short and free of personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryMailError(MailError):
    """Sending may succeed later: keep the message and retry."""


class PermanentMailError(MailError):
    """Sending will not succeed: mark the message failed."""


@dataclass(frozen=True)
class OutgoingMail:
    """Everything needed to build one plain-text message."""

    message_id: str
    from_name: str
    from_address: str
    to_name: str
    to_address: str
    reply_to_name: str
    reply_to_address: str | None
    subject: str
    body: str
    locale: str
    # A supporter's one-click unsubscribe (RFC 8058): the https URL of their consent's
    # withdrawal, sent as List-Unsubscribe with List-Unsubscribe-Post; "" for none.
    unsubscribe_url: str = ""


def new_message_id(from_address: str) -> str:
    """A fresh ``<...@domain>`` Message-ID in the sender's domain."""
    domain = from_address.rpartition("@")[2]
    if not domain or _BAD_HEADER_CHARS.search(domain):
        raise ValueError("from_address has no usable domain for a Message-ID")
    return make_msgid(domain=domain)


def _check_header(field: str, value: str) -> None:
    """Refuse a header value that could inject or fold headers."""
    if _BAD_HEADER_CHARS.search(value):
        raise ValueError(f"{field} contains a line break or control character")


def display_name(name: str) -> str:
    """``name`` on one line, cut so that quoted it fits ``DISPLAY_NAME_MAX``."""
    name = " ".join(name.split())
    while name and len(name) + name.count("\\") + name.count('"') + 2 > DISPLAY_NAME_MAX:
        name = name[:-1].rstrip()
    return name


def _address(field: str, name: str, addr_spec: str) -> Address:
    """An Address header value, with a clear error instead of the parser's defects."""
    _check_header(f"{field} name", name)
    _check_header(f"{field} address", addr_spec)
    # Non-ASCII addresses need SMTPUTF8 end to end; validate with allow_smtputf8=False
    # upstream rather than let the policy write an address no server can route.
    if not addr_spec.isascii():
        raise ValueError(f"{field} address must be ASCII")
    try:
        address = Address(display_name=display_name(name), addr_spec=addr_spec)
    # The stdlib parser raises IndexError on some malformed input ("nobody@").
    except (ValueError, IndexError, email.errors.HeaderParseError) as error:
        raise ValueError(f"{field} address is not a valid address") from error
    if not address.username or not address.domain:
        raise ValueError(f"{field} address is not a valid address")
    return address


def build_message(mail: OutgoingMail, now: datetime) -> EmailMessage:
    """The message for ``mail`` dated ``now`` (an aware datetime), ready for SMTP."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if not _MESSAGE_ID.fullmatch(mail.message_id):
        raise ValueError("message_id must look like <local@domain>")
    if mail.locale not in ("en", "fr"):
        raise ValueError("locale must be 'en' or 'fr'")
    _check_header("subject", mail.subject)
    # Checked before building: the policy's own refusal differs between Python versions.
    sender = _address("from", mail.from_name, mail.from_address)
    recipient = _address("to", mail.to_name, mail.to_address)
    reply_to = None
    if mail.reply_to_address:
        reply_to = _address("reply-to", mail.reply_to_name, mail.reply_to_address)

    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Message-ID"] = mail.message_id
    message["MIME-Version"] = "1.0"
    # Quoted-printable keeps the body 7-bit: no reliance on the server's 8BITMIME.
    message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header already present.
    message["Content-Language"] = mail.locale
    if mail.unsubscribe_url:
        _check_header("unsubscribe_url", mail.unsubscribe_url)
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    intended = {"From": sender, "To": recipient, "Reply-To": reply_to}
    _check_parses_back(message, {k: v for k, v in intended.items() if v is not None})
    return message


def _squeezed(text: str) -> str:
    """``text`` without any whitespace."""
    return "".join(text.split())


def _check_parses_back(message: EmailMessage, intended: dict[str, Address]) -> None:
    """Refuse a message whose address headers, as sent, read as anything else.

    The bytes the senders write are parsed again, by the email package and by
    ``getaddresses``: each address header must be exactly the one address we built.
    """
    raw = message.as_bytes(policy=email.policy.SMTP)
    head = re.sub(rb"\r\n[ \t]", b" ", raw.split(b"\r\n\r\n", 1)[0]).decode("ascii", "replace")
    lines = head.split("\r\n")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    for field in ADDRESS_HEADERS:
        want = intended.get(field)
        values = [
            line.split(":", 1)[1] for line in lines if line.lower().startswith(f"{field.lower()}:")
        ]
        try:
            headers = parsed.get_all(field) or []
            found = [a for h in headers if isinstance(h, AddressHeader) for a in h.addresses]
            pairs = getaddresses(values)
        except (ValueError, IndexError, email.errors.HeaderParseError):
            found, pairs = [], []
        if want is None:
            if values:
                raise PermanentMailError(f"{field} does not parse back: unexpected header")
            continue
        same = (
            len(values) == 1
            and len(found) == 1
            and len(pairs) == 1
            and found[0].addr_spec == pairs[0][1] == want.addr_spec
            # Folding may add a space between encoded words: compare all but spaces.
            and _squeezed(found[0].display_name) == _squeezed(want.display_name)
        )
        if not same:
            raise PermanentMailError(f"{field} does not parse back as its one address")


class EmailSender(Protocol):
    """Where built messages go: an SMTP server or the local outbox."""

    def send(self, message: EmailMessage, envelope_from: str = "") -> None:
        """Hand over ``message`` (MAIL FROM ``envelope_from``, else its From); raise
        TemporaryMailError or PermanentMailError."""

    def close(self) -> None:
        """Release whatever the sender holds."""


# Authentication required, mechanism too weak, credentials invalid, encryption required:
# 5xx, yet about our settings rather than the message, so the message waits for a fix.
_SETTINGS_CODES = frozenset({530, 534, 535, 538})


def _smtp_kind(code: int) -> type[MailError]:
    """5xx will fail again; 4xx and anything odd may pass later, so keep the message."""
    if code in _SETTINGS_CODES:
        return TemporaryMailError
    return PermanentMailError if 500 <= code < 600 else TemporaryMailError


def _classify(error: Exception) -> MailError:
    """Map an smtplib or socket failure to a MailError (order matters: subclasses first)."""
    if isinstance(error, MailError):
        return error
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # Our credentials, not the message: wait for an admin to fix the settings.
        return TemporaryMailError(f"smtp {error.smtp_code} login refused; check mail settings")
    if isinstance(error, smtplib.SMTPConnectError):
        return TemporaryMailError(f"smtp {error.smtp_code} on connect")
    if isinstance(error, smtplib.SMTPResponseException):
        hint = "; check mail settings" if error.smtp_code in _SETTINGS_CODES else ""
        return _smtp_kind(error.smtp_code)(f"smtp {error.smtp_code}{hint}")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        kind: type[MailError] = TemporaryMailError
        if codes and all(_smtp_kind(code) is PermanentMailError for code in codes):
            kind = PermanentMailError
        return kind("smtp " + ",".join(map(str, codes)) + " recipient refused")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib turns a read timeout into "Connection unexpectedly closed".
        if isinstance(error.__context__, TimeoutError):
            return TemporaryMailError("timed out")
        return TemporaryMailError("connection closed by server")
    if isinstance(error, smtplib.SMTPException):
        # E.g. no AUTH offered or none in common: the settings, not the message, are wrong.
        return TemporaryMailError(f"smtp protocol error ({type(error).__name__})")
    if isinstance(error, ConnectionRefusedError):
        return TemporaryMailError("connection refused")
    if isinstance(error, TimeoutError):
        return TemporaryMailError("timed out")
    if isinstance(error, ssl.SSLError):
        return TemporaryMailError(f"tls error {error.reason or type(error).__name__}")
    if isinstance(error, OSError):
        return TemporaryMailError(f"network error {type(error).__name__}")
    raise error


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope sender (From) and recipients (To and Cc) of a built message."""

    def addresses(name: str) -> list[str]:
        headers = message.get_all(name) or []
        return [a.addr_spec for h in headers if isinstance(h, AddressHeader) for a in h.addresses]

    senders, recipients = addresses("From"), addresses("To") + addresses("Cc")
    if len(senders) != 1 or not recipients or "Bcc" in message:
        raise ValueError("message needs one From, at least one To and no Bcc")
    return senders[0], recipients


class SmtpSender:
    """Sends each message over its own SMTP connection."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: str = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 15.0,
        ssl_context: ssl.SSLContext | None = None,
        signer: DkimSigner | None = None,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}")
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.signer = signer

    def send(self, message: EmailMessage, envelope_from: str = "") -> None:
        """Deliver ``message`` to the server; raise TemporaryMailError or PermanentMailError."""
        message_id = str(message.get("Message-ID", "?"))
        try:
            self._deliver(message, envelope_from)
        except Exception as error:
            failure = _classify(error)
            log.warning("mail %s not sent: %s", message_id, failure.reason)
            if failure is error:
                raise
            raise failure from error
        log.info("mail %s sent", message_id)

    def close(self) -> None:
        """Nothing held between sends."""

    def check_login(self) -> None:
        """Connect, secure and log in as for a send, then quit: no mail is sent."""
        smtp = self._connect()
        try:
            smtp.ehlo()
            if self.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise TemporaryMailError("server offers no STARTTLS; check mail settings")
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.quit()
        finally:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        """An open connection, encrypted when so configured."""
        if self.tls == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.ssl_context
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _deliver(self, message: EmailMessage, envelope_from: str = "") -> None:
        """Connect, secure, log in, send; the caller maps the failures."""
        # Before connecting: a message we cannot address is our bug, not the server's.
        sender, recipients = _envelope(message)
        if envelope_from:
            _check_header("envelope sender", envelope_from)
            sender = envelope_from
        data = message.as_bytes(policy=email.policy.SMTP)
        if self.signer is not None:
            data = self.signer.sign(data)
        smtp = self._connect()
        try:
            smtp.ehlo()
            if self.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    # Never fall back to plain text: the password and the letter would leak.
                    raise TemporaryMailError("server offers no STARTTLS; check mail settings")
                try:
                    smtp.starttls(context=self.ssl_context)
                except smtplib.SMTPResponseException as error:
                    raise TemporaryMailError(
                        f"smtp {error.smtp_code} to STARTTLS; check mail settings"
                    ) from error
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
            # Not send_message(): its generator turns a body line "From ..." into ">From ...".
            smtp.sendmail(sender, recipients, data)
        except BaseException:
            smtp.close()
            raise
        # The server has accepted the message: a failing QUIT must not cause a resend.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            log.info("mail %s: QUIT failed after acceptance", message.get("Message-ID", "?"))
        finally:
            smtp.close()
