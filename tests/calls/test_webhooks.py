"""The call flow at domain level: the plan of a call and what each webhook answers and records.

No HTTP here: the handlers are called with a real database db_session, as the views call
them, and every TwiML document is parsed as XML.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.calls import call_requests, webhooks
from callmp.calls import plan as callplan
from callmp.calls.call_requests import CallAsk, CallRefused
from callmp.demo import MINISTER_FED_NUM, MINISTER_SOURCE
from callmp.directory import phones
from callmp.i18n import translator
from callmp.models import (
    BlockedPhone,
    CallRequest,
    CallStatus,
    Campaign,
    Channel,
    ContactEvent,
    Office,
    OfficeKind,
    Outcome,
    Person,
    ProviderEvent,
    Riding,
)
from tests.support.app import CALLER_ID, PUBLIC_URL
from tests.support.calls import (
    ABBOTSFORD,
    KEY,
    MINISTER,
    MINISTER_LABEL,
    MP_LABEL,
    OTTAWA_EVENING,
    OTTAWA_MORNING,
    PHONE,
    SETTINGS,
    SPADINA,
    SPADINA_HILL,
    SPADINA_RIDING,
    VACANT,
    context,
    new_call,
)
from tests.support.twiml_doc import none, one, parse, path, query, said, tags


def events(db_session: Session, call: CallRequest) -> list[ContactEvent]:
    """The contact events recorded for ``call``, oldest first."""
    query_ = select(ContactEvent).where(ContactEvent.call_request_id == call.id)
    return list(db_session.scalars(query_.order_by(ContactEvent.id)))


def office_id(db_session: Session, number: str, kind: OfficeKind) -> int:
    """The id of the office of ``kind`` with phone ``number``."""
    query_ = select(Office.id).where(Office.phone == number, Office.kind == kind)
    return int(db_session.scalars(query_).one())


def gather_url(call: CallRequest, step: int) -> str:
    """The menu's action URL for target ``step``."""
    return f"{PUBLIC_URL}/twilio/calls/{call.public_id}/gather?step={step}"


def kinds(stop: callplan.Stop) -> list[str]:
    """The office kinds of a stop's legs, in dialling order."""
    return [str(leg.office.kind) for leg in stop.legs]


def plan_at(db_session: Session, campaign: Campaign, policy: str, when: datetime) -> list[str]:
    """Office kinds for the BC riding's MP under ``policy`` at ``when``."""
    campaign.office_policy = policy
    stops = callplan.plan_for(db_session, campaign, ABBOTSFORD, "en", when, translator("en"))
    assert [kinds(stop) for stop in stops][1] == ["other"]  # the Minister's one office
    return kinds(stops[0])


# -- The plan ------------------------------------------------------------------------------


def test_plan_hill_policy_tries_the_hill_office_first_even_when_it_is_closed(
    db_session: Session, campaign: Campaign
) -> None:
    assert plan_at(db_session, campaign, "hill", OTTAWA_MORNING) == ["hill", "constituency"]
    assert plan_at(db_session, campaign, "hill", OTTAWA_EVENING) == ["hill", "constituency"]


def test_plan_constituency_policy_tries_the_riding_office_first(
    db_session: Session, campaign: Campaign
) -> None:
    assert plan_at(db_session, campaign, "constituency", OTTAWA_MORNING) == ["constituency", "hill"]
    assert plan_at(db_session, campaign, "constituency", OTTAWA_EVENING) == ["constituency", "hill"]


def test_plan_open_first_policy_tries_the_office_open_at_that_time(
    db_session: Session, campaign: Campaign
) -> None:
    # 10:00 in Ottawa, 07:00 in Vancouver: only the Hill office is open.
    assert plan_at(db_session, campaign, "open_first", OTTAWA_MORNING) == ["hill", "constituency"]
    # 17:30 in Ottawa, 14:30 in Vancouver: only the riding office is open.
    assert plan_at(db_session, campaign, "open_first", OTTAWA_EVENING) == ["constituency", "hill"]


def test_plan_of_a_call_orders_offices_as_of_the_request_not_as_of_the_webhook(
    db_session: Session, campaign: Campaign
) -> None:
    campaign.office_policy = "open_first"
    morning = new_call(db_session, campaign, ABBOTSFORD, now=OTTAWA_MORNING)
    evening = new_call(db_session, campaign, ABBOTSFORD, now=OTTAWA_EVENING)
    # Whatever the time is now, each call keeps the order of the moment it was requested.
    assert kinds(callplan.plan(db_session, morning, translator("en"))[0]) == [
        "hill",
        "constituency",
    ]
    assert kinds(callplan.plan(db_session, evening, translator("en"))[0]) == [
        "constituency",
        "hill",
    ]


