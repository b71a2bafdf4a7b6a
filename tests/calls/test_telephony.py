"""Telephony: the real Twilio SDK against a loopback stand-in, and the local implementation."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from callmp.calls.telephony import (
    USER_MESSAGES,
    LocalTelephony,
    Telephony,
    TelephonyError,
    TwilioTelephony,
)
from tests.support.twilio_standin import (
    API,
    Canned,
    TwilioStandIn,
    error_reply,
    rate_limited,
    server_error,
    slow_reply,
)

SUPPORTER = "+16135550142"  # 555-01xx: fictional
CAMPAIGN = "+16135550199"
OTHER = "+16135550117"
ANSWER_URL = "https://callmp.example/twilio/answer/42"
STATUS_URL = "https://callmp.example/twilio/status/42"
FALLBACK_URL = "https://callmp.example/twilio/fallback"


def make_twilio(
    standin: TwilioStandIn, *, timeout: float = 5.0, token: str = ""
) -> TwilioTelephony:
    """A TwilioTelephony pointed at ``standin``."""
    return TwilioTelephony(
        standin.account_sid,
        token or standin.auth_token,
        api_base_url=standin.base_url,
        timeout=timeout,
    )


@pytest.fixture
def twilio(standin: TwilioStandIn) -> Iterator[TwilioTelephony]:
    """The real SDK, talking to the stand-in."""
    telephony = make_twilio(standin)
    yield telephony
    telephony.close()


def place(telephony: Telephony, to: str = SUPPORTER) -> str:
    """Place a call with the usual URLs; returns its sid."""
    return telephony.place_call(
        to=to,
        from_=CAMPAIGN,
        url=ANSWER_URL,
        status_callback=STATUS_URL,
        fallback_url=FALLBACK_URL,
        ring_timeout=25,
    ).sid


def place_error(telephony: Telephony) -> TelephonyError:
    """The TelephonyError that placing a call raises."""
    with pytest.raises(TelephonyError) as caught:
        place(telephony)
    return caught.value


def assert_no_number(text: str, number: str = SUPPORTER) -> None:
    """Neither the number's last seven digits nor its national digits appear in ``text``."""
    digits = re.sub(r"\D", "", number)
    compact = re.sub(r"[\s().-]", "", text)  # catches 613-555-0142 and (613) 555 0142 too
    for part in (digits[-7:], digits[-10:]):
        assert part not in compact, f"the phone number leaked: {text!r}"


