"""Running campaigns and what is made of them, kept per process for one content revision.

The revision is raised by database triggers in the edit's own transaction, so every way
of changing what supporters see (editor, import, correction, SQL by hand) reaches every
process on its next request; supporters' own writes (calls, letters, events) do not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from callmp.campaigns import running
from callmp.demo import DEMO_SLUG
from callmp.models import Channel, ContactCorrection, Outcome
from callmp.views import preload, riding_page
from callmp.views.context import services
from tests.factories import add_event, demo_campaign, make_call_request, mp
from tests.support.app import OFFICES_OPEN, engine, sessions
from tests.support.clock import clock_at
from tests.support.html import form_fields, one, parse
from tests.support.html import text as text_of
from tests.support.statements import statements

SPADINA = 35100
SPADINA_CODE = "M5V 3L9"


def _revision(session: Session) -> int:
    session.rollback()  # a new transaction sees the latest commit
    return running.content_revision(session)


def _edits(session: Session) -> list[tuple[str, Callable[[], None]]]:
    """One change to each watched table, by plain SQL (as a hand fix would be)."""
    campaign = demo_campaign(session)
    member = mp(session, SPADINA)
    office = member.offices[0]

    def run(sql: str, **params: object) -> Callable[[], None]:
        def edit() -> None:
            session.execute(text(sql), params)

        return edit

    return [
        ("campaigns", run("UPDATE campaigns SET title_en = 'New' WHERE id = :i", i=campaign.id)),
        (
            "targets",
            run("UPDATE targets SET position = position WHERE campaign_id = :i", i=campaign.id),
        ),
        ("ridings", run("UPDATE ridings SET name_en = name_en WHERE fed_num = :f", f=SPADINA)),
        ("people", run("UPDATE people SET last_name = 'Z' WHERE id = :i", i=member.id)),
        ("offices", run("UPDATE offices SET phone = '+16135550199' WHERE id = :i", i=office.id)),
        ("offices deleted", run("DELETE FROM offices WHERE id = :i", i=office.id)),
    ]


def test_every_change_to_what_pages_show_raises_the_revision(db_session: Session) -> None:
    for table, edit in _edits(db_session):
        before = _revision(db_session)
        edit()
        db_session.commit()
        assert _revision(db_session) > before, table


def test_a_correction_raises_the_revision(db_session: Session) -> None:
    member = mp(db_session, SPADINA)
    before = _revision(db_session)
    db_session.add(
        ContactCorrection(person_id=member.id, field="email", value="a@example.ca", active=True)
    )
    db_session.commit()
    assert _revision(db_session) > before


def test_a_rolled_back_edit_leaves_the_revision(db_session: Session) -> None:
    before = _revision(db_session)
    for _table, edit in _edits(db_session)[:3]:
        edit()
    db_session.rollback()
    assert _revision(db_session) == before


def test_supporters_own_writes_leave_the_revision(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    before = _revision(db_session)
    make_call_request(db_session, campaign)
    add_event(
        db_session, campaign, mp(db_session, SPADINA), Channel.bridged_call, Outcome.connected
    )
    db_session.commit()
    assert _revision(db_session) == before


def test_the_revision_read_sees_each_commit_and_leaves_its_connection_as_it_came(
    app: Flask, session: Session
) -> None:
    """The read made on every public request: on PostgreSQL in autocommit (one round
    trip), and the pooled connection goes back with transactions on, as sessions expect."""
    probe = services(app).probe_engine
    before = running.revision_now(probe)
    assert before == _revision(session)
    demo_campaign(session).title_en = "Seen at once"
    session.commit()
    assert running.revision_now(probe) == before + 1
    connection = probe.raw_connection()
    try:
        driver = connection.driver_connection
        if probe.dialect.name == "postgresql":
            assert driver is not None and driver.autocommit is False
    finally:
        connection.close()


def test_a_request_after_the_server_dropped_the_probes_connection_is_answered(
    app: Flask, client: FlaskClient
) -> None:
    """The probe pool does not ping: its read fails on a dropped connection, and the
    request's revision is read again on the main pool (which pings) instead of failing."""
    probe = services(app).probe_engine
    if probe.dialect.name == "sqlite":
        assert probe is services(app).engine  # a file: nothing to drop
        return
    page = f"/c/{DEMO_SLUG}/riding/{SPADINA}"  # a page Flask draws: no front layer
    assert client.get(page).status_code == 200
    with services(app).engine.connect() as conn:  # every other connection to this database
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert client.get(page).status_code == 200
    assert client.get(page).status_code == 200


