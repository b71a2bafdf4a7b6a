"""DKIM keys for tests: a fresh RSA key, its DNS TXT record, and a resolver for dkimpy."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DOMAIN = "forets.example.org"
SELECTOR = "mai2026"


@cache
def private_key_pem() -> bytes:
    """A 2048-bit RSA key in PKCS#8 PEM, made once per test process."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def txt_record(pem: bytes) -> bytes:
    """The TXT record an operator publishes: ``v=DKIM1; k=rsa; p=<base64 DER>``."""
    key = serialization.load_pem_private_key(pem, password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def write_key(folder: Path) -> Path:
    """The test key written as a PEM file in ``folder``."""
    path = folder / "dkim.pem"
    path.write_bytes(private_key_pem())
    return path


def resolver(
    domain: str = DOMAIN, selector: str = SELECTOR, pem: bytes | None = None
) -> Callable[..., bytes | None]:
    """A dnsfunc for ``dkim.verify``: the key's record at ``<selector>._domainkey.<domain>``."""
    record = txt_record(pem or private_key_pem())
    wanted = f"{selector}._domainkey.{domain}".encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name.rstrip(b".") == wanted else None

    return lookup


def settings(folder: Path, **changes: str) -> dict[str, str]:
    """DKIM settings for the campaign domain, with the key in ``folder``."""
    values = {
        "MAIL_FROM": f"campagne@{DOMAIN}",
        "DKIM_DOMAIN": DOMAIN,
        "DKIM_SELECTOR": SELECTOR,
        "DKIM_PRIVATE_KEY_FILE": str(write_key(folder)),
    }
    return {**values, **changes}
