"""itsdangerous serializers for what is signed on every page: cheaper, same format.

Domain code: no Flask. A riding page signs up to three things per visitor (the session
cookie, the forms' token, the report token). itsdangerous's ``URLSafe(Timed)Serializer``
builds a new signer (and derives its key again) for each one, hashes with the pure-Python
``hmac`` object, and runs every payload through zlib to see whether it gets shorter.

These subclasses sign and read exactly the same strings: the key derivation, the HMAC,
the base64 and the ``.`` marking a compressed payload are itsdangerous's own, so a token
either makes is valid for the other, and every signature is checked as before. What they
save: one signer per salt (its derived keys kept), the HMAC through ``hmac.digest`` (one
call into OpenSSL) when the digest is a named hashlib one, and no zlib for a short
payload (it would gain a few bytes at most, and a reader decompresses only what is marked).
"""

from __future__ import annotations

import binascii
import hmac
import json
import zlib
from typing import Any

from itsdangerous import Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes
from itsdangerous.serializer import Serializer, _PDataSerializer
from itsdangerous.signer import HMACAlgorithm

#: Payloads (JSON bytes) up to this size are not tried with zlib.
SMALL_PAYLOAD = 256

_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def base64_encode(data: bytes) -> bytes:
    """itsdangerous's ``base64_encode`` (URL-safe, no padding) for bytes, in fewer calls."""
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


class OneCallHMAC(HMACAlgorithm):
    """HMAC with ``hmac.digest`` (OpenSSL in one call) for a named hashlib digest."""

    def __init__(self, digest_method: Any = None) -> None:
        super().__init__(digest_method)
        name = getattr(self.digest_method(), "name", "")
        self.digest_name: str | None = name if name in ("sha1", "sha256", "sha512") else None

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        """The same bytes as ``HMACAlgorithm.get_signature``."""
        if self.digest_name is None:
            return super().get_signature(key, value)
        return hmac.digest(key, value, self.digest_name)


class _KeptKeysMixin(Signer):
    """A signer that derives each secret's key once."""

    _derived: dict[bytes | str | None, bytes]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if type(self.algorithm) is HMACAlgorithm:
            self.algorithm = OneCallHMAC(self.algorithm.digest_method)
        self._derived = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        """``Signer.derive_key``, kept per secret."""
        found = self._derived.get(secret_key)
        if found is None:
            found = self._derived[secret_key] = super().derive_key(secret_key)
        return found

    def get_signature(self, value: str | bytes) -> bytes:
        """``Signer.get_signature``: the newest key's HMAC of ``value``, in base64."""
        key = self._derived.get(None) or self.derive_key()
        return base64_encode(self.algorithm.get_signature(key, want_bytes(value)))


class KeptKeySigner(_KeptKeysMixin, Signer):
    """``Signer`` deriving its keys once."""


class KeptKeyTimestampSigner(_KeptKeysMixin, TimestampSigner):
    """``TimestampSigner`` deriving its keys once."""


class KeptCompactJSON:
    """itsdangerous's compact JSON (no spaces, no ASCII escapes) with one kept encoder."""

    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def loads(payload: str | bytes) -> Any:
        """``json.loads``."""
        return json.loads(payload)

    @classmethod
    def dumps(cls, obj: Any, **kwargs: Any) -> str:
        """The text ``_CompactJSON.dumps`` gives."""
        if kwargs:
            kwargs.setdefault("ensure_ascii", False)
            kwargs.setdefault("separators", (",", ":"))
            return json.dumps(obj, **kwargs)
        return cls._encoder.encode(obj)


class _CheapURLSafeMixin(Serializer[str]):
    """Signers kept per salt; zlib only for payloads longer than ``SMALL_PAYLOAD``."""

    default_serializer: _PDataSerializer[str] = KeptCompactJSON

    _signers: dict[str | bytes | None, Signer]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signers = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        """The signer for ``salt`` (the serializer's own by default), made once."""
        found = self._signers.get(salt)
        if found is None:
            found = self._signers[salt] = super().make_signer(salt)
        return found

    def dump_payload(self, obj: Any) -> bytes:
        """As ``URLSafeSerializerMixin.dump_payload``, without trying zlib on short JSON."""
        json = Serializer.dump_payload(self, obj)
        if len(json) > SMALL_PAYLOAD:
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:
                return b"." + base64_encode(compressed)
        return base64_encode(json)


class CheapURLSafeSerializer(_CheapURLSafeMixin, URLSafeSerializer):
    """``URLSafeSerializer``'s tokens, made cheaper (see the module)."""

    default_signer = KeptKeySigner


class CheapURLSafeTimedSerializer(_CheapURLSafeMixin, URLSafeTimedSerializer):
    """``URLSafeTimedSerializer``'s tokens, made cheaper (see the module)."""

    default_signer = KeptKeyTimestampSigner
