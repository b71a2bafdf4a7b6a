"""The front layer: public answers that are the same for every stranger, given again
before Flask runs, and only while they still hold."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, update
from werkzeug.test import TestResponse

from callmp.campaigns import running
from callmp.demo import DEMO_SLUG
from callmp.models import Campaign, Channel, Outcome
from callmp.ops import json_logs
from callmp.views import front_cache
from callmp.views.context import services
from tests.factories import add_event, demo_campaign, mp
from tests.support.app import sessions
from tests.support.clock import clock_at
from tests.support.html import one, parse, text

PAGE = f"/c/{DEMO_SLUG}"
COUNTS = f"/api/v1/campaigns/{DEMO_SLUG}/counts?by_office=0"
TORONTO = "M5V 3L9"
Built = Callable[..., tuple[Flask, "Flasks", FlaskClient]]


class Flasks:
    """How many requests reached Flask (a before_request hook counts them)."""

    def __init__(self, app: Flask) -> None:
        self.seen = 0
        app.before_request(self._count)

    def _count(self) -> None:
        self.seen += 1


@pytest.fixture
def counted(make_app: Callable[..., Flask]) -> Built:
    """An app (with extra settings), its Flask counter and a client that keeps no cookie."""

    def build(**overrides: object) -> tuple[Flask, Flasks, FlaskClient]:
        app = make_app(COUNTS_CACHE_SECONDS=300, **overrides)
        return app, Flasks(app), app.test_client(use_cookies=False)

    return build


def _title(response: TestResponse) -> str:
    return text(one(parse(response.data), "h1"))


def test_a_strangers_second_visit_is_answered_without_flask(counted: Built) -> None:
    _app, flasks, client = counted()
    pages = [client.get(PAGE, headers={"X-Request-ID": f"req-{n}"}) for n in range(3)]
    assert flasks.seen == 1
    assert {p.status_code for p in pages} == {200}
    assert len({p.data for p in pages}) == 1
    # Each answer has its own request id and the same security headers.
    assert [p.headers["X-Request-ID"] for p in pages] == ["req-0", "req-1", "req-2"]
    for name in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "Vary"):
        assert len({p.headers.get(name) for p in pages}) == 1, name
    assert all(p.headers.get_all("X-Request-ID") == [p.headers["X-Request-ID"]] for p in pages)
    assert "Set-Cookie" not in pages[0].headers
    # A request id a client made up is replaced, on a kept answer too.
    unsafe = client.get(PAGE, headers={"X-Request-ID": "<script>"})
    assert flasks.seen == 1
    assert unsafe.headers["X-Request-ID"] != "<script>"


def test_an_edit_is_seen_on_the_very_next_request(counted: Built) -> None:
    app, flasks, client = counted()
    before = _title(client.get(PAGE))
    with sessions(app)() as session:
        session.execute(
            update(Campaign).where(Campaign.slug == DEMO_SLUG).values(title_en="Edited")
        )
        session.commit()
    after = client.get(PAGE)
    assert flasks.seen == 2
    assert before != "Edited" and _title(after) == "Edited"
    client.get(PAGE)
    assert flasks.seen == 2  # the new answer is kept in turn


def test_each_language_and_encoding_gets_its_own_answer(counted: Built) -> None:
    _app, flasks, client = counted()
    french = {"Accept-Language": "fr-CA,fr;q=0.9"}
    english = {"Accept-Language": "en-CA"}
    pages = [client.get(PAGE, headers=h) for h in (french, english, french, english)]
    assert flasks.seen == 2
    langs = [str(one(parse(p.data), "html").get("lang")) for p in pages]
    assert [lang[:2] for lang in langs] == ["fr", "en", "fr", "en"]
    plain = client.get(COUNTS)
    zipped = client.get(COUNTS, headers={"Accept-Encoding": "gzip"})
    again = client.get(COUNTS, headers={"Accept-Encoding": "gzip"})
    assert flasks.seen == 4
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == again.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "session=anything"},
        {"Authorization": "Bearer x"},
        {"If-None-Match": '"abc"'},
        {"If-Modified-Since": "Sat, 05 Dec 2026 10:00:00 GMT"},
        {"Range": "bytes=0-10"},
    ],
    ids=["cookie", "authorization", "if-none-match", "if-modified-since", "range"],
)
def test_a_request_with_anything_of_its_own_goes_to_flask(
    counted: Built, headers: dict[str, str]
) -> None:
    _app, flasks, client = counted()
    client.get(PAGE)
    for _ in range(2):
        assert client.get(PAGE, headers=headers).status_code in {200, 206}
    assert flasks.seen == 3


def test_a_conditional_counts_request_still_gets_its_304(counted: Built) -> None:
    _app, flasks, client = counted()
    first = client.get(COUNTS)
    kept = client.get(COUNTS)
    assert flasks.seen == 1 and kept.data == first.data
    again = client.get(COUNTS, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert flasks.seen == 2


def test_a_referral_link_sets_its_cookie_and_is_never_kept(counted: Built) -> None:
    _app, flasks, client = counted()
    for _ in range(2):
        answer = client.get(PAGE, query_string={"ref": "union-local-1"})
        assert answer.status_code == 200
        assert "session=" in answer.headers.get("Set-Cookie", "")
    assert flasks.seen == 2


def test_only_get_is_answered_by_the_layer(counted: Built) -> None:
    _app, flasks, client = counted()
    for _ in range(2):
        assert client.post("/api/v1/lookup", json={"postal_code": TORONTO}).status_code == 200
        assert client.head(PAGE).status_code == 200
    assert flasks.seen == 4


def test_a_kept_page_is_not_given_after_its_campaign_closes(counted: Built) -> None:
    app, flasks, client = counted()
    now = datetime.now(UTC)
    with sessions(app)() as session:
        demo_campaign(session).ends_at = now + timedelta(hours=1)
        session.commit()
    with clock_at(now):
        assert client.get(PAGE).status_code == 200
        assert client.get(PAGE).status_code == 200
    assert flasks.seen == 1
    with clock_at(now + timedelta(hours=2)):
        assert client.get(PAGE).status_code == 404
    assert flasks.seen == 2


def test_the_counter_on_a_kept_page_holds_no_longer_than_the_counters_cache(
    counted: Built,
) -> None:
    app, flasks, client = counted()
    layer = front_cache.layer(app)
    ticks = [1000.0]
    layer.clock = lambda: ticks[0]
    client.get(PAGE)
    # The counter was counted on the real clock just before the page was kept, so the
    # page holds a little under 300 s of the layer's clock: well inside, then well past.
    ticks[0] += 150
    client.get(PAGE)
    assert flasks.seen == 1
    ticks[0] += 200
    client.get(PAGE)
    assert flasks.seen == 2


def test_without_a_counters_cache_nothing_is_kept(make_app: Callable[..., Flask]) -> None:
    app = make_app(COUNTS_CACHE_SECONDS=0)
    flasks = Flasks(app)
    client = app.test_client(use_cookies=False)
    totals = []
    for _ in range(2):
        totals.append(client.get(COUNTS).get_json()["total"])
        client.get(PAGE)
        with sessions(app)() as session:
            campaign = demo_campaign(session)
            add_event(session, campaign, mp(session, 35100), Channel.email, Outcome.sent)
            session.commit()
    assert flasks.seen == 4
    assert totals[1] == totals[0] + 1


def test_a_kept_lookup_is_still_counted_and_logged_without_the_postal_code(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LOG_FORMAT="json")
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, json_logs.JsonFormatter)
    )
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    flasks = Flasks(app)
    client = app.test_client(use_cookies=False)
    try:
        answers = [
            client.get("/api/v1/lookup", query_string={"postal_code": TORONTO}) for _ in range(3)
        ]
    finally:
        logging.getLogger().removeHandler(handler)
    assert flasks.seen == 1
    assert len({a.data for a in answers}) == 1
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "callmp.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/api/v1/lookup", 200)
    ] * 3
    assert [a["request_id"] for a in access] == [r.headers["X-Request-ID"] for r in answers]
    assert "M5V" not in buffer.getvalue() and "3L9" not in buffer.getvalue()
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'callmp_lookups_total{kind="exact"} 3.0' in metrics
    requests = 'endpoint="api.lookup_postal_code",method="GET",status="200"'
    assert f"callmp_http_requests_total{{{requests}}} 3.0" in metrics


def test_an_unknown_postal_code_answer_is_kept_as_a_404(counted: Built) -> None:
    _app, flasks, client = counted()
    answers = [client.get("/api/v1/lookup?postal_code=L3W0G9") for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 404]
    assert flasks.seen == 1
    bad = [client.get("/api/v1/lookup?postal_code=12345") for _ in range(2)]
    assert [a.status_code for a in bad] == [400, 400]
    assert flasks.seen == 3  # a refused code is not an answer worth keeping


def test_a_database_that_does_not_answer_leaves_it_to_flask(counted: Built) -> None:
    app, flasks, client = counted()
    client.get(PAGE)
    layer = front_cache.layer(app)

    def broken() -> int:
        raise ConnectionError("database gone")

    layer.revision = broken
    assert client.get(PAGE).status_code == 200
    assert flasks.seen == 2


def test_answers_bigger_than_a_quarter_of_the_budget_are_not_kept(
    counted: Built,
) -> None:
    app, flasks, client = counted(FRONT_CACHE_BYTES=4096)
    page = client.get(PAGE)
    assert len(page.data) > 1024
    client.get(PAGE)
    assert flasks.seen == 2
    assert len(front_cache.layer(app)) == 0


def test_the_layer_is_off_at_zero_bytes(counted: Built) -> None:
    app, flasks, client = counted(FRONT_CACHE_BYTES=0)
    for _ in range(2):
        client.get(PAGE)
    assert flasks.seen == 2
    assert front_cache.EXTENSION_KEY not in app.extensions


def test_the_revision_is_read_without_a_ping_and_a_dropped_connection_is_read_again(
    counted: Built,
) -> None:
    """On a database server the layer's revision read has a pool of its own without
    ``pool_pre_ping`` (one round trip, not two): a connection the server dropped fails
    that read once, and it is made again on the main pool (which pings), so the kept
    answer is still given."""
    app, flasks, client = counted()
    probe = services(app).probe_engine
    if probe.dialect.name == "sqlite":
        assert probe is services(app).engine  # nothing to ping on a file
        return
    assert probe is not services(app).engine and not probe.pool._pre_ping
    assert client.get(PAGE).status_code == 200 and flasks.seen == 1
    assert client.get(PAGE).status_code == 200 and flasks.seen == 1
    with probe.connect() as conn:
        pids = {conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()}
    with services(app).engine.connect() as conn:
        for pid in pids:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
    reads: list[bool] = []
    again = running.revision_now

    def counted_again(engine: Engine) -> int:
        reads.append(engine is services(app).engine)
        return again(engine)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(running, "revision_now", counted_again)
        assert client.get(PAGE).status_code == 200
        assert client.get(PAGE).status_code == 200
    assert flasks.seen == 1
    assert reads == [False, True, False]  # the dropped probe, the main pool, a new probe
