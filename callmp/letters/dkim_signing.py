"""DKIM signatures on outgoing mail (RFC 6376), made by dkimpy.

The key is read when the mail service is built, never at import time, and never logged.
No Flask and no database here.
"""

from __future__ import annotations

import email
import email.utils
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dkim  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

#: The headers signed when present, in this order (From is required by RFC 6376).
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Language",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)
_SELECTOR = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})")
_DOMAIN = re.compile(r"(?=.{1,253}$)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


class DkimSettingsError(ValueError):
    """The DKIM settings cannot work; the message names the setting, never the key."""


def domain_of(address: str) -> str:
    """The lower-cased domain of an address (``""`` when it has none)."""
    return address.rpartition("@")[2].strip().rstrip(">").lower()


def aligned(from_domain: str, dkim_domain: str) -> bool:
    """Whether a signature by ``dkim_domain`` passes DMARC's relaxed alignment for From."""
    from_domain, dkim_domain = from_domain.lower(), dkim_domain.lower()
    return from_domain == dkim_domain or from_domain.endswith("." + dkim_domain)


@dataclass(frozen=True)
class DkimSigner:
    """Signs raw messages whose From is in ``domain`` with one RSA or Ed25519 key."""

    domain: str
    selector: str
    private_key: bytes = field(repr=False)  # PEM; repr=False keeps it out of tracebacks

    def sign(self, raw: bytes) -> bytes:
        """``raw`` with a DKIM-Signature header in front (unchanged if From is not ours)."""
        head = raw.split(b"\r\n\r\n", 1)[0].lower()
        present = [
            name
            for name in SIGNED_HEADERS
            if head.startswith(name.lower().encode() + b":")
            or b"\r\n" + name.lower().encode() + b":" in head
        ]
        from_domain = _from_domain(raw)
        if not aligned(from_domain, self.domain):
            log.warning("DKIM: From domain is not %s; message left unsigned", self.domain)
            return raw
        signature: bytes = dkim.sign(
            raw,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[name.encode("ascii") for name in present],
        )
        return signature + raw

    def dns_name(self) -> str:
        """Where the public key is published: ``<selector>._domainkey.<domain>``."""
        return f"{self.selector}._domainkey.{self.domain}"


def _from_domain(raw: bytes) -> str:
    """The domain of the From address in a raw message's headers."""
    parsed = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    value = str(parsed.get("From", ""))
    return domain_of(email.utils.parseaddr(value)[1])


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse DKIM settings that are incomplete or do not match CALLMP_MAIL_FROM."""
    domain = str(config.get("DKIM_DOMAIN") or "").strip()
    selector = str(config.get("DKIM_SELECTOR") or "").strip()
    key_file = str(config.get("DKIM_PRIVATE_KEY_FILE") or "").strip()
    if not (domain or selector or key_file):
        return
    if not (domain and selector and key_file):
        raise DkimSettingsError(
            "DKIM needs all three of CALLMP_DKIM_DOMAIN, CALLMP_DKIM_SELECTOR and "
            "CALLMP_DKIM_PRIVATE_KEY_FILE"
        )
    if not _DOMAIN.fullmatch(domain):
        raise DkimSettingsError("CALLMP_DKIM_DOMAIN must be a domain name such as example.org")
    if not _SELECTOR.fullmatch(selector):
        raise DkimSettingsError("CALLMP_DKIM_SELECTOR must be letters, digits, '.', '_' or '-'")
    mail_from = domain_of(str(config.get("MAIL_FROM") or ""))
    if not aligned(mail_from, domain):
        raise DkimSettingsError(
            f"CALLMP_DKIM_DOMAIN ({domain}) must be the domain of CALLMP_MAIL_FROM "
            f"({mail_from}) or a parent of it, or receivers' DMARC checks fail"
        )


def load_signer(config: Mapping[str, Any]) -> DkimSigner | None:
    """The signer the settings describe, with its key read now; None without DKIM."""
    check_settings(config)
    if not config.get("DKIM_DOMAIN"):
        return None
    path = Path(str(config["DKIM_PRIVATE_KEY_FILE"]))
    try:
        key = path.read_bytes()
    except OSError as error:
        raise DkimSettingsError(
            f"CALLMP_DKIM_PRIVATE_KEY_FILE cannot be read ({type(error).__name__})"
        ) from error
    if b"PRIVATE KEY-----" not in key:
        raise DkimSettingsError("CALLMP_DKIM_PRIVATE_KEY_FILE does not hold a PEM private key")
    signer = DkimSigner(
        domain=str(config["DKIM_DOMAIN"]).strip().lower(),
        selector=str(config["DKIM_SELECTOR"]).strip(),
        private_key=key,
    )
    # A trial signature now: a key dkimpy cannot use fails the start, not every letter.
    trial = (
        f"From: check@{signer.domain}\r\nSubject: check\r\n"
        "Message-ID: <check@callmp.invalid>\r\n\r\ncheck\r\n"
    ).encode("ascii")
    try:
        dkim.sign(trial, signer.selector.encode(), signer.domain.encode(), key)
    except (dkim.DKIMException, ValueError, TypeError, IndexError) as error:
        raise DkimSettingsError(
            "CALLMP_DKIM_PRIVATE_KEY_FILE holds a key DKIM cannot sign with"
        ) from error
    return signer
