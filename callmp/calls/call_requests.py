"""Click-to-call use cases: accept a request, place the call, follow it step by step.

Domain code: no Flask. Functions take the session and providers, flush but do not
commit; the caller commits once. The call's progress lives in the ``CallRequest`` row
(a state machine that only moves forward), and every target attempt is one
``ContactEvent`` row whose unique ``dedupe_key`` makes replayed webhooks harmless.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from callmp.calls import flow_plan
from callmp.calls.plan import Stop, Translate, plan_for
from callmp.calls.telephony import PlacedCall, Telephony, TelephonyError
from callmp.db import lock_keys, rare
from callmp.directory import phones
from callmp.directory.lookup import Candidate
from callmp.i18n import N_, translator
from callmp.models import BlockedPhone, CallRequest, CallStatus, Campaign
from callmp.models.calls import FINAL, RANK

#: Statuses a request may still leave.
OPEN = tuple(status for status in CallStatus if status not in FINAL)


@dataclass(frozen=True)
class CallSettings:
    """Limits and timings for click-to-call (from the app config)."""

    hmac_key: bytes
    allow_fictional: bool = False
    # Limits count requests of every campaign: one number, one connection.
    max_per_phone_per_hour: int = 3
    max_per_phone_per_day: int = 5
    max_per_ip_per_hour: int = 20
    ring_timeout_s: int = 30  # how long the supporter's phone rings
    dial_timeout_s: int = 25  # how long an office's phone rings
    time_limit_s: int = 1200  # longest bridged conversation
    connected_after_s: int = 30  # a bridged call this long counts as "connected"
    max_attempts: int = 5
    # After a create that timed out, how long the provider may still take to create the
    # call: the retry waits this long, then looks for the call before creating another.
    recheck_after_s: int = 60


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


def count_since(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    """How many requests, of any campaign, share ``value`` in ``column`` since ``since``.

    Across campaigns: per-campaign limits let anyone ring one number three times an hour
    per campaign.
    """
    query = _counts.get(column.key)
    if query is None:
        query = _counts[column.key] = (
            select(func.count())
            .select_from(CallRequest)
            .where(column == bindparam("value"), CallRequest.created_at >= bindparam("since"))
        )
    return int(session.scalar(query, {"value": value, "since": since}) or 0)


#: ``count_since``'s statements by column, built once.
_counts: dict[str, Select[Any]] = {}


@dataclass(frozen=True)
class PhoneHistory:
    """What the limits ask of one number: blocked, and its requests of the last hour and day."""

    blocked: bool
    last_hour: int
    last_day: int


def _phone_history() -> Select[Any]:
    """``phone_history``'s one SELECT, with bound parameters (built once)."""
    phone = bindparam("phone", type_=String())
    blocked = exists().where(BlockedPhone.phone_hmac == phone)
    in_hour = case((CallRequest.created_at >= bindparam("hour_ago"), 1), else_=0)
    return (
        select(blocked, func.coalesce(func.sum(in_hour), 0), func.count())
        .select_from(CallRequest)
        .where(CallRequest.phone_hmac == phone, CallRequest.created_at >= bindparam("day_ago"))
    )


_PHONE_HISTORY = _phone_history()


def phone_history(session: Session, phone_key: str, now: datetime) -> PhoneHistory:
    """Whether number ``phone_key`` is blocked, and its requests (any campaign) in the last
    hour and day: one statement reading that number's requests of the day, through its index.
    """
    params = {
        "phone": phone_key,
        "hour_ago": now - timedelta(hours=1),
        "day_ago": now - timedelta(days=1),
    }
    # Through the session (not its connection): what it holds unflushed is counted too.
    blocked, last_hour, last_day = tuple(session.execute(_PHONE_HISTORY, params).one())
    return PhoneHistory(bool(blocked), int(last_hour or 0), int(last_day or 0))


@dataclass(frozen=True)
class CallAsk:
    """A supporter's "call me": the campaign, what they typed, and where they asked from."""

    campaign: Campaign
    phone_raw: str | None
    fed_num: int | None
    locale: str
    referral: str = ""
    share_source: str = ""  # a checked share channel (callmp.stats.share_sources), or ""
    ip: str = ""
    # The riding of ``fed_num`` with its member, when the view has loaded it already.
    riding: Candidate | None = None


