"""The local mail backend: messages written as ``.eml`` files to a folder, and read back.

The default in development and demos: the outbox page lists exactly what would have
been sent. No Flask here.
"""

from __future__ import annotations

import email.policy
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from callmp.letters.dkim_signing import DkimSigner
from callmp.letters.smtp import TemporaryMailError

log = logging.getLogger(__name__)

# The only names LocalSender writes: a readable part, then a hash of the full Message-ID.
_OUTBOX_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,79}-[0-9a-f]{16}\.eml")


def outbox_name(message_id: str) -> str:
    """The outbox file name for a Message-ID: the same ID always gives the same name."""
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip().strip("<>"))[:80]
    if not readable or not (readable[0].isalnum() or readable[0] == "_"):
        readable = "_" + readable[:79]
    digest = hashlib.sha256(message_id.strip().encode("utf-8")).hexdigest()[:16]
    return f"{readable}-{digest}.eml"


class LocalSender:
    """Writes each message to ``outbox`` as an .eml file instead of sending it."""

    def __init__(self, outbox: Path, signer: DkimSigner | None = None) -> None:
        self.outbox = outbox
        self.signer = signer

    def send(self, message: EmailMessage, envelope_from: str = "") -> None:
        """Write ``message`` atomically; a resend of the same Message-ID overwrites it.

        ``envelope_from`` (the bounce address) has no place in a file and is not kept."""
        message_id = message.get("Message-ID")
        if not message_id:
            raise ValueError("message has no Message-ID")
        name = outbox_name(str(message_id))
        data = message.as_bytes(policy=email.policy.SMTP)
        if self.signer is not None:
            data = self.signer.sign(data)
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            # A temp file in the same folder, then a rename: readers never see half a file.
            handle, temp = tempfile.mkstemp(dir=self.outbox, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temp, self.outbox / name)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as error:
            log.warning("mail %s not written: %s", message_id, type(error).__name__)
            raise TemporaryMailError(f"outbox not writable ({type(error).__name__})") from error
        log.info("mail %s written to outbox as %s", message_id, name)

    def close(self) -> None:
        """Nothing held between sends."""


@dataclass(frozen=True)
class OutboxEntry:
    """One message in the local outbox, with decoded headers for a listing."""

    name: str
    sent_at: datetime
    from_: str
    to: str
    subject: str


def list_outbox(outbox: Path, limit: int = 200) -> list[OutboxEntry]:
    """The newest ``limit`` messages in ``outbox``, newest first."""
    if not outbox.is_dir():
        return []
    found: list[tuple[float, str, Path]] = []
    for path in outbox.iterdir():
        if not _OUTBOX_NAME.fullmatch(path.name):
            continue  # temp files and anything not written by LocalSender
        try:
            found.append((path.stat().st_mtime, path.name, path))
        except FileNotFoundError:
            continue  # removed while listing
    found.sort(reverse=True)
    parser = BytesParser(policy=email.policy.default)
    entries = []
    for mtime, name, path in found[: max(limit, 0)]:
        try:
            with path.open("rb") as file:
                headers = parser.parse(file, headersonly=True)
        except FileNotFoundError:
            continue
        entries.append(
            OutboxEntry(
                name=name,
                sent_at=datetime.fromtimestamp(mtime, UTC),
                from_=str(headers.get("From", "")),
                to=str(headers.get("To", "")),
                subject=str(headers.get("Subject", "")),
            )
        )
    return entries


def read_outbox(outbox: Path, name: str) -> EmailMessage | None:
    """The message stored as ``name``, or None for an unknown or invalid name."""
    # Only names LocalSender could have written: no separators, no "..", no absolute path.
    if not _OUTBOX_NAME.fullmatch(name):
        return None
    try:
        data = (outbox / name).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return BytesParser(policy=email.policy.default).parsebytes(data)
