"""Call request use cases against a real database and the Twilio SDK on a loopback stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from callmp.calls import call_requests
from callmp.calls.telephony import PlacedCall, Telephony, TwilioTelephony
from callmp.db import analyze
from callmp.directory import phones
from callmp.models import BlockedPhone, CallRequest, CallStatus, Campaign
from tests.factories import make_campaign, make_target
from tests.support.query_plans import full_scans, indexes_used, plans_of
from tests.support.twilio_standin import TwilioStandIn, error_reply, server_error, slow_reply

KEY = b"test-hmac-key"
SETTINGS = call_requests.CallSettings(hmac_key=KEY, allow_fictional=True, max_attempts=3)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
URLS = call_requests.CallUrls(
    answer="https://callmp.example/twilio/voice/x/answer",
    status="https://callmp.example/twilio/voice/x/status",
    fallback="https://callmp.example/twilio/voice/fallback",
)
CAMPAIGN_NUMBER = "+16135550199"


@pytest.fixture
def twilio(standin: TwilioStandIn) -> Iterator[TwilioTelephony]:
    telephony = TwilioTelephony(
        standin.account_sid, standin.auth_token, api_base_url=standin.base_url, timeout=0.5
    )
    yield telephony
    telephony.close()


def _request(
    db_session: Session,
    campaign: Campaign,
    phone: str = "613-555-0142",
    ip: str = "192.0.2.1",
    now: datetime = NOW,
    settings: call_requests.CallSettings = SETTINGS,
) -> CallRequest:
    ask = call_requests.CallAsk(
        campaign=campaign,
        phone_raw=phone,
        fed_num=35100,
        locale="fr",
        referral="partner-a",
        ip=ip,
    )
    call, _stops = call_requests.request_call(db_session, ask, settings=settings, now=now)
    return call


@pytest.fixture
def other_campaign(db_session: Session) -> Campaign:
    """A second campaign that calls the supporter's own MP."""
    campaign = make_campaign(db_session)
    make_target(db_session, campaign)
    return campaign


def _place(
    db_session: Session, telephony: Telephony, call: CallRequest, now: datetime = NOW
) -> PlacedCall | None:
    """What a queue worker does at ``now``: claim the request (committed), then place it."""
    db_session.commit()
    claimed = call_requests.claim(db_session, call.id, now)
    db_session.commit()
    if claimed is None:
        return None
    assert claimed is call  # the session's identity map: the same object, refreshed
    return call_requests.place(
        db_session,
        telephony,
        call,
        from_number=CAMPAIGN_NUMBER,
        urls=URLS,
        settings=SETTINGS,
        now=now,
    )


def test_request_is_stored_pending_with_e164_and_hmacs(
    db_session: Session, campaign: Campaign
) -> None:
    call = _request(db_session, campaign)
    db_session.commit()
    assert call.status == CallStatus.pending
    assert call.phone == "+16135550142"
    assert call.phone_hmac == phones.phone_hmac("+16135550142", KEY)
    assert "6135550142" not in call.ip_hmac
    assert len(call.public_id) >= 20
    assert "6135550142" not in call.public_id


def test_phone_limit_per_hour_refuses_with_429(db_session: Session, campaign: Campaign) -> None:
    for minute in range(SETTINGS.max_per_phone_per_hour):
        _request(db_session, campaign, ip=f"192.0.2.{minute}", now=NOW + timedelta(minutes=minute))
    with pytest.raises(call_requests.CallRefused) as refused:
        _request(db_session, campaign, ip="198.51.100.7", now=NOW + timedelta(minutes=30))
    assert refused.value.reason == "phone_limit"
    assert refused.value.status == 429
    # An hour later the number may be called again.
    later = _request(db_session, campaign, ip="198.51.100.7", now=NOW + timedelta(minutes=61))
    assert later.status == CallStatus.pending


def test_phone_limit_holds_across_campaigns(
    db_session: Session, campaign: Campaign, other_campaign: Campaign
) -> None:
    for minute in range(SETTINGS.max_per_phone_per_hour):
        either = (campaign, other_campaign)[minute % 2]
        _request(db_session, either, ip=f"192.0.2.{minute}", now=NOW + timedelta(minutes=minute))
    for target in (campaign, other_campaign):
        with pytest.raises(call_requests.CallRefused) as refused:
            _request(db_session, target, ip="198.51.100.7", now=NOW + timedelta(minutes=30))
        assert (refused.value.reason, refused.value.status) == ("phone_limit", 429)


def test_ip_limit_holds_across_campaigns(
    db_session: Session, campaign: Campaign, other_campaign: Campaign
) -> None:
    settings = replace(SETTINGS, max_per_ip_per_hour=2)
    _request(db_session, campaign, "613-555-0141", settings=settings)
    _request(db_session, other_campaign, "613-555-0142", settings=settings)
    with pytest.raises(call_requests.CallRefused) as refused:
        _request(db_session, other_campaign, "613-555-0143", settings=settings)
    assert (refused.value.reason, refused.value.status) == ("ip_limit", 429)


def test_daily_cap_per_number_holds_across_campaigns_and_hours(
    db_session: Session, campaign: Campaign, other_campaign: Campaign
) -> None:
    assert SETTINGS.max_per_phone_per_day == 5
    for hour in range(5):  # one an hour: the hourly limit never bites
        either = (campaign, other_campaign)[hour % 2]
        _request(db_session, either, ip=f"192.0.2.{hour}", now=NOW + timedelta(hours=hour))
    with pytest.raises(call_requests.CallRefused) as refused:
        _request(db_session, campaign, ip="198.51.100.7", now=NOW + timedelta(hours=23))
    assert (refused.value.reason, refused.value.status) == ("phone_daily_limit", 429)
    assert "one day" in refused.value.message
    # A day after the first call, one more is allowed.
    later = _request(
        db_session, campaign, ip="198.51.100.7", now=NOW + timedelta(hours=24, minutes=1)
    )
    assert later.status == CallStatus.pending