def test_the_cache_keeps_values_for_one_revision() -> None:
    cache = running.RevisionCache()
    made: list[str] = []

    def make(value: str) -> Callable[[], str]:
        def made_now() -> str:
            made.append(value)
            return value

        return made_now

    assert cache.get(5, "k", make("a")) == "a"
    assert cache.get(5, "k", make("b")) == "a"  # kept
    assert cache.get(6, "k", make("c")) == "c"  # a newer revision starts afresh
    assert len(cache) == 1
    # A request that read the revision before a newer one was seen gets a fresh answer
    # and leaves what the newer revision keeps alone.
    assert cache.get(5, "k", make("d")) == "d"
    assert cache.get(6, "k", make("e")) == "c"
    assert made == ["a", "c", "d"]


def test_nothing_is_kept_for_a_missing_value() -> None:
    cache = running.RevisionCache()
    assert cache.get(1, "nope", lambda: None) is None
    assert len(cache) == 0


def test_a_kept_campaign_is_detached_and_reads_without_the_database(
    app: Flask, session: Session
) -> None:
    kept = running.RunningCampaigns()
    revision = running.content_revision(session)
    campaign = kept.get(session, revision, DEMO_SLUG, datetime(2026, 12, 1, tzinfo=UTC))
    assert campaign is not None
    assert kept.get(session, revision, DEMO_SLUG, datetime(2026, 12, 1, tzinfo=UTC)) is campaign
    assert campaign not in session  # the caller's session holds none of it
    with statements(engine(app)) as seen:
        assert inspect(campaign).detached
        for target in campaign.targets:
            assert target.campaign is campaign
            for person in (target.person, target.fallback_person):
                if person is not None:
                    assert inspect(person).detached
                    _ = person.riding, person.correction("email")
                    for office in person.offices:
                        assert office.person is person
                        _ = office.corrections
        _ = campaign.referral_codes
    assert seen == []


def test_a_kept_campaign_still_follows_its_dates(app: Flask, session: Session) -> None:
    campaign = demo_campaign(session)
    ends = datetime(2026, 12, 10, tzinfo=UTC)
    campaign.ends_at = ends
    session.commit()
    kept = running.RunningCampaigns()
    revision = _revision(session)
    assert kept.get(session, revision, DEMO_SLUG, ends - timedelta(seconds=1)) is not None
    assert kept.get(session, revision, DEMO_SLUG, ends) is None  # the same revision, later
    assert kept.get(session, revision, "no-such-campaign", ends) is None


@pytest.mark.parametrize("path", [f"/c/{DEMO_SLUG}", f"/c/{DEMO_SLUG}/riding/{SPADINA}"])
def test_an_edit_made_elsewhere_is_seen_at_once(make_app: Callable[..., Flask], path: str) -> None:
    """Two apps on one database stand for two processes: an edit through one (here by
    SQL, as any process commits) shows on the other's very next request."""
    seen_by, edited_by = make_app(), make_app()
    client = seen_by.test_client()
    assert "Brand new title" not in client.get(path).get_data(as_text=True)
    with sessions(edited_by)() as session:
        demo_campaign(session).title_en = "Brand new title"
        session.commit()
    title = parse(client.get(path).data).select_one("title")
    assert title is not None and "Brand new title" in text_of(title)