def request_call(
    session: Session,
    ask: CallAsk,
    *,
    settings: CallSettings,
    now: datetime,
    translate: Translate | None = None,
    status: CallStatus = CallStatus.pending,
) -> tuple[CallRequest, list[Stop]]:
    """Check and store a "call me" request (``status``: pending), with the plan it will follow.

    Raises PhoneError or CallRefused with a message for the supporter. A target with no
    number is reported now (the returned plan shows it), before anything is dialled. The
    plan is stored in the request's row, in the same INSERT: its webhooks follow it.
    """
    if not ask.campaign.bridged_calls:
        raise CallRefused("no_bridged_calls", N_("This campaign does not place calls."))
    translate = translate or translator(ask.locale)
    stops = plan_for(
        session, ask.campaign, ask.fed_num, ask.locale, now, translate, candidate=ask.riding
    )
    if not any(stop.legs for stop in stops):
        raise CallRefused(
            "no_number",
            N_(
                "We have no phone number for anyone this campaign asks you to call. "
                "Please use another way to take part."
            ),
        )
    phone = phones.parse_supporter_phone(ask.phone_raw, allow_fictional=settings.allow_fictional)
    phone_key = phones.phone_hmac(phone, settings.hmac_key)
    ip_key = phones.phone_hmac("ip:" + ask.ip, settings.hmac_key) if ask.ip else ""
    # Requests for one number (or from one address) racing on two servers would both
    # count the same rows and both pass the limits: the second waits for the first here.
    lock_keys(session, "call-phone:" + phone_key, *(["call-ip:" + ip_key] if ip_key else []))
    hour_ago = now - timedelta(hours=1)
    history = phone_history(session, phone_key, now)
    if history.blocked:
        raise CallRefused("blocked", N_("This number asked not to be called. We won't call it."))
    if history.last_hour >= settings.max_per_phone_per_hour:
        raise CallRefused(
            "phone_limit",
            N_(
                "We've already called this number several times in the last hour. "
                "Please try again later."
            ),
            status=429,
        )
    if history.last_day >= settings.max_per_phone_per_day:
        raise CallRefused(
            "phone_daily_limit",
            N_(
                "We've already called this number as often as we do in one day. "
                "Please try again tomorrow."
            ),
            status=429,
        )
    if ip_key and (
        count_since(session, CallRequest.ip_hmac, ip_key, hour_ago) >= settings.max_per_ip_per_hour
    ):
        raise CallRefused(
            "ip_limit",
            N_("Too many calls were requested from this connection. Please try again later."),
            status=429,
        )
    call = CallRequest(
        public_id=secrets.token_urlsafe(16),
        campaign_id=ask.campaign.id,
        fed_num=ask.fed_num,
        locale=ask.locale,
        referral=ask.referral[:64],
        share_source=ask.share_source[:16],
        phone=phone,
        phone_hmac=phone_key,
        ip_hmac=ip_key,
        status=status,
        # Worked out from the stops above: no query; offices ordered as of ``now``.
        plan=flow_plan.dump(flow_plan.from_stops(ask.campaign, stops, ask.locale, translate)),
        created_at=now,
    )
    session.add(call)
    session.flush()
    return call, stops


def advance(call: CallRequest, status: CallStatus) -> bool:
    """Move ``call`` to ``status`` if that is forward; late or repeated news changes nothing."""
    if call.status in FINAL or RANK[status] <= RANK[call.status]:
        return False
    call.status = status
    if status in FINAL:
        call.phone = None  # keep the number only as long as the call needs it
    return True


class RetryLater(Exception):
    """Placing failed in a way that may succeed later (the queue retries with backoff).

    ``not_before`` is set when the provider may still be creating the call: the retry
    must not run before it.
    """

    def __init__(self, reason: str, not_before: datetime | None = None) -> None:
        super().__init__(reason)
        self.not_before = not_before


#: Errors after which the provider may have created the call although we never heard back.
UNCERTAIN = frozenset({"timeout", "connection"})


#: Requests a worker may take for placing.
CLAIMABLE = (CallStatus.pending, CallStatus.queued)


def _due(now: datetime) -> ColumnElement[bool]:
    """No creation window of an earlier, timed-out attempt is still open at ``now``."""
    return or_(CallRequest.retry_at.is_(None), CallRequest.retry_at <= now)


def mark_queued(session: Session, call_id: int) -> bool:
    """Move a pending request to ``queued``; False when it is already further along.

    One conditional UPDATE: a request a worker claimed meanwhile is never taken back.
    """
    marked = session.execute(
        update(CallRequest)
        .where(CallRequest.id == call_id, CallRequest.status == CallStatus.pending)
        .values(status=CallStatus.queued)
        .execution_options(synchronize_session=False)
    )
    return getattr(marked, "rowcount", 0) == 1


