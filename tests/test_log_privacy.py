"""No phone number, email address or postal code in any log line, even from a database error.

The flow tests make the database refuse a supporter's letter or call with a trigger (a real
database error, on SQLite and PostgreSQL) and read everything logged: pytest's capture and
a stream handler of our own on the root logger, added after the app was built.
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from callmp import log_privacy
from callmp.demo import DEMO_SLUG
from callmp.log_privacy import PrivacyFilter, scrub
from tests.support.app import engine

NAME = "Camille Tremblay"
EMAIL = "camille.tremblay@example.org"
PHONE = "613-555-0142"
PHONE_E164 = "+16135550142"
POSTAL_CODE = "K2P 1L4"
#: Every form a value could take in a log line.
SECRETS = [NAME, EMAIL, "camille.tremblay", PHONE, PHONE_E164, "6135550142", "5550142"]
SECRETS += [POSTAL_CODE, POSTAL_CODE.replace(" ", ""), "K2P"]


# -- The filter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("call to +16135550142 failed", "call to [phone] failed"),
        ("+442071838750 and +33 1 are", "[phone] and +33 1 are"),
        ("(613) 555-0142, 613.555.0142, 1-613-555-0142", "[phone], [phone], [phone]"),
        ("params ('+16135550142', 'a.b+c@example.org')", "params ('[phone]', '[email]')"),
        ("Jane <jane.doe@mail.example.ca> wrote", "Jane <[email]> wrote"),
        (
            "postal K2P 1L4, k2p1l4 and M5V-3L9",
            "postal [postal code], [postal code] and [postal code]",
        ),
        (
            "mail <1741201207.42.7@forets.example.org> sent",
            "mail <1741201207.42.7@forets.example.org> sent",
        ),
        (
            "call CA0123456789abcdef0123456789abcdef id 42 at 2026-11-25",
            "call CA0123456789abcdef0123456789abcdef id 42 at 2026-11-25",
        ),
        ("took 1764097200 ms, riding 35100", "took 1764097200 ms, riding 35100"),
    ],
)
def test_scrub_replaces_phones_emails_and_postal_codes_only(raw: str, expected: str) -> None:
    assert scrub(raw) == expected


def _near_misses() -> list[str]:
    """Strings around the shortcuts' edges: digits of every length, tokens, other scripts."""
    found = ["6135550142", "16135550142", "K2P1L4", "k2p1l4", "x" * 40, "0" * 12]
    for length in range(1, 20):
        found += ["6" * length, "1" + "6" * (length - 1), "K2P1L4"[: length % 7] + "9" * length]
        found += [
            f"a{'6' * length}",
            f"{'6' * length}Z",
            f"+{'6' * length}",
            f"{'6' * length}@x.ca",
        ]
    found += ["\u0666\u0661\u0663\u0665\u0665\u0665\u0660\u0661\u0664\u0662"]  # Arabic-Indic
    found += ["\uff16\uff11\uff13 555 0142", "K\uff12P 1L4", "no digit, no at sign"]
    found += [f"{token} 6135550142" for token in ("a1b2c3d4e5f6a7b8", "deadbeef" * 4)]
    return found


@pytest.mark.parametrize("raw", _near_misses())
def test_scrub_shortcuts_agree_with_the_patterns(raw: str) -> None:
    """The early returns (no digit or ``@``; a long ASCII token) change no result."""
    assert scrub(raw) == log_privacy._scrub_all(raw)


def test_a_long_token_of_letters_and_digits_holds_no_match() -> None:
    """Request ids and hex tokens skip the patterns: the reason holds for every such token."""
    import random

    rng = random.Random(16)
    alphabet = "0123456789" * 6 + "ABCEGHJKLMNPRSTVXYZabcdef"
    for _ in range(3000):
        length = rng.randint(log_privacy.TOKEN_LENGTH, 24)
        token = "".join(rng.choice(alphabet) for _ in range(length))
        assert log_privacy._scrub_all(token) == token
        assert scrub(f"({token})") == f"({token})"


