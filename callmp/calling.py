"""Click-to-call use cases: accept a request, place the call, follow it step by step.

Domain code: no Flask. Functions take the session and providers, flush but do not
commit; the caller commits once. The call's progress lives in the ``CallRequest`` row
(a state machine that only moves forward), and every target attempt is one
``ContactEvent`` row whose unique ``dedupe_key`` makes replayed webhooks harmless.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from callmp import phones
from callmp.i18n import N_
from callmp.models import BlockedPhone, CallRequest, CallStatus, Campaign
from callmp.models.calls import FINAL, RANK
from callmp.telephony import PlacedCall, Telephony, TelephonyError


@dataclass(frozen=True)
class CallSettings:
    """Limits and timings for click-to-call (from the app config)."""

    hmac_key: bytes
    allow_fictional: bool = False
    max_per_phone_per_hour: int = 3
    max_per_ip_per_hour: int = 20
    ring_timeout_s: int = 30  # how long the supporter's phone rings
    dial_timeout_s: int = 25  # how long an office's phone rings
    time_limit_s: int = 1200  # longest bridged conversation
    connected_after_s: int = 30  # a bridged call this long counts as "connected"
    max_attempts: int = 5


@dataclass
class CallRefused(Exception):
    """A call request we won't place; ``message`` is an untranslated msgid."""

    reason: str
    message: str
    status: int = 400


@dataclass(frozen=True)
class CallUrls:
    """Where the provider reaches us for one call (no phone number in any of them)."""

    answer: str
    status: str
    fallback: str


def _count_since(
    session: Session,
    column: InstrumentedAttribute[str],
    value: str,
    campaign_id: int,
    since: datetime,
) -> int:
    """How many requests for ``campaign_id`` share ``value`` in ``column`` since ``since``."""
    query = (
        select(func.count())
        .select_from(CallRequest)
        .where(
            column == value,
            CallRequest.campaign_id == campaign_id,
            CallRequest.created_at >= since,
        )
    )
    return int(session.scalar(query) or 0)


def request_call(
    session: Session,
    campaign: Campaign,
    *,
    phone_raw: str | None,
    fed_num: int | None,
    locale: str,
    referral: str,
    ip: str,
    settings: CallSettings,
    now: datetime,
) -> CallRequest:
    """Validate and store a "call me" request (status pending); raises PhoneError/CallRefused."""
    phone = phones.parse_supporter_phone(phone_raw, allow_fictional=settings.allow_fictional)
    phone_key = phones.phone_hmac(phone, settings.hmac_key)
    ip_key = phones.phone_hmac("ip:" + ip, settings.hmac_key) if ip else ""
    if session.get(BlockedPhone, phone_key) is not None:
        raise CallRefused("blocked", N_("This number asked not to be called. We won't call it."))
    hour_ago = now - timedelta(hours=1)
    if (
        _count_since(session, CallRequest.phone_hmac, phone_key, campaign.id, hour_ago)
        >= settings.max_per_phone_per_hour
    ):
        raise CallRefused(
            "phone_limit",
            N_(
                "We've already called this number several times in the last hour. "
                "Please try again later."
            ),
            status=429,
        )
    if ip_key and (
        _count_since(session, CallRequest.ip_hmac, ip_key, campaign.id, hour_ago)
        >= settings.max_per_ip_per_hour
    ):
        raise CallRefused(
            "ip_limit",
            N_("Too many calls were requested from this connection. Please try again later."),
            status=429,
        )
    call = CallRequest(
        public_id=secrets.token_urlsafe(16),
        campaign_id=campaign.id,
        fed_num=fed_num,
        locale=locale,
        referral=referral[:64],
        phone=phone,
        phone_hmac=phone_key,
        ip_hmac=ip_key,
        status=CallStatus.pending,
        created_at=now,
    )
    session.add(call)
    session.flush()
    return call


def advance(call: CallRequest, status: CallStatus) -> bool:
    """Move ``call`` to ``status`` if that is forward; late or repeated news changes nothing."""
    if call.status in FINAL or RANK[status] <= RANK[call.status]:
        return False
    call.status = status
    if status in FINAL:
        call.phone = None  # keep the number only as long as the call needs it
    return True


class RetryLater(Exception):
    """Placing failed in a way that may succeed later (the queue retries with backoff)."""


def place(
    session: Session,
    telephony: Telephony,
    call: CallRequest,
    *,
    from_number: str,
    urls: CallUrls,
    settings: CallSettings,
    now: datetime,
) -> PlacedCall | None:
    """Ask the provider to place ``call``; None when there is nothing (more) to do.

    Raises RetryLater for errors worth retrying. A retry first looks for a call the
    provider created although our request timed out, so a supporter is never rung twice.
    """
    if call.status in FINAL or call.provider_sid:
        return None
    if call.phone is None:
        advance(call, CallStatus.failed)
        call.error_reason = "no_phone"
        return None
    call.attempts += 1
    advance(call, CallStatus.placing)
    try:
        if call.attempts > 1:
            found = telephony.find_call(
                to=call.phone, from_=from_number, since=call.created_at - timedelta(minutes=1)
            )
            if found is not None:
                call.provider_sid = found.sid
                advance(call, CallStatus.ringing)
                return found
        placed = telephony.place_call(
            to=call.phone,
            from_=from_number,
            url=urls.answer,
            status_callback=urls.status,
            fallback_url=urls.fallback,
            ring_timeout=settings.ring_timeout_s,
        )
    except TelephonyError as error:
        if error.retryable and call.attempts < settings.max_attempts:
            raise RetryLater(error.reason) from error
        call.error_reason = error.reason
        advance(call, CallStatus.failed)
        return None
    call.provider_sid = placed.sid
    advance(call, CallStatus.ringing)
    return placed
