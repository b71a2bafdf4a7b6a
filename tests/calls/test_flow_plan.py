"""A call's plan: plain data, stored in its row when it is requested, read by its webhooks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.calls import call_requests, flow_plan, webhooks
from callmp.calls.call_requests import CallAsk
from callmp.demo import DEMO_SLUG
from callmp.i18n import translator
from callmp.models import CallRequest, CallStatus, Campaign, Office, OfficeKind
from tests.factories import demo_campaign
from tests.support.app import call_service, run_queued, sessions
from tests.support.calls import (
    ABBOTSFORD,
    MINISTER,
    OTTAWA_EVENING,
    SETTINGS,
    SPADINA,
    SPADINA_HILL,
    SPADINA_RIDING,
    VACANT,
    context,
    new_call,
)
from tests.support.statements import statements
from tests.support.twilio_http import (
    make_twilio_app,
    placed_call,
    stored_request,
    twilio_params,
    webhook,
    xml,
)
from tests.support.twilio_standin import TwilioStandIn
from tests.support.twiml_doc import one, parse, said

TRANSLATE = translator("en")
NEW_NUMBER = "+16139920000"


def hill_office(db_session: Session) -> Office:
    """Chi Nguyen's Hill office."""
    query = select(Office).where(Office.phone == SPADINA_HILL, Office.kind == OfficeKind.hill)
    return db_session.scalars(query).one()


def stored_plan(call: CallRequest) -> flow_plan.FlowPlan:
    """The plan stored in the call's row."""
    assert call.plan is not None
    return flow_plan.load(call.plan)


def test_a_plan_is_plain_data_with_ids_labels_and_offices(
    db_session: Session, campaign: Campaign
) -> None:
    campaign.phone_number = "+16135550188"
    campaign.call_intro_en = "Hi {mp_first_name}! *Thanks*."
    call = new_call(db_session, campaign)
    plan = flow_plan.build(db_session, call, TRANSLATE)
    assert [[leg.number for leg in stop.legs] for stop in plan.stops] == [
        [SPADINA_HILL, SPADINA_RIDING],
        [MINISTER],
    ]
    assert [stop.target_id for stop in plan.stops] == [t.id for t in campaign.targets]
    assert plan.stops[0].legs[0].office_id == hill_office(db_session).id
    assert plan.stops[0].values["riding"] == "Spadina—Harbourfront"
    assert plan.caller_id == "+16135550188"
    assert plan.intro == "Hi Chi! Thanks."
    # The MP has the campaign's talking points, the Minister her own.
    minister = campaign.targets[1]
    assert minister.talking_points_en != campaign.talking_points_en
    assert [stop.talking_points for stop in plan.stops] == [
        campaign.talking_points_en,
        minister.talking_points_en,
    ]


def test_a_plan_is_stored_as_the_json_of_its_fields_and_read_back_whole(
    db_session: Session, campaign: Campaign
) -> None:
    campaign.call_intro_en = "Bonjour « {mp_first_name} » !"
    plan = flow_plan.build(db_session, new_call(db_session, campaign), TRANSLATE)
    data = flow_plan.dump(plan)
    assert data == json.dumps(dataclasses.asdict(plan), ensure_ascii=False)
    assert "«" in data  # kept as written, not escaped
    assert flow_plan.load(data) == plan
    # Read once per process: the same text gives the same (unchanged) plan.
    assert flow_plan.load(data) is flow_plan.load(data)


@pytest.mark.parametrize(
    ("fed_num", "locale", "intro"),
    [
        (SPADINA, "en", ""),
        (SPADINA, "fr", "Bonjour {mp_first_name} de {riding} !"),
        (ABBOTSFORD, "en", "Hi {mp_first_name}! *Thanks*."),
        (VACANT, "en", ""),
    ],
    ids=["default-intro", "french", "bc-riding", "vacant-seat"],
)
def test_the_plan_stored_with_a_request_is_the_one_build_makes(
    db_session: Session, campaign: Campaign, fed_num: int, locale: str, intro: str
) -> None:
    campaign.call_intro_en = campaign.call_intro_fr = intro
    campaign.office_policy = "open_first"  # the order depends on the time of the request
    db_session.commit()
    call = new_call(db_session, campaign, fed_num, locale=locale, now=OTTAWA_EVENING)
    stored = stored_plan(call)
    assert stored == flow_plan.build(db_session, call, translator(locale))
    assert stored.stops and stored.intro
    assert flow_plan.load(flow_plan.dump(stored)) == stored


