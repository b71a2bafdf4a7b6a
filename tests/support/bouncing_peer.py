"""An SMTP peer that accepts a message (250) and later returns it with a real DSN.

Like a receiving server that takes the letter, then finds the mailbox gone: for each
recipient ``bounces`` picks, it builds an RFC 3464 report with the email package
(``multipart/report; report-type=delivery-status``: a note, ``message/delivery-status``
and the returned headers), addressed to the envelope sender (our VERP address). The
reports wait in ``pending`` until the test hands them on (``return_bounces``), as a
provider's webhook would after the SMTP conversation is over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from typing import Any

from tests.support.smtp_peer import SERVER_NAME, Received, SmtpPeer

REPORTED_AT = datetime(2026, 11, 3, 19, 2, 11, tzinfo=UTC)


def delivery_status(
    mail_from: str, recipient: str, *, action: str = "failed", status: str = "5.1.1"
) -> Message:
    """The ``message/delivery-status`` part for one recipient."""
    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {SERVER_NAME}"
    per_message["X-Postfix-Sender"] = f"rfc822; {mail_from}"
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Original-Recipient"] = f"rfc822;{recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Remote-MTA"] = f"dns; {SERVER_NAME}"
    per_recipient["Diagnostic-Code"] = f"smtp; 550 {status} <{recipient}>: no such mailbox"
    part = Message()
    part.set_type("message/delivery-status")
    del part["MIME-Version"]
    part.set_payload([per_message, per_recipient])
    return part


def build_dsn(received: Received, recipient: str, when: datetime = REPORTED_AT) -> bytes:
    """A DSN returning ``received`` for ``recipient``, to its envelope sender."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = f"MAILER-DAEMON@{SERVER_NAME} (Mail Delivery System)"
    report["To"] = received.mail_from
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = format_datetime(when)
    report["Message-ID"] = make_msgid(domain=SERVER_NAME)
    report["Auto-Submitted"] = "auto-replied"
    note = (
        f"This is the mail system at host {SERVER_NAME}.\n\n"
        "Your message could not be delivered to one or more recipients.\n"
    )
    report.attach(MIMEText(note, "plain", "us-ascii"))
    report.attach(delivery_status(received.mail_from, recipient))
    head = received.raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace").replace("\r\n", "\n")
    returned = f"Return-Path: <{received.mail_from}>\n{head}\n"
    report.attach(MIMEText(returned, "rfc822-headers", "us-ascii"))
    return report.as_bytes()


class BouncingPeer(SmtpPeer):
    """Accepts every message, then keeps a DSN for each recipient ``bounces`` picks."""

    def __init__(self, bounces: Callable[[str], bool], **options: Any) -> None:
        super().__init__(**options)
        self.bounces = bounces
        self._pending: list[bytes] = []
        self._pending_lock = threading.Lock()

    def _record(self, received: Received) -> None:
        with self._pending_lock:
            for recipient in received.rcpt_tos:
                if self.bounces(recipient):
                    self._pending.append(build_dsn(received, recipient))
        super()._record(received)

    @property
    def pending(self) -> list[bytes]:
        """The DSNs not handed on yet (a copy)."""
        with self._pending_lock:
            return list(self._pending)

    def return_bounces(self, deliver: Callable[[bytes], Any]) -> list[Any]:
        """Hand each waiting DSN to ``deliver`` (the webhook); what it returned, in order."""
        with self._pending_lock:
            waiting, self._pending = self._pending, []
        return [deliver(raw) for raw in waiting]
