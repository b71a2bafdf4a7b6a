"""The cheaper serializers sign and read exactly what itsdangerous's own do."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Response
from itsdangerous import (
    BadSignature,
    SignatureExpired,
    Signer,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_decode
from itsdangerous.signer import HMACAlgorithm
from markupsafe import Markup

from callmp.signing import (
    SMALL_PAYLOAD,
    CheapURLSafeSerializer,
    CheapURLSafeTimedSerializer,
    KeptKeySigner,
    KeptKeyTimestampSigner,
    OneCallHMAC,
)
from callmp.views.proxies import PlainFirstTaggedJSON, SchemeSessionInterface

SECRET = "test-secret-" + "x" * 40
SHORT = {"k": "d", "c": 1, "f": 35100, "t": [3, 4], "n": "nonce", "s": "client"}
LONG = {"lookup": {"ridings": list(range(60)), "match": "exact", "slug": "a" * 40}}


@pytest.mark.parametrize("value", [SHORT, LONG])
def test_tokens_read_both_ways_with_itsdangerous(value: dict[str, Any]) -> None:
    """A token either serializer signs is valid for the other (same salt and key)."""
    cheap, stock = CheapURLSafeSerializer(SECRET, salt="s"), URLSafeSerializer(SECRET, salt="s")
    assert stock.loads(cheap.dumps(value)) == value
    assert cheap.loads(stock.dumps(value)) == value
    timed = CheapURLSafeTimedSerializer(SECRET, salt="t")
    stock_timed = URLSafeTimedSerializer(SECRET, salt="t")
    assert stock_timed.loads(timed.dumps(value), max_age=60) == value
    assert timed.loads(stock_timed.dumps(value), max_age=60) == value


def test_short_payloads_skip_zlib_long_ones_keep_it() -> None:
    """Short JSON is signed as is; long JSON that zlib shortens is compressed and marked."""
    cheap = CheapURLSafeSerializer(SECRET, salt="s")
    short = cheap.dumps(SHORT)
    assert not short.startswith(".")
    assert base64_decode(short.split(".")[0]).startswith(b"{")
    long = cheap.dumps(LONG)
    assert len(str(LONG)) > SMALL_PAYLOAD
    assert long.startswith(".")
    assert zlib.decompress(base64_decode(long[1:].split(".")[0])).startswith(b"{")


def test_tampered_other_key_other_salt_and_old_tokens_refused() -> None:
    """Every check of itsdangerous still holds: signature, key, salt and age."""
    cheap = CheapURLSafeTimedSerializer(SECRET, salt="t")
    token = cheap.dumps(SHORT)
    payload, stamp, sig = token.split(".")
    forged = f"{payload[:-2]}AA.{stamp}.{sig}"
    with pytest.raises(BadSignature):
        cheap.loads(forged)
    with pytest.raises(BadSignature):
        CheapURLSafeTimedSerializer(SECRET + "other", salt="t").loads(token)
    with pytest.raises(BadSignature):
        CheapURLSafeTimedSerializer(SECRET, salt="other").loads(token)
    assert cheap.loads(token, max_age=60) == SHORT
    with pytest.raises(SignatureExpired):
        cheap.loads(token, max_age=-1)


def test_one_call_hmac_matches_hmac_module() -> None:
    """``hmac.digest`` gives the bytes ``hmac.new`` gives, for any digest."""
    for digest in (hashlib.sha1, hashlib.sha256, hashlib.md5):
        algorithm = OneCallHMAC(digest)
        stock = HMACAlgorithm(digest)
        assert algorithm.get_signature(b"key", b"value") == stock.get_signature(b"key", b"value")


def test_session_cookie_is_flasks(app: Flask) -> None:
    """The session interface signs cookies Flask's own interface reads, and the reverse;
    one serializer per set of keys, a new one when the key changes."""
    ours, stock = SchemeSessionInterface(), SecureCookieSessionInterface()
    data = {"report_client": "abc", "_flashes": [("message", "Hi")]}
    mine, flasks = ours.get_signing_serializer(app), stock.get_signing_serializer(app)
    assert mine is not None and flasks is not None
    assert flasks.loads(mine.dumps(data)) == data  # tuples survive (tagged JSON)
    assert mine.loads(flasks.dumps(data)) == data
    assert ours.get_signing_serializer(app) is mine
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "rotated-" + "y" * 40
    rotated = ours.get_signing_serializer(app)
    assert rotated is not None and rotated is not mine
    assert rotated.loads(mine.dumps(data)) == data  # the old key still reads
    with pytest.raises(BadSignature):
        mine.loads(rotated.dumps(data))


def test_signers_are_kept_with_their_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """One signer per salt, its key derived once, its HMAC in one call."""
    derived: list[Any] = []
    original = Signer.derive_key

    def counting(self: Signer, secret_key: str | bytes | None = None) -> bytes:
        derived.append(secret_key)
        return original(self, secret_key)

    monkeypatch.setattr(Signer, "derive_key", counting)
    for cheap in (CheapURLSafeSerializer(SECRET), CheapURLSafeTimedSerializer(SECRET)):
        derived.clear()
        signer = cheap.make_signer()
        assert isinstance(signer, KeptKeySigner | KeptKeyTimestampSigner)
        assert isinstance(signer.algorithm, OneCallHMAC)
        assert cheap.make_signer() is signer
        for _ in range(3):
            assert cheap.loads(cheap.dumps(SHORT)) == SHORT
        assert len(derived) <= 2  # signing (None) and checking (the key itself)


@pytest.mark.parametrize(
    "value",
    [
        {"report_client": "abc", "lang": "fr"},
        {"lookup": {"slug": "s", "postal_code": "K1A 0A6", "ridings": [35100], "shares": [None]}},
        {"ref": {"slug": "s", "code": "é", "src": ""}, "n": 1.5, "ok": True},
        {"_flashes": [("message", "Hi")]},
        {"m": Markup("<b>x</b>")},
        {"d": datetime(2026, 3, 11, tzinfo=UTC)},
        {"b": b"raw"},
        {" t": ["looks", "like", "a", "tag"]},
        {"x": {" di": {"a": 1}}},
    ],
)
def test_session_json_is_flasks(app: Flask, value: dict[str, Any]) -> None:
    """Plain sessions are written as Flask writes them; anything tagged is Flask's own;
    Flask's reader gives the same value back."""
    flasks = TaggedJSONSerializer()
    with app.app_context():
        text = PlainFirstTaggedJSON().dumps(value)
        assert text == flasks.dumps(value)
        assert flasks.loads(text) == value