def test_plan_reads_an_extension_into_send_digits(db_session: Session, campaign: Campaign) -> None:
    hill = db_session.get(Office, office_id(db_session, SPADINA_HILL, OfficeKind.hill))
    assert hill is not None
    hill.phone_raw = "613-992-2352 ext. 4567"
    stops = callplan.plan_for(db_session, campaign, SPADINA, "en", OTTAWA_MORNING, translator("en"))
    assert [(leg.number, leg.send_digits) for leg in stops[0].legs] == [
        (SPADINA_HILL, "wwww4567"),
        (SPADINA_RIDING, None),
    ]


def test_request_is_refused_when_no_target_has_a_number(
    db_session: Session, campaign: Campaign
) -> None:
    # The portfolio's office, and the holder's Hill office it would fall back to.
    minister = db_session.scalars(select(Person).where(Person.source == MINISTER_SOURCE)).one()
    holder = db_session.scalars(select(Person).where(Person.fed_num == MINISTER_FED_NUM)).one()
    for office in [*minister.offices, *holder.offices]:
        office.phone = ""
    db_session.flush()
    with pytest.raises(CallRefused) as refused:
        new_call(db_session, campaign, VACANT)
    assert refused.value.reason == "no_number"
    assert db_session.scalar(select(func.count()).select_from(CallRequest)) == 0


def test_request_is_refused_when_the_campaign_places_no_calls(
    db_session: Session, campaign: Campaign
) -> None:
    campaign.bridged_calls = False
    with pytest.raises(CallRefused) as refused:
        new_call(db_session, campaign)
    assert refused.value.reason == "no_bridged_calls"


# -- Answer and the menu -------------------------------------------------------------------


def test_answer_says_the_default_intro_then_offers_the_menu(
    db_session: Session, campaign: Campaign
) -> None:
    campaign.call_intro_en = ""
    call = new_call(db_session, campaign)
    root = parse(webhooks.answer(db_session, call, context()))
    assert tags(root) == ["Say", "Gather", "Say", "Hangup"]
    assert (
        said(root)[0]
        == f"Hello, and thank you for taking part in the campaign {campaign.title_en}."
    )
    gather = root[1]
    assert gather.get("action") == gather_url(call, 0)
    assert gather.get("method") == "POST"
    assert gather.get("numDigits") == "1"
    assert said(gather) == [
        "Press 1 to be connected. Press 2 to hear the talking points. "
        "Press 9 if you never want to be called again."
    ]
    assert call.status == CallStatus.in_progress
    assert events(db_session, call) == []


def test_answer_reads_the_campaign_intro_with_placeholders_filled_and_markdown_dropped(
    db_session: Session, campaign: Campaign
) -> None:
    campaign.call_intro_en = "# Welcome!\n\nYou live in {riding}. **Ask** {mp_name} for status."
    campaign.call_intro_fr = "Bienvenue! Vous habitez {riding}."
    english = parse(webhooks.answer(db_session, new_call(db_session, campaign), context()))
    assert (
        said(english)[0] == "Welcome! You live in Spadina—Harbourfront. Ask Chi Nguyen for status."
    )
    call = new_call(db_session, campaign, phone="613-555-0143", locale="fr")
    french = parse(webhooks.answer(db_session, call, context("fr")))
    riding = db_session.get(Riding, SPADINA)
    assert riding is not None
    assert said(french)[0] == f"Bienvenue! Vous habitez {riding.name_fr}."
    assert {say.get("language") for say in french.iter("Say")} == {"fr-CA"}


