"""Reading delivery status notifications (RFC 3464) with the standard library's email package.

A DSN is a ``multipart/report; report-type=delivery-status`` message: a human-readable
part, a ``message/delivery-status`` part with one block of fields per recipient
(``Action``, ``Status``, ``Diagnostic-Code`` ...) and usually the returned message or its
headers. Only what identifies our message and what happened to each recipient is kept.
No Flask and no database here; nothing is logged (a DSN is full of addresses).
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

#: Largest DSN read, in bytes: a bounce never needs more (the returned letter is cut).
MAX_BYTES = 512 * 1024
_STATUS = re.compile(r"([245])\.\d{1,3}\.\d{1,3}")
#: Headers of the DSN itself where MTAs put the address they are bouncing to.
_ENVELOPE_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
#: Headers of the returned message that carry our envelope sender.
_RETURNED_HEADERS = ("Return-Path", "Sender", "Errors-To")


class DsnError(ValueError):
    """Not a delivery status notification we can read."""


@dataclass(frozen=True)
class RecipientStatus:
    """What the reporting server says about one recipient."""

    recipient: str  # the final recipient's address, lower-cased ("" when absent)
    original: str  # the Original-Recipient, when given
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # an RFC 3463 code such as 5.1.1
    diagnostic: str  # the remote server's words, cut short

    @property
    def permanent(self) -> bool:
        """A failure that will not pass by waiting (a bounce, not a delay)."""
        return self.action == "failed" and self.status.startswith("5")

    def addresses(self) -> set[str]:
        """The recipient's addresses as the report gives them."""
        return {a for a in (self.recipient, self.original) if a}


@dataclass(frozen=True)
class Report:
    """A parsed DSN: per-recipient results and where our token or Message-ID may be."""

    recipients: tuple[RecipientStatus, ...]
    token_texts: tuple[str, ...]  # envelope id, addressees, returned Return-Path ...
    returned_message_id: str  # the Message-ID of the returned message ("" when absent)

    @property
    def failed(self) -> tuple[RecipientStatus, ...]:
        """The recipients that bounced for good."""
        return tuple(r for r in self.recipients if r.permanent)


def _address(value: str) -> str:
    """``rfc822; someone@example.org`` -> ``someone@example.org`` (lower-cased)."""
    _, _, address = value.rpartition(";")
    return address.strip().strip("<>").strip().lower()


def _text(value: object, limit: int = 300) -> str:
    """A field's value on one line, without control characters, cut to ``limit``."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", " ".join(str(value or "").split()))[:limit]


def _recipient(block: Message) -> RecipientStatus | None:
    """One per-recipient block, or None when it names no recipient."""
    final = _address(str(block.get("Final-Recipient", "")))
    original = _address(str(block.get("Original-Recipient", "")))
    if not (final or original):
        return None
    status = _STATUS.search(str(block.get("Status", "")))
    return RecipientStatus(
        recipient=final,
        original=original,
        action=str(block.get("Action", "")).strip().lower(),
        status=status.group(0) if status else "",
        diagnostic=_text(block.get("Diagnostic-Code", "")),
    )


def _returned_headers(report: Message) -> Message | None:
    """The returned message's headers (a message/rfc822 or text/rfc822-headers part)."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        elif kind == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                return HeaderParser().parsestr(text.decode("utf-8", "replace"))
    return None


def parse(raw: bytes) -> Report:
    """Read a DSN; DsnError when ``raw`` is not one (too big, not a report, no status)."""
    if len(raw) > MAX_BYTES:
        raise DsnError("too large")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        if message.get_content_type() != "multipart/report":
            raise DsnError("not a multipart/report")
        if str(message.get_param("report-type", "")).lower() != "delivery-status":
            raise DsnError("not a delivery-status report")
        status_part = next(
            (p for p in message.walk() if p.get_content_type() == "message/delivery-status"),
            None,
        )
        if status_part is None:
            raise DsnError("no message/delivery-status part")
        blocks = status_part.get_payload()
        if not isinstance(blocks, list) or not blocks:
            raise DsnError("empty delivery status")
        per_message, per_recipient = blocks[0], blocks[1:]
        if not isinstance(per_message, Message):
            raise DsnError("unreadable delivery status")
        recipients = tuple(
            r for r in (_recipient(b) for b in per_recipient if isinstance(b, Message)) if r
        )
        if not recipients:
            raise DsnError("no recipient in the delivery status")
        texts = [_text(per_message.get("Original-Envelope-Id", ""), 200)]
        texts += [_text(message.get(name, ""), 500) for name in _ENVELOPE_HEADERS]
        returned = _returned_headers(message)
        returned_id = ""
        if returned is not None:
            texts += [_text(returned.get(name, ""), 500) for name in _RETURNED_HEADERS]
            found = re.search(r"<[^<>\s]{1,240}>", str(returned.get("Message-ID", "")))
            returned_id = found.group(0) if found else ""
    except DsnError:
        raise
    except (email.errors.MessageError, ValueError, TypeError, IndexError, AttributeError) as error:
        raise DsnError(f"unreadable ({type(error).__name__})") from error
    return Report(
        recipients=recipients,
        token_texts=tuple(t for t in texts if t),
        returned_message_id=returned_id,
    )
