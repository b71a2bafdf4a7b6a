"""The click-to-call flow: what each Twilio webhook answers and what it records.

Domain code: no Flask. Each handler takes the database (a session, or the routes' Core
connection: ``call_rows.Db``), the call (a ``CallRow`` as the
routes load it, or a loaded ``CallRequest``) and a ``FlowContext`` and returns a TwiML
document, kept per process for calls that follow the same plan (``documents``). Handlers
are idempotent: what they answer depends only on the call's plan (stored in its row:
``flow_plan``) and the webhook's own parameters (target step and office in its URL), and
what they record is keyed (``dedupe_key``, ``ProviderEvent``), so a replayed or late
webhook gets the same answer and changes nothing.

Each write is one statement whose guard is in its WHERE clause, never a loaded row
modified and flushed: the call's row moves with ``UPDATE ... WHERE`` (status only
forward, step and office only on), events go in with ``INSERT ... ON CONFLICT DO
NOTHING``. Two deliveries of one callback racing on two processes, or callbacks out of
order, then leave the row as one delivery in order would. Beyond loading the call, a
webhook runs at most: answer one UPDATE (which also links a provider sid we never
learnt, where no other request holds it); gather one UPDATE (pressing 9: an INSERT and
an UPDATE); dial one INSERT and one UPDATE, plus a look-up of its event unless the
caller loaded the call with it (``call_rows.load_dialled``, as the route does), and a
look-up and an INSERT per target skipped for having no number; status one INSERT and one
UPDATE. A replay writes no row, and a replayed dial action takes no write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from callmp.calls import flow_plan, twiml
from callmp.calls.call_requests import CallSettings, CallUrls
from callmp.calls.call_rows import (
    CallLike,
    Db,
    counted,
    dial_key,
    dial_office,
    insert_once,
    link,
    link_and_move,
    move_forward,
    orm_session,
    reach_step,
)
from callmp.calls.documents import CALL_ID, document
from callmp.calls.flow_plan import FlowLeg, FlowPlan, FlowStop
from callmp.db import utcnow
from callmp.directory.office_hours import open_state
from callmp.i18n import N_
from callmp.models import (
    BlockedPhone,
    CallRequest,
    CallStatus,
    Channel,
    ContactEvent,
    Outcome,
    ProviderEvent,
)
from callmp.models.calls import FINAL

Translate = Callable[[str], str]

# Webhook paths, relative to the public URL. Only the call's opaque id is in them.
ANSWER_PATH = "/twilio/calls/{call}/answer"
GATHER_PATH = "/twilio/calls/{call}/gather"
DIAL_PATH = "/twilio/calls/{call}/dial"
STATUS_PATH = "/twilio/calls/{call}/status"
FALLBACK_PATH = "/twilio/fallback"

_NO_NUMBER_FOR = N_("Sorry, we have no phone number for %(name)s.")
_TRY_OTHER_OFFICE = N_("Nobody picked up there. Trying another office.")

#: Twilio's DialCallStatus values and what they mean for the count.
DIAL_OUTCOMES = {
    "busy": Outcome.busy,
    "no-answer": Outcome.no_answer,
    "failed": Outcome.failed,
    "canceled": Outcome.cancelled,
}
#: Outcomes after which another office of the same target is worth a try.
TRY_NEXT_OFFICE = frozenset({Outcome.busy, Outcome.no_answer, Outcome.failed})

#: Twilio's CallStatus values (the supporter's leg) and where they move the request.
CALL_STATUSES: dict[str, CallStatus | None] = {
    "queued": None,
    "initiated": None,
    "ringing": CallStatus.ringing,
    "in-progress": CallStatus.in_progress,
    "answered": CallStatus.in_progress,
    "completed": CallStatus.completed,
    "busy": CallStatus.failed,
    "no-answer": CallStatus.failed,
    "failed": CallStatus.failed,
    "canceled": CallStatus.failed,
}


@dataclass(frozen=True)
class FlowContext:
    """What the handlers need besides the database: settings, URLs, caller ID, language."""

    settings: CallSettings
    public_url: str
    caller_id: str
    translate: Translate
    clock: Callable[[], datetime] = utcnow  # tells whether an office was open

    def plan(self, db: Db, call: CallLike) -> FlowPlan:
        """The plan ``call`` follows: stored in its row (built and stored if it has none)."""
        return flow_plan.of_call(db, call, self.translate)

    def url(self, path: str, call: CallLike | _Kept | None = None, /, **query: str | int) -> str:
        """An absolute webhook URL for ``path`` (with the call's id) and ``query``."""
        url = self.public_url.rstrip("/") + path.format(call=call.public_id if call else "")
        return f"{url}?{urlencode(query)}" if query else url


@dataclass(frozen=True)
class _Kept:
    """A call as kept documents name it: ``CALL_ID`` for its id."""

    public_id: str = CALL_ID


KEPT = _Kept()


def call_urls(ctx: FlowContext, call: CallLike, first_number: str | None) -> CallUrls:
    """Where the provider reaches us for ``call``; the fallback carries the office number."""
    fallback_query: dict[str, str | int] = {"lang": call.locale}
    if first_number:
        fallback_query["office"] = first_number
    return CallUrls(
        answer=ctx.url(ANSWER_PATH, call),
        status=ctx.url(STATUS_PATH, call),
        fallback=ctx.url(FALLBACK_PATH, **fallback_query),
    )


def _voice(call: CallLike) -> twiml.Voice:
    """The <Say> voice for the call's language."""
    return twiml.voice_for(call.locale)


def _record(
    db: Db,
    call: CallLike,
    stop: FlowStop,
    leg: FlowLeg | None,
    outcome: Outcome,
    duration: int | None,
    key: str,
    seen: bool | None = None,
) -> bool:
    """One contact event for this attempt; a replay with the same key records nothing.

    ``seen`` is whether the event was stored when the call was loaded, if that load looked
    (``call_rows.load_dialled``); otherwise it is looked up here.
    """
    # A replay is answered read-only, without taking SQLite's write lock (Twilio retries
    # when we are slow, so replays come in bursts: with the INSERT as the only check, a
    # replay storm served a third fewer dial actions a second); two first deliveries
    # racing past this look-up still make one row (ON CONFLICT DO NOTHING).
    if counted(db, key) if seen is None else seen:
        return False
    return insert_once(
        db,
        ContactEvent,
        {
            "campaign_id": call.campaign_id,
            "target_id": stop.target_id,
            "person_id": stop.person_id,
            "office_id": leg.office_id if leg else None,
            "fed_num": call.fed_num,
            "channel": Channel.bridged_call,
            "outcome": outcome,
            "duration_s": duration,
            "referral": call.referral,
            "share_source": call.share_source,
            "call_request_id": call.id,
            "dedupe_key": key,
        },
    )


def _offer(
    db: Db,
    call: CallLike,
    ctx: FlowContext,
    stops: tuple[FlowStop, ...],
    step: int,
    notes: list[str],
) -> str:
    """Offer target ``step`` (skipping and counting those with no number), or say goodbye."""
    while step < len(stops) and not stops[step].legs:
        _record(db, call, stops[step], None, Outcome.no_number, None, f"b:{call.id}:{step}:-")
        notes.append(ctx.translate(_NO_NUMBER_FOR) % {"name": stops[step].label})
        step += 1
    reach_step(db, call, min(step, len(stops)))  # nothing written on a replay
    if step >= len(stops):
        return twiml.goodbye(voice=_voice(call), translate=ctx.translate, notes=notes)
    return document(
        call.public_id,
        twiml.next_target,
        target_label=stops[step].label,
        gather_url=ctx.url(GATHER_PATH, KEPT, step=step),
        voice=_voice(call),
        translate=ctx.translate,
        notes=notes,
    )


def _connect(
    db: Db,
    call: CallLike,
    ctx: FlowContext,
    plan: FlowPlan,
    step: int,
    office: int,
    notes: list[str],
) -> str:
    """Dial office ``office`` of target ``step``; a target with no number is skipped."""
    stop = plan.stops[step]
    if not stop.legs:
        return _offer(db, call, ctx, plan.stops, step, notes)
    leg = stop.legs[office]
    dial_office(db, call, step, office)
    return document(
        call.public_id,
        twiml.connect,
        target_label=stop.label,
        number=leg.number,
        send_digits=leg.send_digits,
        caller_id=plan.caller_id or ctx.caller_id,
        time_limit=ctx.settings.time_limit_s,
        dial_timeout=ctx.settings.dial_timeout_s,
        action_url=ctx.url(DIAL_PATH, KEPT, step=step, office=office),
        voice=_voice(call),
        translate=ctx.translate,
        notes=notes,
    )


def answer(db: Db, call: CallLike, ctx: FlowContext, call_sid: str = "") -> str:
    """The supporter picked up: the campaign's intro, then the 1/2/9 menu."""
    voice = _voice(call)
    if call.status in FINAL:
        link(db, call, call_sid)
        return twiml.goodbye(voice=voice, translate=ctx.translate)
    link_and_move(db, call, call_sid, CallStatus.in_progress)
    return document(
        call.public_id,
        twiml.greeting,
        intro=ctx.plan(db, call).intro,
        gather_url=ctx.url(GATHER_PATH, KEPT, step=0),
        voice=voice,
        translate=ctx.translate,
    )


def gather(db: Db, call: CallLike, ctx: FlowContext, step: int, digits: str) -> str:
    """A key at the menu for target ``step``: 1 connects, 2 reads the points, 9 blocks."""
    voice = _voice(call)
    if call.status in (CallStatus.blocked, CallStatus.failed):
        return twiml.goodbye(voice=voice, translate=ctx.translate)
    plan = ctx.plan(db, call)
    if not 0 <= step < len(plan.stops):
        return twiml.goodbye(voice=voice, translate=ctx.translate)
    if digits == "9":
        insert_once(db, BlockedPhone, {"phone_hmac": call.phone_hmac})
        move_forward(db, call, CallStatus.blocked)
        return twiml.blocked(voice=voice, translate=ctx.translate)
    if digits == "1":
        return _connect(db, call, ctx, plan, step, 0, [])
    stop = plan.stops[step]
    # Any other key repeats the menu.
    return document(
        call.public_id,
        twiml.talking_points,
        points=stop.spoken_points() if digits == "2" else "",
        speech=stop.points_speech if digits == "2" else "",
        gather_url=ctx.url(GATHER_PATH, KEPT, step=step),
        voice=voice,
        translate=ctx.translate,
    )


#: A bridged call to a closed office this long or longer counts as a voicemail left.
VOICEMAIL_AFTER_S = 15


def outcome_of(
    dial_status: str, duration: int | None, connected_after: int, office_open: bool = True
) -> Outcome:
    """The count's outcome for a <Dial> that ended with ``dial_status`` after ``duration``.

    A closed office that "answers" is its voicemail: such a call counts as a voicemail
    left (or as short), never as a conversation.
    """
    if dial_status == "completed" or dial_status == "answered":
        if not office_open:
            return Outcome.left_voicemail if (duration or 0) >= VOICEMAIL_AFTER_S else Outcome.short
        return Outcome.connected if (duration or 0) >= connected_after else Outcome.short
    return DIAL_OUTCOMES.get(dial_status, Outcome.failed)


def dialled(
    db: Db,
    call: CallLike,
    ctx: FlowContext,
    *,
    step: int,
    office: int,
    dial_status: str,
    duration: int | None,
    now: datetime | None = None,
    seen: bool | None = None,
) -> str:
    """A <Dial> ended: count it once, then the next office, the next target or goodbye.

    ``seen``: whether its event was already stored when the call was loaded, if known.
    """
    plan = ctx.plan(db, call)
    stops = plan.stops
    if not (0 <= step < len(stops) and 0 <= office < len(stops[step].legs)):
        return twiml.goodbye(voice=_voice(call), translate=ctx.translate)
    stop = stops[step]
    leg = stop.legs[office]
    # The call to the office started ``duration`` seconds ago; its hours then are what count.
    started = (now or ctx.clock()) - timedelta(seconds=duration or 0)
    office_open = open_state(leg.time_zone, started, leg.hours).open
    outcome = outcome_of(dial_status, duration, ctx.settings.connected_after_s, office_open)
    key = dial_key(call.id, step, office)
    _record(db, call, stop, stop.legs[office], outcome, duration, key, seen)
    if call.status in (CallStatus.blocked, CallStatus.failed):
        return twiml.goodbye(voice=_voice(call), translate=ctx.translate)
    if outcome in TRY_NEXT_OFFICE and office + 1 < len(stop.legs):
        notes = [ctx.translate(_TRY_OTHER_OFFICE)]
        return _connect(db, call, ctx, plan, step, office + 1, notes)
    return _offer(db, call, ctx, stops, step + 1, [])


def status_changed(db: Db, call_sid: str, status: str, call: CallLike | None = None) -> bool:
    """Twilio's news about the supporter's leg, handled once per (call, status).

    ``call`` is the request named in the callback's URL, when known; otherwise it is found
    by ``call_sid``. Returns True when it moved the request forward. Retried, late and
    out-of-order callbacks are recorded once and never move a call backwards.
    """
    status = status.strip().lower()[:40]
    if not call_sid or not insert_once(
        db, ProviderEvent, {"call_sid": call_sid[:64], "event": status}
    ):
        return False
    new_status = CALL_STATUSES.get(status)
    if call is None:
        # Through the session: a caller holding this request loaded sees it move.
        call = (
            orm_session(db)
            .scalars(select(CallRequest).where(CallRequest.provider_sid == call_sid[:64]))
            .first()
        )
    elif not link(db, call, call_sid) and call.provider_sid != call_sid:
        return False  # a call of another request, not news of this one
    if call is None or new_status is None:
        return False
    if new_status == CallStatus.failed and not call.error_reason:
        reason = "supporter_" + status.replace("-", "_")
        return move_forward(db, call, new_status, error_reason=reason)
    return move_forward(db, call, new_status)
