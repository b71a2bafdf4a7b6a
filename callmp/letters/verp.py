"""Per-message bounce addresses (VERP): ``bounces+m<id>-<mac>@domain``.

The SMTP envelope sender of each message names it, so a bounce sent back to that address
says which message failed. The id is signed with an HMAC of the app's secret: a forged
bounce cannot name someone else's message. No Flask and no database here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Hex characters of the MAC kept in the address (64 bits: not guessable, still short).
MAC_LENGTH = 16
_TOKEN = re.compile(rf"\+m([0-9]{{1,12}})-([0-9a-f]{{{MAC_LENGTH}}})@", re.IGNORECASE)
_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}")


@dataclass(frozen=True)
class Verp:
    """Makes and reads the bounce addresses of one bounce mailbox."""

    bounce_address: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        local, _, domain = self.bounce_address.partition("@")
        if not _LOCAL.fullmatch(local) or "+" in local or "." not in domain or " " in domain:
            raise ValueError(
                "CALLMP_BOUNCE_ADDRESS must be a plain address such as bounces@example.org"
            )

    @property
    def _key(self) -> bytes:
        return hmac.new(self.secret.encode(), b"callmp bounce addresses", hashlib.sha256).digest()

    def _mac(self, message_id: int) -> str:
        digest = hmac.new(self._key, f"m{message_id}".encode(), hashlib.sha256).hexdigest()
        return digest[:MAC_LENGTH]

    def address(self, message_id: int) -> str:
        """The envelope sender for the stored message ``message_id``."""
        local, _, domain = self.bounce_address.partition("@")
        return f"{local}+m{message_id}-{self._mac(message_id)}@{domain}"

    def read(self, values: Iterable[str]) -> TokenFound:
        """The message id signed in any of ``values`` (addresses or header texts)."""
        forged = False
        for value in values:
            for match in _TOKEN.finditer(value):
                message_id = int(match.group(1))
                if hmac.compare_digest(match.group(2).lower(), self._mac(message_id)):
                    return TokenFound(message_id=message_id, forged=False)
                forged = True
        return TokenFound(message_id=None, forged=forged)


@dataclass(frozen=True)
class TokenFound:
    """What a search for a bounce token found: a message id, or whether a bad one was seen."""

    message_id: int | None
    forged: bool