def test_the_lookup_answer_follows_a_correction_at_once(make_app: Callable[..., Flask]) -> None:
    seen_by, edited_by = make_app(), make_app()
    client = seen_by.test_client()

    def phones() -> list[str]:
        answer = client.get("/api/v1/lookup", query_string={"postal_code": SPADINA_CODE})
        assert answer.status_code == 200
        return [o["phone"] for o in answer.get_json()["ridings"][0]["member"]["offices"]]

    first = phones()
    assert phones() == first  # kept
    with sessions(edited_by)() as session:
        mp(session, SPADINA).offices[0].phone = "+16135550142"
        session.commit()
    assert phones()[0] != first[0]
    assert phones()[0].replace(" ", "").replace("-", "").endswith("5550142")


def test_the_campaign_page_is_rendered_once_per_revision(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the front layer (tests/views/test_front_cache.py), which would answer the
    # second and third requests before Flask reads the revision.
    app = make_app(FRONT_CACHE_BYTES=0)
    client = app.test_client()
    reads: list[int] = []
    read = running.RevisionReader.read

    def counted(reader: running.RevisionReader) -> int:
        reads.append(read(reader))
        return reads[-1]

    monkeypatch.setattr(running.RevisionReader, "read", counted)
    with statements(engine(app)) as seen:
        pages = [client.get(f"/c/{DEMO_SLUG}") for _ in range(3)]
    assert {p.status_code for p in pages} == {200}
    assert len({p.data for p in pages}) == 1
    assert len(reads) == 3  # one per request (outside the engine's pool: not in ``seen``)
    # The first request loads the campaign (with its portfolio target's holder and office
    # contact) and the counter; the others run no statement beyond the revision.
    assert len(seen) <= 12


def _riding_page(client: FlaskClient) -> str:
    page = client.get(f"/c/{DEMO_SLUG}/riding/{SPADINA}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _tokens(page: str) -> list[str]:
    return [
        str(field.get("value"))
        for field in parse(page).select("input[name$=csrf_token], input[name$=token]")
    ]


def test_the_riding_page_is_rendered_once_and_each_visitor_gets_own_tokens(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[int] = []
    real = riding_page.riding_page

    def counted(slug: str, fed_num: int, **options: Any) -> tuple[str, int]:
        renders.append(fed_num)
        return real(slug, fed_num, **options)

    monkeypatch.setattr(riding_page, "riding_page", counted)
    with clock_at(datetime(2026, 11, 25, 19, 0, 10, tzinfo=UTC)):
        first, second = app.test_client(), app.test_client()
        pages = [_riding_page(first), _riding_page(second), _riding_page(first)]
    assert len(renders) == 1
    # Each visitor's tokens are their own and no stand-in is left in the page.
    tokens = [_tokens(page) for page in pages]
    assert all(tokens) and tokens[0] != tokens[1]
    assert all(
        mark not in page
        for page in pages
        for mark in (riding_page._CSRF_MARK, riding_page._REPORT_MARK, riding_page._TIME_MARK)
    )
    # Apart from the tokens, one page for all.
    bare = {page for page in pages}
    for page, found in zip(pages, tokens, strict=True):
        for token in found:
            page = page.replace(token, "")
        bare.add(page)
    assert len(bare - set(pages)) == 1
    # A minute later the offices' "open now" and local times may differ: only those
    # parts are drawn again (tests/views/test_public.py follows them), not the page.
    with clock_at(datetime(2026, 11, 25, 19, 1, 10, tzinfo=UTC)):
        later = _riding_page(first)
    assert len(renders) == 1
    assert riding_page._TIME_MARK not in later and "office-status" in later


def test_a_visitor_of_the_shared_page_can_still_ask_to_be_called(app: Flask) -> None:
    """The tokens put into the kept page are real: its call form posts."""
    first, second = app.test_client(), app.test_client()
    _riding_page(first)
    form = one(parse(_riding_page(second)), "form#call-form")
    fields = form_fields(form)
    fields |= {"phone": "613-555-0142", "consent": "y"}
    answer = second.post(str(form.get("action")), data=fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]


def test_a_message_waiting_in_the_session_is_shown_on_a_page_of_its_own(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    _riding_page(client)
    with client.session_transaction() as saved:
        saved["_flashes"] = [("mailto-counted", "Counted, thank you")]
    shown = parse(_riding_page(client)).select("p.done")
    assert [text_of(p) for p in shown] == ["Counted, thank you"]
    assert parse(_riding_page(client)).select("p.done") == []  # shown once


def test_loading_uses_the_requests_own_connection(app: Flask, session: Session) -> None:
    """However many requests load at once, none needs a second connection: with a pool of
    one connection, a request holding it still loads its campaign and riding."""
    url = engine(app).url.render_as_string(hide_password=False)
    single = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=1)
    try:
        with Session(single) as request_session:
            revision = running.content_revision(request_session)  # holds the one connection
            kept = running.RunningCampaigns()
            assert kept.get(request_session, revision, DEMO_SLUG, OFFICES_OPEN) is not None
            assert SPADINA in kept.ridings(request_session, revision, [SPADINA])
            assert len(request_session.identity_map) == 0
    finally:
        single.dispose()


def test_every_riding_loads_at_once_the_first_time_any_is_asked_for(
    app: Flask, session: Session
) -> None:
    kept = running.RunningCampaigns()
    revision = running.content_revision(session)
    with statements(engine(app)) as first:
        assert list(kept.ridings(session, revision, [SPADINA])) == [SPADINA]
    with statements(engine(app)) as later:
        found = kept.ridings(session, revision, [10001, SPADINA, 99999, 62001])
    assert first and later == []
    assert sorted(found) == [10001, SPADINA, 62001]  # 99999 is no riding
    assert found[SPADINA].member is not None and inspect(found[SPADINA]).detached


def test_a_preloading_master_keeps_the_campaigns_and_ridings_its_workers_read(
    app: Flask,
    session: Session,
    make_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
) -> None:
    preload._load_content(app)
    kept = services(app).running
    revision = running.content_revision(session)
    with statements(engine(app)) as seen:
        assert kept.get(session, revision, DEMO_SLUG, OFFICES_OPEN) is not None
        assert len(kept.ridings(session, revision, range(10000, 63000))) == 343
    assert seen == []
    # A database not made yet (started before the upgrade) leaves the workers to load.
    empty = make_app(DATABASE_URL="sqlite://")
    with caplog.at_level("WARNING", logger=preload.__name__):
        preload._load_content(empty)
    assert [r.getMessage() for r in caplog.records] == [
        "Not preloading campaigns and ridings: OperationalError"
    ]


def test_a_value_asked_for_by_many_threads_at_once_is_made_once() -> None:
    cache = running.RevisionCache()
    started, release = threading.Event(), threading.Event()
    made: list[int] = []

    def slow() -> str:
        made.append(1)
        started.set()
        assert release.wait(5)
        return "page"

    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(cache.get, 3, "k", slow)
        assert started.wait(5)
        others = [pool.submit(cache.get, 3, "k", slow) for _ in range(7)]
        elsewhere = pool.submit(cache.get, 3, "other", lambda: "another")
        assert elsewhere.result(5) == "another"  # other keys do not wait
        release.set()
        assert [f.result(5) for f in [first, *others]] == ["page"] * 8
    assert made == [1]


def test_a_waiter_whose_maker_failed_makes_its_own() -> None:
    cache = running.RevisionCache()
    started, release = threading.Event(), threading.Event()

    def failing() -> str:
        started.set()
        assert release.wait(5)
        raise RuntimeError("database gone")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.get, 3, "k", failing)
        assert started.wait(5)
        second = pool.submit(cache.get, 3, "k", lambda: "made again")
        release.set()
        with pytest.raises(RuntimeError):
            first.result(5)
        assert second.result(5) == "made again"
    assert cache.get(3, "k", lambda: "not asked") == "made again"


def test_a_value_asked_for_again_while_it_is_made_does_not_wait_for_itself() -> None:
    cache = running.RevisionCache(wait_s=30)

    def outer() -> str:
        return "outer:" + cache.get(3, "k", lambda: "inner")

    assert cache.get(3, "k", outer) == "outer:inner"