def test_gather_1_dials_the_first_office_with_the_campaign_caller_id(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    webhooks.answer(db_session, call, context())
    root = parse(webhooks.gather(db_session, call, context(), 0, "1"))
    assert tags(root) == ["Say", "Dial"]
    assert said(root) == [f"Connecting you to {MP_LABEL}. Press star to hang up and move on."]
    dial = one(root, "Dial")
    assert dial.get("callerId") == CALLER_ID
    assert dial.get("timeLimit") == str(SETTINGS.time_limit_s)
    assert dial.get("timeout") == str(SETTINGS.dial_timeout_s)
    assert dial.get("hangupOnStar") == "true"
    assert dial.get("method") == "POST"
    action = dial.get("action", "")
    assert path(action) == f"{PUBLIC_URL}/twilio/calls/{call.public_id}/dial"
    assert query(action) == {"step": "0", "office": "0"}
    number = one(dial, "Number")
    assert number.text == SPADINA_HILL
    assert number.get("sendDigits") is None
    assert events(db_session, call) == []  # counted when the dial ends


def test_gather_1_sends_the_extension_after_a_pause(
    db_session: Session, campaign: Campaign
) -> None:
    hill = db_session.get(Office, office_id(db_session, SPADINA_HILL, OfficeKind.hill))
    assert hill is not None
    hill.phone_raw = "(613) 992-2352 poste 4567"
    call = new_call(db_session, campaign)
    number = one(parse(webhooks.gather(db_session, call, context(), 0, "1")), "Number")
    assert number.text == SPADINA_HILL
    assert number.get("sendDigits") == "wwww4567"


def test_gather_2_reads_the_talking_points_then_the_menu_again(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    root = parse(webhooks.gather(db_session, call, context(), 0, "2"))
    none(root, "Dial")
    points = " ".join(said(root)[:-1])
    assert points.startswith(
        "Hello, my name is … and I live in Spadina—Harbourfront, postal code …."
    )
    assert "{" not in points and "*" not in points
    assert "will Chi Nguyen publicly support" in points
    assert one(root, "Gather").get("action") == gather_url(call, 0)


def test_gather_2_at_each_target_reads_that_targets_own_talking_points(
    db_session: Session, campaign: Campaign
) -> None:
    minister = campaign.targets[1]
    minister.talking_points_en = "Minister {form_of_address}: *act* now for {riding}!\x0b"
    minister.address_en = "Metlege Diab"
    minister.talking_points_fr = "Madame la Ministre, agissez pour {riding}."
    db_session.flush()
    call = new_call(db_session, campaign)
    mp_points = said(parse(webhooks.gather(db_session, call, context(), 0, "2")))[:-1]
    minister_root = parse(webhooks.gather(db_session, call, context(), 1, "2"))
    assert said(minister_root)[:-1] == ["Minister Metlege Diab: act now for Spadina—Harbourfront!"]
    assert one(minister_root, "Gather").get("action") == gather_url(call, 1)
    assert "will Chi Nguyen publicly support" in " ".join(mp_points)  # the campaign's
    french = new_call(db_session, campaign, locale="fr")
    root = parse(webhooks.gather(db_session, french, context("fr"), 1, "2"))
    assert said(root)[0] == "Madame la Ministre, agissez pour Spadina—Harbourfront."
    assert {say.get("language") for say in root.iter("Say")} == {"fr-CA"}


def test_other_keys_repeat_the_menu_without_points(db_session: Session, campaign: Campaign) -> None:
    call = new_call(db_session, campaign)
    root = parse(webhooks.gather(db_session, call, context(), 0, "5"))
    assert tags(root) == ["Gather", "Say", "Hangup"]
    assert one(root, "Gather").get("action") == gather_url(call, 0)


def test_gather_9_blocks_the_number_for_good(db_session: Session, campaign: Campaign) -> None:
    call = new_call(db_session, campaign)
    root = parse(webhooks.gather(db_session, call, context(), 0, "9"))
    db_session.commit()
    assert tags(root) == ["Say", "Hangup"]
    assert said(root) == ["You will not be called again. Goodbye."]
    assert call.status == CallStatus.blocked
    assert call.phone is None
    blocked = db_session.get(BlockedPhone, phones.phone_hmac("+16135550142", KEY))
    assert blocked is not None
    # Pressing 9 again (a replayed webhook) changes nothing and says goodbye.
    assert tags(parse(webhooks.gather(db_session, call, context(), 0, "9"))) == ["Say", "Hangup"]
    assert db_session.scalar(select(func.count()).select_from(BlockedPhone)) == 1
    assert tags(parse(webhooks.gather(db_session, call, context(), 0, "1"))) == ["Say", "Hangup"]
    with pytest.raises(CallRefused) as refused:
        new_call(db_session, campaign, phone="(613) 555-0142")
    assert refused.value.reason == "blocked"


# -- Targets with no number -----------------------------------------------------------------


def test_a_vacant_seat_is_skipped_and_counted_no_number(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign, VACANT)
    stops = callplan.plan(db_session, call, translator("en"))
    assert [len(stop.legs) for stop in stops] == [0, 1]
    webhooks.answer(db_session, call, context())
    document = webhooks.gather(db_session, call, context(), 0, "1")
    root = parse(document)
    assert said(root) == [
        "Sorry, we have no phone number for your MP (the seat is vacant).",
        f"Next: {MINISTER_LABEL}.",
        "Thank you for making your voice heard. Goodbye.",
    ]
    assert one(root, "Gather").get("action") == gather_url(call, 1)
    # A replay answers the same and counts nothing more.
    assert webhooks.gather(db_session, call, context(), 0, "1") == document
    (event,) = events(db_session, call)
    assert event.outcome == Outcome.no_number
    assert event.office_id is None
    assert event.person_id is None
    assert event.target_id == campaign.targets[0].id
    dial = one(parse(webhooks.gather(db_session, call, context(), 1, "1")), "Dial")
    assert one(dial, "Number").text == MINISTER


def test_an_mp_whose_offices_have_no_number_is_skipped(
    db_session: Session, campaign: Campaign
) -> None:
    riding = db_session.get(Riding, SPADINA)
    assert riding is not None and riding.member is not None
    for office in riding.member.offices:
        office.phone = ""
    call = new_call(db_session, campaign)
    root = parse(webhooks.gather(db_session, call, context(), 0, "1"))
    assert said(root)[0] == f"Sorry, we have no phone number for {MP_LABEL}."
    (event,) = events(db_session, call)
    assert (event.outcome, event.person_id) == (Outcome.no_number, riding.member.id)


# -- Dial results -------------------------------------------------------------------------


def dialled(
    db_session: Session,
    call: CallRequest,
    step: int,
    office: int,
    status: str,
    duration: int | None,
) -> str:
    """The dial action webhook for target ``step``, office ``office``."""
    return webhooks.dialled(
        db_session, call, context(), step=step, office=office, dial_status=status, duration=duration
    )


@pytest.mark.parametrize(("status", "outcome"), [("busy", "busy"), ("no-answer", "no_answer")])
def test_busy_or_no_answer_tries_the_next_office_of_the_same_target(
    db_session: Session, campaign: Campaign, status: str, outcome: str
) -> None:
    call = new_call(db_session, campaign)
    root = parse(dialled(db_session, call, 0, 0, status, None))
    assert said(root) == [
        "Nobody picked up there. Trying another office.",
        f"Connecting you to {MP_LABEL}. Press star to hang up and move on.",
    ]
    dial = one(root, "Dial")
    assert one(dial, "Number").text == SPADINA_RIDING
    assert query(dial.get("action", "")) == {"step": "0", "office": "1"}
    (event,) = events(db_session, call)
    assert event.outcome == Outcome(outcome)
    assert event.office_id == office_id(db_session, SPADINA_HILL, OfficeKind.hill)
    assert call.office_try == 1
    # The last office busy too: on to the next target.
    root = parse(dialled(db_session, call, 0, 1, status, None))
    none(root, "Dial")
    assert said(root) == [
        f"Next: {MINISTER_LABEL}.",
        "Thank you for making your voice heard. Goodbye.",
    ]
    assert one(root, "Gather").get("action") == gather_url(call, 1)
    assert [e.outcome for e in events(db_session, call)] == [Outcome(outcome)] * 2


def test_a_cancelled_dial_moves_to_the_next_target_not_the_next_office(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    root = parse(dialled(db_session, call, 0, 0, "canceled", None))
    none(root, "Dial")
    assert one(root, "Gather").get("action") == gather_url(call, 1)
    assert [e.outcome for e in events(db_session, call)] == [Outcome.cancelled]


@pytest.mark.parametrize(("duration", "outcome"), [(30, "connected"), (29, "short")])
def test_a_completed_dial_counts_connected_from_the_threshold(
    db_session: Session, campaign: Campaign, duration: int, outcome: str
) -> None:
    call = new_call(db_session, campaign)
    dialled(db_session, call, 0, 0, "completed", duration)
    (event,) = events(db_session, call)
    assert event.outcome == Outcome(outcome)
    assert event.duration_s == duration


# Wednesday 25 November 2026, 23:00 in Ottawa: the Hill office is closed.
OTTAWA_NIGHT = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("duration", "outcome"), [(40, "left_voicemail"), (15, "left_voicemail"), (8, "short")]
)
def test_a_closed_office_answering_is_its_voicemail_not_a_conversation(
    db_session: Session, campaign: Campaign, duration: int, outcome: str
) -> None:
    call = new_call(db_session, campaign)
    webhooks.dialled(
        db_session,
        call,
        context(),
        step=0,
        office=0,
        dial_status="completed",
        duration=duration,
        now=OTTAWA_NIGHT,
    )
    (event,) = events(db_session, call)
    assert event.outcome == Outcome(outcome)


def test_office_hours_are_judged_when_the_dial_began_not_when_it_ended(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    # Ended 17:10 in Ottawa after 20 minutes: it began at 16:50, while the office was open.
    ended = datetime(2026, 11, 25, 22, 10, tzinfo=UTC)
    webhooks.dialled(
        db_session,
        call,
        context(),
        step=0,
        office=0,
        dial_status="completed",
        duration=1200,
        now=ended,
    )
    (event,) = events(db_session, call)
    assert event.outcome == Outcome.connected


def test_a_whole_call_through_both_targets_then_goodbye(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    webhooks.answer(db_session, call, context())
    webhooks.gather(db_session, call, context(), 0, "1")
    root = parse(dialled(db_session, call, 0, 0, "completed", 45))
    none(root, "Dial")
    gather = one(root, "Gather")
    assert gather.get("action") == gather_url(call, 1)
    assert said(gather) == ["Press 1 to be connected, or hang up to stop."]
    assert said(root)[0] == f"Next: {MINISTER_LABEL}."
    assert call.step == 1
    dial = one(parse(webhooks.gather(db_session, call, context(), 1, "1")), "Dial")
    assert one(dial, "Number").text == MINISTER
    assert query(dial.get("action", "")) == {"step": "1", "office": "0"}
    root = parse(dialled(db_session, call, 1, 0, "completed", 12))
    assert tags(root) == ["Say", "Hangup"]
    assert said(root) == ["Thank you for making your voice heard. Goodbye."]
    db_session.commit()
    recorded = events(db_session, call)
    assert [(e.outcome, e.duration_s) for e in recorded] == [
        (Outcome.connected, 45),
        (Outcome.short, 12),
    ]
    assert [e.office_id for e in recorded] == [
        office_id(db_session, SPADINA_HILL, OfficeKind.hill),
        office_id(db_session, MINISTER, OfficeKind.other),
    ]
    assert [e.target_id for e in recorded] == [target.id for target in campaign.targets]
    assert {(e.channel, e.referral, e.fed_num) for e in recorded} == {
        (Channel.bridged_call, "partner-a", SPADINA)
    }


def test_a_replayed_dial_action_counts_once_and_answers_the_same(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    first = dialled(db_session, call, 0, 0, "completed", 45)
    db_session.commit()
    again = dialled(db_session, call, 0, 0, "completed", 45)
    db_session.commit()
    assert again == first
    assert len(events(db_session, call)) == 1
    # A late replay of a busy office, after the call moved on, neither counts nor goes back.
    dialled(db_session, call, 1, 0, "completed", 40)
    late = parse(dialled(db_session, call, 0, 0, "completed", 45))
    assert one(late, "Gather").get("action") == gather_url(call, 1)
    assert len(events(db_session, call)) == 2
    assert call.step == 2


def test_a_dial_result_for_an_unknown_step_or_office_says_goodbye_and_counts_nothing(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    for step, office in ((2, 0), (0, 2), (7, 7)):
        assert tags(parse(dialled(db_session, call, step, office, "completed", 60))) == [
            "Say",
            "Hangup",
        ]
    assert events(db_session, call) == []


# -- Status callbacks -----------------------------------------------------------------------


def provider_events(db_session: Session, sid: str) -> list[str]:
    """The (call, event) pairs recorded for ``sid``."""
    query_ = select(ProviderEvent.event).where(ProviderEvent.call_sid == sid)
    return sorted(db_session.scalars(query_))


def status_of(db_session: Session, call: CallRequest) -> CallStatus:
    """The request's status as stored."""
    db_session.flush()
    return db_session.scalars(select(CallRequest.status).where(CallRequest.id == call.id)).one()


def test_status_callbacks_out_of_order_and_repeated_are_recorded_once_never_backwards(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    sid = call.provider_sid or ""
    assert webhooks.status_changed(db_session, sid, "completed")  # before ringing arrives
    assert status_of(db_session, call) == CallStatus.completed
    assert call.phone is None  # purged at the final status
    assert not webhooks.status_changed(db_session, sid, "ringing")  # late
    assert not webhooks.status_changed(db_session, sid, "in-progress")  # late
    assert not webhooks.status_changed(db_session, sid, "completed")  # retried
    assert not webhooks.status_changed(db_session, sid, " Completed ")  # retried, spelt otherwise
    db_session.commit()
    assert status_of(db_session, call) == CallStatus.completed
    assert provider_events(db_session, sid) == ["completed", "in-progress", "ringing"]


def test_status_callbacks_in_order_move_the_request_forward(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    sid = call.provider_sid or ""
    assert not webhooks.status_changed(db_session, sid, "initiated")  # no news for the request
    assert not webhooks.status_changed(db_session, sid, "ringing")  # already ringing
    assert webhooks.status_changed(db_session, sid, "in-progress")
    assert status_of(db_session, call) == CallStatus.in_progress
    assert call.phone == "+16135550142"  # still needed while the call goes on
    assert not webhooks.status_changed(db_session, sid, "answered")  # same step, other name
    assert webhooks.status_changed(db_session, sid, "completed")
    assert status_of(db_session, call) == CallStatus.completed
    assert call.phone is None


def test_a_supporter_who_does_not_answer_fails_the_request(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    assert webhooks.status_changed(db_session, call.provider_sid or "", "no-answer")
    assert call.status == CallStatus.failed
    assert call.error_reason == "supporter_no_answer"
    assert call.phone is None
    # Twilio's answer webhook cannot revive it.
    assert tags(parse(webhooks.answer(db_session, call, context()))) == ["Say", "Hangup"]


def test_status_for_an_unknown_call_is_recorded_and_ignored(db_session: Session) -> None:
    assert not webhooks.status_changed(db_session, "CA" + "f" * 32, "completed")
    assert not webhooks.status_changed(db_session, "", "completed")
    assert provider_events(db_session, "CA" + "f" * 32) == ["completed"]


def test_status_news_of_another_call_does_not_move_this_request(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    own = call.provider_sid
    assert not webhooks.status_changed(db_session, "CA" + "e" * 32, "completed", call)
    assert (status_of(db_session, call), call.provider_sid) == (CallStatus.ringing, own)
    assert webhooks.status_changed(db_session, own or "", "completed", call)
    assert status_of(db_session, call) == CallStatus.completed


def test_the_answer_webhook_links_a_call_we_never_heard_back_about(
    db_session: Session, campaign: Campaign
) -> None:
    ask = CallAsk(campaign=campaign, phone_raw=PHONE, fed_num=SPADINA, locale="en")
    call, _stops = call_requests.request_call(
        db_session, ask, settings=SETTINGS, now=OTTAWA_MORNING
    )
    sid = "CA" + "d" * 32
    webhooks.answer(db_session, call, context(), sid)
    db_session.commit()
    assert call.provider_sid == sid
    assert call_requests.claim(db_session, call.id, OTTAWA_MORNING) is None  # no retry rings again
    other = new_call(db_session, campaign, phone="613-555-0143")
    webhooks.answer(db_session, other, context(), sid)  # a sid that is already taken
    assert other.provider_sid not in (None, sid)


# -- Two deliveries racing: each write's guard is checked by the database ----------------


def test_a_stale_answer_never_moves_a_finished_call_back(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    with Session(db_session.get_bind()) as other:
        stale = other.get(CallRequest, call.id)  # the answer webhook loaded it: ringing
        assert stale is not None and stale.status == CallStatus.ringing
        # Meanwhile another process heard the call end.
        assert webhooks.status_changed(db_session, call.provider_sid or "", "completed", call)
        db_session.commit()
        webhooks.answer(other, stale, context())
        other.commit()
    db_session.expire_all()
    assert status_of(db_session, call) == CallStatus.completed
    assert call.phone is None


def test_a_stale_dial_result_never_moves_the_call_back_a_target(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    with Session(db_session.get_bind()) as other:
        stale = other.get(CallRequest, call.id)  # a first delivery loaded it at (0, 0)
        assert stale is not None
        # The same callback, delivered twice, was answered by another process first ...
        dialled(db_session, call, 0, 0, "no-answer", 0)
        dialled(db_session, call, 0, 1, "completed", 45)  # ... and the call moved on
        webhooks.gather(db_session, call, context(), 1, "1")  # to the Minister's office
        db_session.commit()
        assert (call.step, call.office_try) == (1, 0)
        dialled(other, stale, 0, 0, "no-answer", 0)  # it would go back to the MP's office 1
        other.commit()
    db_session.expire_all()
    stored = db_session.get(CallRequest, call.id)
    assert stored is not None and (stored.step, stored.office_try) == (1, 0)
    assert len(events(db_session, call)) == 2
