"""The per-call plan cache: plain data, one build per call, kept for the call's life."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import redis
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from callmp.calls import plan_cache, plan_store, webhooks
from callmp.calls.plan_cache import FlowPlan, PlanCache
from callmp.calls.plan_store import RedisPlans
from callmp.i18n import translator
from callmp.models import CallRequest, Campaign, Office, OfficeKind
from tests.support.app import call_service
from tests.support.calls import (
    MINISTER,
    SPADINA_HILL,
    SPADINA_RIDING,
    context,
    new_call,
)
from tests.support.redis_server import free_port
from tests.support.twiml_doc import one, parse, said

TRANSLATE = translator("en")


@contextmanager
def statements(db_session: Session) -> Iterator[list[str]]:
    """The SQL statements ``db_session``'s connection runs inside the block."""
    seen: list[str] = []

    def note(
        _conn: Connection, _cursor: object, sql: str, _params: object, _ctx: object, _many: bool
    ) -> None:
        """Remember one statement."""
        seen.append(sql)

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def hill_office(db_session: Session) -> Office:
    """Chi Nguyen's Hill office."""
    query = select(Office).where(Office.phone == SPADINA_HILL, Office.kind == OfficeKind.hill)
    return db_session.scalars(query).one()


def test_a_plan_is_plain_data_with_ids_labels_and_offices(
    db_session: Session, campaign: Campaign
) -> None:
    campaign.phone_number = "+16135550188"
    campaign.call_intro_en = "Hi {mp_first_name}! *Thanks*."
    call = new_call(db_session, campaign)
    plan = plan_cache.build(db_session, call, TRANSLATE)
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


def test_a_call_under_way_keeps_its_plan_while_new_calls_see_the_edit(
    db_session: Session, campaign: Campaign
) -> None:
    plans = PlanCache()
    ctx = context()
    cached = webhooks.FlowContext(
        settings=ctx.settings,
        public_url=ctx.public_url,
        caller_id=ctx.caller_id,
        translate=ctx.translate,
        plans=plans,
    )
    under_way = new_call(db_session, campaign)
    greeting = parse(webhooks.answer(db_session, under_way, cached))
    # The organiser edits the intro and the office's number mid-call.
    campaign.call_intro_en = "A new intro."
    hill_office(db_session).phone = "+16139920000"
    db_session.commit()
    dial = one(parse(webhooks.gather(db_session, under_way, cached, 0, "1")), "Dial")
    assert one(dial, "Number").text == SPADINA_HILL
    assert said(parse(webhooks.answer(db_session, under_way, cached)))[0] == said(greeting)[0]
    later = new_call(db_session, campaign, phone="613-555-0143")
    assert said(parse(webhooks.answer(db_session, later, cached)))[0] == "A new intro."
    dial = one(parse(webhooks.gather(db_session, later, cached, 0, "1")), "Dial")
    assert one(dial, "Number").text == "+16139920000"
    assert len(plans) == 2


def test_a_kept_plan_costs_no_query(db_session: Session, campaign: Campaign) -> None:
    plans = PlanCache()
    call = new_call(db_session, campaign)
    with statements(db_session) as first:
        built = plans.get(db_session, call, TRANSLATE)
    assert first  # the first webhook reads the database
    with statements(db_session) as again:
        assert plans.get(db_session, call, TRANSLATE) is built
    assert again == []