def test_only_texts_with_nothing_personal_are_kept_and_then_not_searched_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    searched: list[str] = []
    search = log_privacy._scrub_all

    def counted(raw: str) -> str:
        searched.append(raw)
        return search(raw)

    monkeypatch.setattr(log_privacy, "_scrub_all", counted)
    monkeypatch.setattr(log_privacy, "_CLEAN", {})
    path = "GET /c/status-for-all/riding/35100 200"
    personal = "call 613-555-0142 from K1A 0B1, mail ann@example.org"
    for _ in range(3):
        assert scrub(path) == path
        assert scrub(personal) == "call [phone] from [postal code], mail [email]"
    assert searched == [path, personal, personal, personal]
    assert list(log_privacy._CLEAN) == [path]
    # Bounded: long texts are searched each time, and the kept ones start again when full.
    long_text = "x1 " * log_privacy.CLEAN_LENGTH
    assert scrub(long_text) == long_text and long_text not in log_privacy._CLEAN
    monkeypatch.setattr(log_privacy, "CLEAN_TEXTS", 3)
    log_privacy._CLEAN.clear()
    for number in range(5):
        scrub(f"page {number}")
    assert list(log_privacy._CLEAN) == ["page 3", "page 4"]


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    """A record as a logger makes it, with the exception being handled when ``exc``."""
    exc_info = sys.exc_info() if exc else None
    return logging.LogRecord("x", logging.ERROR, __file__, 1, message, args, exc_info)


def test_the_filter_scrubs_message_arguments_and_traceback() -> None:
    try:
        raise ValueError(f"bad row ({PHONE_E164!r}, {EMAIL!r}, {POSTAL_CODE!r})")
    except ValueError:
        record = _record("insert for %s at %s failed", EMAIL, PHONE, exc=True)
    assert PrivacyFilter().filter(record) is True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.handle(record)
    written = stream.getvalue()
    assert "insert for [email] at [phone] failed" in written
    assert "ValueError: bad row ('[phone]', '[email]', '[postal code]')" in written
    for secret in (EMAIL, PHONE, PHONE_E164, POSTAL_CODE):
        assert secret not in written
        assert secret not in record.getMessage() + (record.exc_text or "")
    assert record.exc_info is None  # the exception itself, which holds them, is dropped


# -- Database errors in real flows ------------------------------------------------------------


def _refuse_inserts(app: Flask, table: str) -> None:
    """Make the database raise an error on every insert into ``table``."""
    with engine(app).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'insert refused for the test'; END $$"
                )
            )
            connection.execute(
                text(
                    f"CREATE TRIGGER refuse_insert BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
                )
            )
        else:
            connection.execute(
                text(
                    f"CREATE TRIGGER refuse_insert BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'insert refused for the test'); END"
                )
            )


@pytest.fixture
def root_stream() -> Iterator[io.StringIO]:
    """Everything logged to the root logger, through a handler added after the app."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    yield stream
    root.setLevel(level)
    root.removeHandler(handler)


def _assert_clean(logged: str) -> None:
    """Nothing personal in ``logged``."""
    for secret in SECRETS:
        assert secret not in logged, secret
    assert not re.search(r"\d{3}\D{0,3}\d{4}", logged.replace("35100", "")), logged


@pytest.mark.parametrize(
    ("table", "url", "body"),
    [
        (
            "email_submissions",
            f"/api/v1/campaigns/{DEMO_SLUG}/emails",
            {"name": NAME, "email": EMAIL, "postal_code": POSTAL_CODE, "city": "Ottawa"},
        ),
        (
            "call_requests",
            f"/api/v1/campaigns/{DEMO_SLUG}/calls",
            {"phone": PHONE, "postal_code": POSTAL_CODE},
        ),
    ],
)
def test_a_database_error_logs_no_phone_email_name_or_postal_code(
    make_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
    root_stream: io.StringIO,
    table: str,
    url: str,
    body: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(LOG_LEVEL="DEBUG")
    _refuse_inserts(app, table)
    response = app.test_client().post(url, json=body)
    assert response.status_code >= 500
    logged = root_stream.getvalue()
    assert "insert refused for the test" in logged  # the error and its traceback were logged
    assert "Traceback" in logged
    captured = caplog.text + "".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "insert refused for the test" in captured
    _assert_clean(logged)
    _assert_clean(captured)


def test_engine_errors_hide_their_parameters(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    _refuse_inserts(app, "email_submissions")
    with engine(app).connect() as connection, pytest.raises(Exception) as caught:
        connection.execute(
            text("INSERT INTO email_submissions (name, email) VALUES (:name, :email)"),
            {"name": NAME, "email": EMAIL},
        )
    assert NAME not in str(caught.value) and EMAIL not in str(caught.value)
    assert "hidden" in str(caught.value)


def test_install_is_idempotent() -> None:
    log_privacy.install()
    factory = logging.getLogRecordFactory()
    log_privacy.install()
    assert logging.getLogRecordFactory() is factory
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, PrivacyFilter) for f in handler.filters) <= 1