def test_blocked_number_is_refused(db_session: Session, campaign: Campaign) -> None:
    db_session.add(BlockedPhone(phone_hmac=phones.phone_hmac("+16135550142", KEY)))
    db_session.flush()
    with pytest.raises(call_requests.CallRefused) as refused:
        _request(db_session, campaign)
    assert refused.value.reason == "blocked"
    assert db_session.scalar(select(func.count()).select_from(CallRequest)) == 0


def test_place_creates_the_call_with_our_urls_and_no_phone_in_them(
    db_session: Session, campaign: Campaign, standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    call = _request(db_session, campaign)
    placed = _place(db_session, twilio, call)
    assert placed is not None
    assert call.provider_sid == placed.sid
    assert call.status == CallStatus.ringing
    (created,) = [r for r in standin.requests if r.method == "POST"]
    assert created.params["To"] == ["+16135550142"]
    assert created.params["From"] == [CAMPAIGN_NUMBER]
    assert created.params["Url"] == [URLS.answer]
    for url in (URLS.answer, URLS.status, URLS.fallback):
        assert "555" not in url


def test_place_retries_server_errors_then_fails_and_forgets_the_number(
    db_session: Session, campaign: Campaign, standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    call = _request(db_session, campaign)
    standin.reply_next(server_error(), times=10)
    for _ in range(SETTINGS.max_attempts - 1):
        with pytest.raises(call_requests.RetryLater):
            _place(db_session, twilio, call)
    _place(db_session, twilio, call)
    assert call.status == CallStatus.failed
    assert call.error_reason == "server_error"
    assert call.phone is None


def test_place_does_not_retry_an_invalid_number(
    db_session: Session, campaign: Campaign, standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    call = _request(db_session, campaign)
    standin.reply_next(error_reply(21211, 400, "Invalid 'To' Phone Number"))
    assert _place(db_session, twilio, call) is None
    assert call.status == CallStatus.failed
    assert call.error_reason == "invalid_number"
    assert call.attempts == 1


def test_retry_after_a_timeout_finds_the_call_instead_of_ringing_twice(
    db_session: Session, campaign: Campaign, standin: TwilioStandIn, twilio: TwilioTelephony
) -> None:
    call = _request(db_session, campaign, now=datetime.now(UTC))
    standin.reply_next(slow_reply(1.5))
    with pytest.raises(call_requests.RetryLater):
        _place(db_session, twilio, call)
    assert standin.wait_idle()
    assert len(standin.call_sids()) == 1  # Twilio created it although we timed out
    assert call.retry_at == NOW + timedelta(seconds=SETTINGS.recheck_after_s)
    assert _place(db_session, twilio, call) is None  # still inside the creation window
    assert call.attempts == 1
    placed = _place(db_session, twilio, call, call.retry_at)
    assert placed is not None
    assert call.retry_at is None
    assert standin.call_sids() == [placed.sid]
    assert call.status == CallStatus.ringing


def test_status_only_moves_forward_and_final_states_purge_the_number(
    db_session: Session, campaign: Campaign
) -> None:
    call = _request(db_session, campaign)
    assert call_requests.advance(call, CallStatus.in_progress)
    assert not call_requests.advance(call, CallStatus.ringing)  # a late "ringing" changes nothing
    assert call.status == CallStatus.in_progress
    assert call_requests.advance(call, CallStatus.completed)
    assert call.phone is None
    assert not call_requests.advance(call, CallStatus.failed)
    assert str(call.status) == "completed"


def test_a_numbers_history_is_one_read_of_its_requests_of_the_day_through_its_index(
    db_session: Session, campaign: Campaign
) -> None:
    now = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    key = phones.phone_hmac("+16135550142", SETTINGS.hmac_key)
    for hours_ago in (0.5, 0.9, 3, 23, 25, 50):
        db_session.add(
            CallRequest(
                public_id=f"h{hours_ago}".replace(".", "-"),
                campaign_id=campaign.id,
                phone_hmac=key,
                created_at=now - timedelta(hours=hours_ago),
            )
        )
    # Other numbers' requests, enough for either planner to prefer the index, then ANALYZE.
    db_session.execute(
        insert(CallRequest),
        [
            {
                "public_id": f"o{n}",
                "campaign_id": campaign.id,
                "phone_hmac": f"other-{n}",
                "created_at": now - timedelta(minutes=n % 2000),
            }
            for n in range(4000)
        ],
    )
    analyze(db_session)
    plans = plans_of(db_session, lambda: call_requests.phone_history(db_session, key, now))
    assert call_requests.phone_history(db_session, key, now) == call_requests.PhoneHistory(
        blocked=False, last_hour=2, last_day=4
    )
    assert len(plans) == 1
    assert "ix_call_requests_phone_hmac_created_at" in indexes_used(plans), plans[0]
    assert full_scans(plans, {"call_requests"}) == []
    db_session.add(BlockedPhone(phone_hmac=key))  # not flushed: still seen
    assert call_requests.phone_history(db_session, key, now).blocked
    nobody = call_requests.phone_history(db_session, "unknown", now)
    assert nobody == call_requests.PhoneHistory(blocked=False, last_hour=0, last_day=0)