@pytest.mark.parametrize("vary", [None, "Accept-Language"])
@pytest.mark.parametrize("permanent", [False, True])
def test_session_cookie_headers_are_flasks(app: Flask, vary: str | None, permanent: bool) -> None:
    """A written session gets the Set-Cookie (flags, expiry, value) and Vary Flask's
    interface gives it; an emptied one is deleted as Flask deletes it."""
    app.config["SESSION_COOKIE_SECURE"] = True
    ours, stock = SchemeSessionInterface(), SecureCookieSessionInterface()
    with app.test_request_context("/", base_url="https://example.org"):
        answers = []
        for interface in (ours, stock):
            session = SecureCookieSession({"report_client": "abc"})
            session.permanent = permanent
            response = Response("page")
            if vary:
                response.headers["Vary"] = vary
            interface.save_session(app, session, response)
            answers.append(response)
        mine, flasks = (r.headers for r in answers)
        assert mine.get("Vary") == flasks.get("Vary")
        assert "Cookie" in (mine.get("Vary") or "")
        cookie, flask_cookie = mine["Set-Cookie"], flasks["Set-Cookie"]
        for flag in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
            assert flag in cookie.split("; ")
        assert cookie.split("; ")[1:] == flask_cookie.split("; ")[1:] or permanent
        assert ("Expires=" in cookie) is permanent
        value = cookie.split(";")[0].partition("=")[2]
        serializer = stock.get_signing_serializer(app)
        expected = {"report_client": "abc", "_permanent": permanent}
        assert serializer is not None and serializer.loads(value) == expected
        emptied = SecureCookieSession({"report_client": "abc"})
        emptied.clear()
        for interface in (ours, stock):
            response = Response("page")
            interface.save_session(app, emptied, response)
            answers.append(response)
        assert answers[-2].headers.getlist("Set-Cookie") == answers[-1].headers.getlist(
            "Set-Cookie"
        )
