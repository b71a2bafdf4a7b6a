"""Settings: environment coercion and failing fast when a chosen backend lacks one."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask

from callmp.config import ConfigError, load_config, telephony_backend

TWILIO = {
    "CALLMP_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "CALLMP_TWILIO_AUTH_TOKEN": "token",
    "CALLMP_PUBLIC_URL": "https://calls.example.org",
    "CALLMP_MAIL_BACKEND": "smtp",
    "CALLMP_SMTP_HOST": "mail.example.org",
}


def test_defaults_choose_local_telephony_and_the_sqlite_queue() -> None:
    config = load_config(environ={})
    assert telephony_backend(config) == "local"
    assert config["QUEUE"] == "sqlite"
    assert config["CALLS_PER_SECOND"] == 1.0


def test_an_account_sid_switches_auto_to_twilio_and_values_are_coerced() -> None:
    config = load_config(environ={**TWILIO, "CALLMP_CALLS_PER_SECOND": "0.5"})
    assert telephony_backend(config) == "twilio"
    assert config["CALLS_PER_SECOND"] == 0.5


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({**TWILIO, "CALLMP_PUBLIC_URL": ""}, "CALLMP_PUBLIC_URL"),
        ({**TWILIO, "CALLMP_TWILIO_AUTH_TOKEN": ""}, "CALLMP_TWILIO_AUTH_TOKEN"),
        ({"CALLMP_TELEPHONY": "twilio"}, "CALLMP_TWILIO_ACCOUNT_SID"),
        ({**TWILIO, "CALLMP_PUBLIC_URL": "calls.example.org"}, "CALLMP_PUBLIC_URL"),
        ({"CALLMP_TELEPHONY": "plivo"}, "CALLMP_TELEPHONY"),
        ({"CALLMP_QUEUE": "redis"}, "CALLMP_REDIS_URL"),
        ({"CALLMP_QUEUE": "rabbit"}, "CALLMP_QUEUE"),
        ({"CALLMP_CALLS_PER_SECOND": "0"}, "CALLMP_CALLS_PER_SECOND"),
    ],
)
def test_a_backend_missing_a_setting_refuses_to_start(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_config(environ=environ)


LOCAL_MAIL = {"CALLMP_MAIL_BACKEND": "local"}


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({**TWILIO, **LOCAL_MAIL}, "CALLMP_TELEPHONY"),
        (
            {**TWILIO, **LOCAL_MAIL, "CALLMP_PUBLIC_URL": "http://127.0.0.1:5000"},
            "CALLMP_TELEPHONY",
        ),
        ({"CALLMP_PUBLIC_URL": "https://calls.example.org"}, "CALLMP_PUBLIC_URL"),
        ({"CALLMP_PUBLIC_URL": "http://192.168.1.20:5000"}, "CALLMP_PUBLIC_URL"),
        ({"CALLMP_PUBLIC_URL": "http://127.0.0.1.nip.io:5000"}, "CALLMP_PUBLIC_URL"),
    ],
)
def test_local_mail_with_real_calls_or_a_public_url_refuses_to_start(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named) as refused:
        load_config(environ=environ)
    assert "CALLMP_MAIL_BACKEND" in str(refused.value)
    assert "CALLMP_ALLOW_LOCAL_MAIL" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    ["", "http://127.0.0.1:5000", "http://localhost:8000", "http://[::1]:5000", "http://127.0.0.2"],
)
def test_local_mail_on_a_loopback_url_starts(url: str) -> None:
    config = load_config(environ={"CALLMP_PUBLIC_URL": url})
    assert config["MAIL_BACKEND"] == "local"


def test_local_mail_with_real_calls_starts_when_allowed_and_warns_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="callmp.config"):
        config = load_config(environ={**TWILIO, **LOCAL_MAIL, "CALLMP_ALLOW_LOCAL_MAIL": "1"})
    assert telephony_backend(config) == "twilio"
    (warning,) = [r for r in caplog.records if r.name == "callmp.config"]
    assert warning.levelno == logging.WARNING
    assert "CALLMP_MAIL_BACKEND" in warning.getMessage()


def test_the_app_refuses_to_start_with_local_mail_and_a_public_url(
    make_app: Callable[..., Flask],
) -> None:
    with pytest.raises(ConfigError, match="CALLMP_PUBLIC_URL"):
        make_app(PUBLIC_URL="https://calls.example.org")


PRODUCTION_NAMES = ("CALLMP_SECRET_KEY", "CALLMP_RATELIMIT_STORAGE_URI", "CALLMP_PUBLIC_URL")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"TELEPHONY": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32}, "Twilio telephony"),
        ({"MAIL_BACKEND": "smtp", "SMTP_HOST": "mail.example.org"}, "SMTP mail"),
        ({"QUEUE": "redis", "REDIS_URL": "redis://127.0.0.1:6379/0"}, "a Redis queue"),
        ({}, "a public CALLMP_PUBLIC_URL"),
    ],
)
def test_a_production_app_without_its_settings_names_each_one(
    make_app: Callable[..., Flask], overrides: dict[str, object], reason: str
) -> None:
    settings = {
        "TESTING": False,
        "SECRET_KEY": None,
        "TWILIO_AUTH_TOKEN": "token",
        "PUBLIC_URL": "http://calls.example.org",
        "ALLOW_LOCAL_MAIL": True,
        **overrides,
    }
    with pytest.raises(ConfigError) as refused:
        make_app(**settings)
    message = str(refused.value)
    assert reason in message
    assert [name for name in PRODUCTION_NAMES if name in message] == list(PRODUCTION_NAMES)
    assert "HMAC" in message and "redis://" in message and "https://" in message


def test_a_production_app_with_its_settings_starts(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        TESTING=False,
        PUBLIC_URL="https://calls.example.org",
        MAIL_BACKEND="smtp",
        SMTP_HOST="mail.example.org",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
    )
    assert app.config["SECRET_KEY"] == "test-secret"


def test_one_missing_production_setting_is_the_only_one_named(
    make_app: Callable[..., Flask],
) -> None:
    with pytest.raises(ConfigError) as refused:
        make_app(
            TESTING=False,
            PUBLIC_URL="https://calls.example.org",
            MAIL_BACKEND="smtp",
            SMTP_HOST="mail.example.org",
        )
    message = str(refused.value)
    assert "CALLMP_RATELIMIT_STORAGE_URI" in message
    assert "CALLMP_SECRET_KEY" not in message and "CALLMP_PUBLIC_URL is" not in message


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"PUBLIC_URL": "http://127.0.0.1:5000", "SECRET_KEY": None},
        {
            "TELEPHONY": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "token",
            "PUBLIC_URL": "http://127.0.0.1:5000",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            "ALLOW_LOCAL_MAIL": True,
        },
    ],
)
def test_demo_settings_start_without_the_production_ones(
    make_app: Callable[..., Flask], overrides: dict[str, object]
) -> None:
    app = make_app(TESTING=False, **overrides)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_a_config_passed_back_in_remembers_its_key_was_made_up() -> None:
    first = load_config(environ={})
    assert load_config(first, environ={})["SECRET_KEY_GENERATED"] is True
    assert load_config({"SECRET_KEY": "set"}, environ={})["SECRET_KEY_GENERATED"] is False