def test_the_cache_drops_the_least_recently_used_and_the_expired(
    db_session: Session, campaign: Campaign
) -> None:
    now = [0.0]
    plans = PlanCache(size=2, ttl_s=60, clock=lambda: now[0])
    a, b, c = (new_call(db_session, campaign, phone=f"613-555-01{n}") for n in (42, 43, 44))

    def kept(call: CallRequest) -> FlowPlan:
        """The plan, failing if it had to be built again."""
        with statements(db_session) as seen:
            plan = plans.get(db_session, call, TRANSLATE)
        assert seen == [], "rebuilt"
        return plan

    plans.get(db_session, a, TRANSLATE)
    plans.get(db_session, b, TRANSLATE)
    kept(a)  # a is now the most recently used
    plans.get(db_session, c, TRANSLATE)  # drops b
    assert len(plans) == 2
    kept(a)
    kept(c)
    with statements(db_session) as seen:
        plans.get(db_session, b, TRANSLATE)
    assert seen  # b was dropped: built again
    now[0] = 61.0
    with statements(db_session) as seen:
        plans.get(db_session, c, TRANSLATE)
    assert seen  # expired: built again


def test_a_replayed_dial_action_writes_nothing(db_session: Session, campaign: Campaign) -> None:
    call = new_call(db_session, campaign)
    ctx = context()
    webhooks.gather(db_session, call, ctx, 0, "1")
    first = webhooks.dialled(
        db_session, call, ctx, step=0, office=0, dial_status="completed", duration=45
    )
    db_session.commit()
    with statements(db_session) as seen:
        again = webhooks.dialled(
            db_session, call, ctx, step=0, office=0, dial_status="completed", duration=45
        )
        db_session.commit()
    assert again == first
    writes = [sql for sql in seen if not sql.lstrip().upper().startswith("SELECT")]
    assert writes == []


# -- Shared by every process through Redis --------------------------------------------------


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "per-process"])
def test_two_processes_give_a_call_one_plan_only_when_they_share_redis(
    db_session: Session, campaign: Campaign, redis_url: str, shared: bool
) -> None:
    stores = [RedisPlans(redis_url) for _ in range(2)] if shared else []
    first, second = (PlanCache(shared=stores[n] if shared else None) for n in range(2))
    try:
        call = new_call(db_session, campaign)
        before = first.get(db_session, call, TRANSLATE)  # one process answers the call
        # The organiser edits the intro and the office's number mid-call ...
        campaign.call_intro_en = "A new intro."
        hill_office(db_session).phone = "+16139920000"
        db_session.commit()
        # ... and the call's next webhook reaches another process.
        after = second.get(db_session, call, TRANSLATE)
        if shared:
            assert after == before
            assert after.stops[0].legs[0].number == SPADINA_HILL
        else:  # each process builds its own: the call changes course half-way
            assert after.intro == "A new intro."
            assert after.stops[0].legs[0].number == "+16139920000"
    finally:
        for store in stores:
            store.close()


def test_a_shared_plan_expires_with_the_cache_and_reads_back_whole(
    db_session: Session, campaign: Campaign, redis_url: str
) -> None:
    call = new_call(db_session, campaign)
    built = plan_cache.build(db_session, call, TRANSLATE)
    assert plan_store.load(plan_store.dump(built)) == built
    store = RedisPlans(redis_url)
    client = redis.Redis.from_url(redis_url)
    try:
        assert store.keep_first(call.public_id, built) is built
        ttl = client.ttl(plan_store.PREFIX + call.public_id)
        assert 0 < ttl <= plan_cache.CACHE_TTL_S
        assert store.get(call.public_id) == built
        assert store.get("no-such-call") is None
    finally:
        client.close()
        store.close()


def test_a_dead_redis_leaves_each_process_building_its_own_plan(
    db_session: Session, campaign: Campaign
) -> None:
    store = RedisPlans(f"redis://127.0.0.1:{free_port()}/0")
    try:
        call = new_call(db_session, campaign)
        plan = PlanCache(shared=store).get(db_session, call, TRANSLATE)
        assert plan == plan_cache.build(db_session, call, TRANSLATE)
    finally:
        store.close()


def test_an_app_shares_plans_only_when_a_redis_url_is_set(
    make_app: Callable[..., Flask], redis_url: str
) -> None:
    assert isinstance(call_service(make_app(REDIS_URL=redis_url)).plans.shared, RedisPlans)
    assert call_service(make_app()).plans.shared is None
