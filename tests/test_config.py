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
