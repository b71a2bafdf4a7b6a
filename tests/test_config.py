"""Settings: environment coercion and failing fast when a chosen backend lacks one."""

from __future__ import annotations

import pytest

from callmp.config import ConfigError, load_config, telephony_backend

TWILIO = {
    "CALLMP_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "CALLMP_TWILIO_AUTH_TOKEN": "token",
    "CALLMP_PUBLIC_URL": "https://calls.example.org",
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