def test_a_request_stores_its_plan_without_reading_the_campaign_again(
    db_session: Session, campaign: Campaign
) -> None:
    ask = CallAsk(campaign=campaign, phone_raw="613-555-0142", fed_num=SPADINA, locale="en")
    engine = db_session.get_bind()
    with statements(engine) as seen:  # type: ignore[arg-type]
        call, stops = call_requests.request_call(
            db_session, ask, settings=SETTINGS, now=OTTAWA_EVENING
        )
    assert [sql for sql in seen if "FROM campaigns" in sql] == []
    inserts = [sql for sql in seen if sql.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "plan" in inserts[0]
    assert [stop.label for stop in stored_plan(call).stops] == [stop.label for stop in stops]


def test_a_webhook_reads_a_stored_plan_with_no_query(
    db_session: Session, campaign: Campaign
) -> None:
    call = new_call(db_session, campaign)
    with statements(db_session.get_bind()) as seen:  # type: ignore[arg-type]
        plan = context().plan(db_session, call)
    assert seen == []
    assert plan == stored_plan(call)


def test_a_call_under_way_keeps_its_plan_while_new_calls_see_the_edit(
    db_session: Session, campaign: Campaign
) -> None:
    ctx = context()
    under_way = new_call(db_session, campaign)
    greeting = parse(webhooks.answer(db_session, under_way, ctx))
    # The organiser edits the intro and the office's number mid-call.
    campaign.call_intro_en = "A new intro."
    hill_office(db_session).phone = NEW_NUMBER
    db_session.commit()
    dial = one(parse(webhooks.gather(db_session, under_way, ctx, 0, "1")), "Dial")
    assert one(dial, "Number").text == SPADINA_HILL
    assert said(parse(webhooks.answer(db_session, under_way, ctx)))[0] == said(greeting)[0]
    later = new_call(db_session, campaign, phone="613-555-0143")
    assert said(parse(webhooks.answer(db_session, later, ctx)))[0] == "A new intro."
    dial = one(parse(webhooks.gather(db_session, later, ctx, 0, "1")), "Dial")
    assert one(dial, "Number").text == NEW_NUMBER


# -- Two app instances (two processes) on one database -----------------------------------


@pytest.fixture
def two_apps(make_app: Callable[..., Flask], standin: TwilioStandIn) -> tuple[Flask, Flask]:
    """Two Twilio-mode apps on the same database, as two web processes would be."""
    return make_twilio_app(make_app, standin), make_twilio_app(make_app, standin)


@pytest.fixture
def db(two_apps: tuple[Flask, Flask]) -> Iterator[Session]:
    """A session on the apps' database, for the organiser's edits."""
    with sessions(two_apps[0])() as db_session:
        yield db_session


def answer_and_dial(
    app: Flask, call: CallRequest, standin: TwilioStandIn
) -> tuple[str, str | None]:
    """The intro the answer webhook says and the number pressing 1 dials, through ``app``."""
    client = app.test_client()
    base = f"/twilio/calls/{call.public_id}"
    token = standin.auth_token
    greeting = xml(webhook(client, f"{base}/answer", twilio_params(call), token=token))
    pressed = twilio_params(call, Digits="1")
    dial = one(xml(webhook(client, f"{base}/gather?step=0", pressed, token=token)), "Dial")
    return said(greeting)[0], one(dial, "Number").text


def edit_intro_and_office(db: Session) -> None:
    """The organiser changes the intro and the MP's Hill number mid-call."""
    demo_campaign(db).call_intro_en = "A new intro."
    hill_office(db).phone = NEW_NUMBER
    db.commit()


def test_an_edit_between_two_webhooks_leaves_the_call_on_its_plan_across_processes(
    two_apps: tuple[Flask, Flask], db: Session, standin: TwilioStandIn
) -> None:
    first, second = two_apps
    call = placed_call(first, db)
    before = answer_and_dial(first, call, standin)  # one process answers the call
    assert before[1] == SPADINA_HILL
    edit_intro_and_office(db)
    # The call's next webhooks reach the other process: same words, same number.
    assert answer_and_dial(second, call, standin) == before
    # A call asked for after the edit follows the edit, in either process.
    later = placed_call(second, db, phone="+16135550143")
    assert answer_and_dial(first, later, standin) == ("A new intro.", NEW_NUMBER)


def test_a_call_stored_without_a_plan_keeps_the_first_one_a_process_stores(
    two_apps: tuple[Flask, Flask], db: Session, standin: TwilioStandIn
) -> None:
    first, second = two_apps
    call = placed_call(first, db)
    # A call requested before this release: its row has no plan.
    db.execute(update(CallRequest).where(CallRequest.id == call.id).values(plan=None))
    db.commit()
    before = answer_and_dial(first, call, standin)
    db.expire_all()
    kept = db.get(CallRequest, call.id)
    assert kept is not None and kept.plan is not None  # the first webhook stored it
    edit_intro_and_office(db)
    assert answer_and_dial(second, call, standin) == before


def test_two_webhooks_building_a_missing_plan_at_once_follow_the_first_stored(
    two_apps: tuple[Flask, Flask], db: Session
) -> None:
    call = placed_call(two_apps[0], db)
    db.execute(update(CallRequest).where(CallRequest.id == call.id).values(plan=None))
    db.commit()
    factory = sessions(two_apps[0])
    with factory() as one_process, factory() as other_process:
        mine = one_process.get(CallRequest, call.id)
        theirs = other_process.get(CallRequest, call.id)
        assert mine is not None and theirs is not None
        assert mine.plan is None and theirs.plan is None  # both loaded it without a plan
        first = flow_plan.of_call(one_process, mine, TRANSLATE)
        one_process.commit()
        edit_intro_and_office(db)
        # The other process builds the edited plan, finds one stored and follows that.
        assert flow_plan.build(other_process, theirs, TRANSLATE) != first
        assert flow_plan.of_call(other_process, theirs, TRANSLATE) == first
        other_process.commit()
        assert theirs.plan is not None and flow_plan.load(theirs.plan) == first


def test_a_stored_plan_holds_campaign_data_never_the_supporters(
    two_apps: tuple[Flask, Flask], db: Session
) -> None:
    client = two_apps[0].test_client()
    asked = {"phone": "613-555-0142", "postal_code": "M5V 3L9", "lang": "fr"}
    response = client.post(f"/api/v1/campaigns/{DEMO_SLUG}/calls", json=asked)
    assert response.status_code == 202
    query = select(CallRequest.plan).where(CallRequest.public_id == response.get_json()["id"])
    stored = db.scalars(query).one()
    assert stored is not None and "Spadina" in stored
    for personal in ("555", "0142", "M5V", "3L9", "m5v"):
        assert personal not in stored


def test_the_worker_stores_the_plan_of_a_call_stored_without_one(
    two_apps: tuple[Flask, Flask],
    db: Session,
    standin: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = two_apps[0]
    call = stored_request(app, db)
    db.execute(update(CallRequest).where(CallRequest.id == call.id).values(plan=None))
    db.commit()
    telephony = call_service(app).telephony
    place_call = telephony.place_call
    committed: list[str | None] = []

    def placing(**kwargs: Any) -> Any:
        """What another process sees of the plan while the provider is being asked."""
        with sessions(app)() as other:
            query = select(CallRequest.plan).where(CallRequest.id == call.id)
            committed.append(other.scalar(query))
        return place_call(**kwargs)

    monkeypatch.setattr(telephony, "place_call", placing)
    call_service(app).enqueue(call.id)
    run_queued(call_service(app).huey)  # a no-op for the inline queue, which ran it
    db.expire_all()
    placed = db.get(CallRequest, call.id)
    assert placed is not None and placed.status == CallStatus.ringing
    # Stored and committed before the provider was asked: no write lock held across it.
    assert placed.plan is not None and committed == [placed.plan]
    assert flow_plan.load(placed.plan) == flow_plan.build(db, placed, TRANSLATE)
    edit_intro_and_office(db)
    assert answer_and_dial(two_apps[1], placed, standin)[1] == SPADINA_HILL