def claim(session: Session, call_id: int, now: datetime) -> CallRequest | None:
    """Take request ``call_id`` for placing, or None when another worker has it or it is done.

    One atomic UPDATE, so two workers (or a worker and the sweeper) never both place it.
    The attempt is counted here: commit before calling the provider, so that after a crash
    the next attempt knows to look for a call the provider may already have created.
    """
    taken = session.execute(
        update(CallRequest)
        .where(
            CallRequest.id == call_id,
            CallRequest.status.in_(CLAIMABLE),
            CallRequest.provider_sid.is_(None),
            _due(now),
        )
        .values(status=CallStatus.placing, attempts=CallRequest.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        return None
    call = session.get(CallRequest, call_id, populate_existing=True)
    return call


def claimable(session: Session, call_id: int) -> bool:
    """True when request ``call_id`` waits to be placed (a cheap check before the throttle)."""
    return due_at(session, call_id) is not None


def due_at(session: Session, call_id: int) -> datetime | None:
    """When request ``call_id`` may be placed (``datetime.min`` at once); None if never."""
    query = select(CallRequest.id, CallRequest.retry_at).where(
        CallRequest.id == call_id,
        CallRequest.status.in_(CLAIMABLE),
        CallRequest.provider_sid.is_(None),
    )
    row = session.execute(query).first()
    if row is None:
        return None
    return row.retry_at or datetime.min.replace(tzinfo=UTC)


def _owned(session: Session, sid: str) -> bool:
    """True when provider call ``sid`` already belongs to a request."""
    return session.scalar(select(CallRequest.id).where(CallRequest.provider_sid == sid)) is not None


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
    """Ask the provider to place a claimed ``call``; None when there is nothing (more) to do.

    Raises RetryLater for errors worth retrying (the request goes back to ``queued``). A
    retry first looks for a call the provider created although our request timed out, so
    a supporter is never rung twice. After a create that timed out, the provider may
    still be creating the call (a look-up then misses it): ``retry_at`` keeps every
    worker, duplicate job and the sweeper away until that window has passed.
    """
    if call.status != CallStatus.placing or call.provider_sid:
        return None
    if call.phone is None:
        call.error_reason = "no_phone"
        advance(call, CallStatus.failed)
        return None
    if not from_number:
        call.error_reason = "no_caller_id"
        advance(call, CallStatus.failed)
        return None
    creating = False
    try:
        if call.attempts > 1:
            found = telephony.find_call(
                to=call.phone, from_=from_number, since=call.created_at - timedelta(minutes=1)
            )
            # An earlier request for the same number may own the call found: not ours.
            if found is not None and not _owned(session, found.sid):
                call.provider_sid = found.sid
                call.retry_at = None
                advance(call, CallStatus.ringing)
                return found
        creating = True
        placed = telephony.place_call(
            to=call.phone,
            from_=from_number,
            url=urls.answer,
            status_callback=urls.status,
            fallback_url=urls.fallback,
            ring_timeout=settings.ring_timeout_s,
        )
    except TelephonyError as error:
        uncertain = creating and error.reason in UNCERTAIN
        if uncertain:
            call.retry_at = now + timedelta(seconds=settings.recheck_after_s)
        if error.retryable and call.attempts < settings.max_attempts:
            call.status = CallStatus.queued  # back in line: the only step ever taken backwards
            raise RetryLater(error.reason, call.retry_at) from error
        call.error_reason = error.reason
        advance(call, CallStatus.failed)
        return None
    call.provider_sid = placed.sid
    call.retry_at = None
    advance(call, CallStatus.ringing)
    return placed


def sweep(
    session: Session, *, now: datetime, stuck_after_s: int, give_up_after_s: int
) -> list[int]:
    """Requests a crashed worker or a lost enqueue left behind: their ids, to queue again.

    Requests older than ``give_up_after_s`` that never finished are closed first (which
    also drops the number). Requests still waiting or mid-placing after ``stuck_after_s``
    go back to ``queued``; their next attempt looks for an already-created call first.
    """
    abandoned = now - timedelta(seconds=give_up_after_s)
    # The unfinished statuses named one by one (not "not final"): the index on (status,
    # created_at) then reads only unfinished requests, not every old one.
    for call in session.scalars(
        select(CallRequest).where(
            rare(CallRequest.status.in_(OPEN)), CallRequest.created_at < abandoned
        )
    ):
        call.error_reason = call.error_reason or "no_news"
        advance(call, CallStatus.completed if call.provider_sid else CallStatus.failed)
    session.flush()
    stuck = now - timedelta(seconds=stuck_after_s)
    waiting = (*CLAIMABLE, CallStatus.placing)
    rows = session.scalars(
        select(CallRequest).where(
            rare(CallRequest.status.in_(waiting)),
            # Not through the provider id's unique index: SQLite takes it for one row, but
            # every request that failed before it was placed has no provider id.
            func.coalesce(CallRequest.provider_sid, "") == "",
            CallRequest.updated_at < stuck,
            _due(now),
        )
    ).all()
    for call in rows:
        if call.status == CallStatus.placing:
            call.status = CallStatus.queued
        call.updated_at = now
    session.flush()
    return [call.id for call in rows]


def by_public_id(session: Session, public_id: str) -> CallRequest | None:
    """The request with opaque id ``public_id``, or None."""
    if not public_id or len(public_id) > 32:
        return None
    return session.scalars(select(CallRequest).where(CallRequest.public_id == public_id)).first()