def test_place_call_sends_twilio_parameters_and_auth(
    standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    placed = twilio.place_call(
        to=SUPPORTER,
        from_=CAMPAIGN,
        url=ANSWER_URL,
        status_callback=STATUS_URL,
        fallback_url=FALLBACK_URL,
        ring_timeout=25,
    )

    [request] = standin.requests
    assert (request.method, request.path) == (
        "POST",
        f"{API}/Accounts/{standin.account_sid}/Calls.json",
    )
    assert request.auth_user == standin.account_sid
    assert request.params == {
        "To": [SUPPORTER],
        "From": [CAMPAIGN],
        "Url": [ANSWER_URL],
        "Method": ["POST"],
        "FallbackUrl": [FALLBACK_URL],
        "FallbackMethod": ["POST"],
        "StatusCallback": [STATUS_URL],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "StatusCallbackMethod": ["POST"],
        "Timeout": ["25"],
    }
    assert re.fullmatch(r"CA[0-9a-f]{32}", placed.sid)
    assert placed.status == "queued"
    assert standin.call(placed.sid)["to"] == SUPPORTER


@pytest.mark.parametrize(
    ("reply", "code", "http_status", "reason", "retryable"),
    [
        (
            error_reply(21211, message="The 'To' number +16135550142 is not valid."),
            21211,
            400,
            "invalid_number",
            False,
        ),
        (error_reply(13224), 13224, 400, "invalid_number", False),
        (error_reply(21214), 21214, 400, "unreachable", False),
        (error_reply(21215), 21215, 400, "geo_permission", False),
        (error_reply(13227), 13227, 400, "geo_permission", False),
        (rate_limited(), 20429, 429, "rate_limited", True),
        (
            Canned(status=429, body="Too Many Requests", content_type="text/plain"),
            None,
            429,
            "rate_limited",
            True,
        ),
        (server_error(), None, 500, "server_error", True),
        (server_error(json_body=True), 20500, 500, "server_error", True),
        (error_reply(21210), 21210, 400, "other", False),
    ],
)
def test_twilio_errors_map_to_telephony_errors(
    standin: TwilioStandIn,
    twilio: TwilioTelephony,
    reply: Canned,
    code: int | None,
    http_status: int,
    reason: str,
    retryable: bool,
) -> None:
    standin.reply_next(reply)

    error = place_error(twilio)

    assert (error.code, error.http_status, error.reason, error.retryable) == (
        code,
        http_status,
        reason,
        retryable,
    )
    assert error.user_message == USER_MESSAGES[error.reason]


def test_invalid_number_tells_the_supporter_to_check_it(
    standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    standin.reply_next(error_reply(21211, message="The 'To' number +16135550142 is not valid."))

    error = place_error(twilio)

    assert error.user_message == "We couldn't call that number. Please check it and try again."
    # Twilio's message quotes the number: it must not reach a log through the exception.
    assert_no_number(str(error))
    assert_no_number(repr(error))
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_geo_permission_says_we_cannot_call_that_region(
    standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    standin.reply_next(error_reply(21215))

    error = place_error(twilio)

    assert "can't call that number or region" in error.user_message
    assert not error.retryable


def test_wrong_auth_token_is_refused_and_not_retryable(standin: TwilioStandIn) -> None:
    telephony = make_twilio(standin, token="wrong-token")
    try:
        error = place_error(telephony)
    finally:
        telephony.close()

    assert (error.code, error.http_status, error.reason, error.retryable) == (
        20003,
        401,
        "other",
        False,
    )
    assert standin.requests[0].auth_user == standin.account_sid
    assert standin.call_sids() == []


def test_slow_reply_raises_retryable_timeout(standin: TwilioStandIn) -> None:
    telephony = make_twilio(standin, timeout=0.5)
    standin.reply_next(slow_reply(2.0))
    try:
        error = place_error(telephony)
    finally:
        telephony.close()

    assert (error.reason, error.retryable, error.code) == ("timeout", True, None)


def test_after_a_timed_out_create_find_call_finds_the_call(standin: TwilioStandIn) -> None:
    telephony = make_twilio(standin, timeout=0.5)
    since = datetime.now(UTC)
    standin.reply_next(slow_reply(2.0))
    try:
        assert place_error(telephony).reason == "timeout"
        assert standin.wait_idle()  # the stand-in still creates the call, late

        found = telephony.find_call(to=SUPPORTER, from_=CAMPAIGN, since=since)
    finally:
        telephony.close()

    [created] = standin.call_sids()
    assert found is not None
    assert (found.sid, found.status) == (created, "queued")


def test_unreachable_api_raises_retryable_connection_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    telephony = TwilioTelephony("AC" + "0" * 32, "token", api_base_url=f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(TelephonyError) as caught:
            telephony.find_call(to=SUPPORTER, from_=CAMPAIGN, since=datetime.now(UTC))
    finally:
        telephony.close()

    assert (caught.value.reason, caught.value.retryable) == ("connection", True)
    # requests' message names the URL, whose query holds the number.
    assert_no_number(str(caught.value))
    assert caught.value.__cause__ is None


def test_find_call_finds_newest_call_since_and_not_older_ones(
    standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    now = datetime.now(UTC)
    standin.add_call(to=SUPPORTER, from_=CAMPAIGN, created=now - timedelta(hours=1))
    standin.add_call(to=OTHER, from_=CAMPAIGN, created=now + timedelta(seconds=5))
    since = now - timedelta(minutes=1)

    assert twilio.find_call(to=SUPPORTER, from_=CAMPAIGN, since=since) is None

    first = place(twilio)
    newest = standin.add_call(
        to=SUPPORTER, from_=CAMPAIGN, created=now + timedelta(seconds=3), status="ringing"
    )
    found = twilio.find_call(to=SUPPORTER, from_=CAMPAIGN, since=since)

    assert found is not None
    assert (found.sid, found.status) == (newest, "ringing")
    assert first != newest
    lists = [r for r in standin.requests if r.method == "GET"]
    assert lists[-1].params["To"] == [SUPPORTER]
    assert lists[-1].params["From"] == [CAMPAIGN]
    assert lists[-1].auth_user == standin.account_sid


def test_find_call_finds_a_call_still_queued(
    standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    since = datetime.now(UTC)
    sid = place(twilio)

    found = twilio.find_call(to=SUPPORTER, from_=CAMPAIGN, since=since)

    assert standin.call(sid)["start_time"] is None  # as on Twilio while a call is queued
    assert found is not None
    assert found.sid == sid


def test_find_call_maps_a_rate_limited_list_page(
    standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    standin.reply_next(rate_limited())

    with pytest.raises(TelephonyError) as caught:
        twilio.find_call(to=SUPPORTER, from_=CAMPAIGN, since=datetime.now(UTC))

    assert (caught.value.reason, caught.value.code, caught.value.retryable) == (
        "rate_limited",
        20429,
        True,
    )


def test_find_call_refuses_a_naive_datetime(twilio: TwilioTelephony) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        twilio.find_call(to=SUPPORTER, from_=CAMPAIGN, since=datetime(2026, 1, 1))


def test_sdk_logs_carry_no_phone_number(
    standin: TwilioStandIn, twilio: TwilioTelephony, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    sid = place(twilio)
    twilio.find_call(to=SUPPORTER, from_=CAMPAIGN, since=datetime.now(UTC) - timedelta(minutes=1))
    twilio.hangup(sid)

    # urllib3's own DEBUG line shows the query (and so the number): the app keeps urllib3 at
    # INFO or above; here we check what our code and the SDK log.
    ours = [r for r in caplog.records if r.name.startswith(("callmp", "twilio"))]
    assert any("Calls.json" in r.getMessage() for r in ours)
    for record in ours:
        assert_no_number(record.getMessage())


def test_hangup_sends_status_completed(standin: TwilioStandIn, twilio: TwilioTelephony) -> None:
    sid = place(twilio)

    twilio.hangup(sid)

    request = standin.requests[-1]
    assert (request.method, request.path) == (
        "POST",
        f"{API}/Accounts/{standin.account_sid}/Calls/{sid}.json",
    )
    assert request.params == {"Status": ["completed"]}
    assert standin.call(sid)["status"] == "completed"


def test_hangup_of_an_unknown_call_is_not_found(twilio: TwilioTelephony) -> None:
    with pytest.raises(TelephonyError) as caught:
        twilio.hangup("CA" + "f" * 32)

    assert (caught.value.code, caught.value.http_status, caught.value.retryable) == (
        20404,
        404,
        False,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.twilio.com",
        "http://10.0.0.1:8080",
        "http://example.com",
        "http://127.0.0.1.example.com",
        "http://[::2]:8080",
        "ftp://127.0.0.1",
        "http://user:pw@127.0.0.1",
        "http://127.0.0.1:8080/prefix",
        "http://127.0.0.1:notaport",
    ],
)
def test_non_loopback_api_base_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        TwilioTelephony("AC" + "0" * 32, "token", api_base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:1", "http://[::1]:9"]
)
def test_loopback_api_base_url_is_accepted(url: str) -> None:
    TwilioTelephony("AC" + "0" * 32, "token", api_base_url=url).close()


def test_local_telephony_places_finds_and_hangs_up_without_logging_the_number(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    telephony: Telephony = LocalTelephony()
    since = datetime.now(UTC)

    placed = telephony.place_call(
        to=SUPPORTER,
        from_=CAMPAIGN,
        url=ANSWER_URL,
        status_callback=STATUS_URL,
        fallback_url=FALLBACK_URL,
        ring_timeout=25,
    )
    found = telephony.find_call(to=SUPPORTER, from_=CAMPAIGN, since=since)
    telephony.hangup(placed.sid)

    assert re.fullmatch(r"LOCAL[0-9a-f]{32}", placed.sid)
    assert placed.status == "queued"
    assert found == placed
    after = telephony.find_call(to=SUPPORTER, from_=CAMPAIGN, since=since)
    assert after is not None
    assert after.status == "completed"
    messages = [r.getMessage() for r in caplog.records]
    assert any(placed.sid in m and "would call" in m for m in messages)
    assert any(placed.sid in m and "hang up" in m for m in messages)
    for message in messages:
        assert_no_number(message)
        assert_no_number(message, CAMPAIGN)


def test_local_telephony_finds_only_matching_calls_since() -> None:
    telephony = LocalTelephony()
    before = datetime.now(UTC)
    sid = place(telephony)
    after = datetime.now(UTC) + timedelta(seconds=1)

    assert telephony.find_call(to=SUPPORTER, from_=CAMPAIGN, since=after) is None
    assert telephony.find_call(to=OTHER, from_=CAMPAIGN, since=before) is None
    assert telephony.find_call(to=SUPPORTER, from_=OTHER, since=before) is None
    found = telephony.find_call(to=SUPPORTER, from_=CAMPAIGN, since=before)
    assert found is not None
    assert found.sid == sid


def test_local_telephony_hangup_of_unknown_call_fails() -> None:
    with pytest.raises(TelephonyError) as caught:
        LocalTelephony().hangup("LOCAL" + "0" * 32)

    assert caught.value.code == 20404
