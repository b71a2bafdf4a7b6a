"""The burst limit on public writes (Flask-Limiter): one budget per client address for every
POST of the public pages and the API, answered with the app's own 429, and shared by every
process when its counts live in Redis.

Two apps built by ``make_app`` stand for two processes: each has its own limiter and, with
``memory://``, its own counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from callmp.config import ConfigError, load_config
from callmp.demo import DEMO_SLUG
from tests.support.html import one, parse
from tests.support.redis_server import free_port

LOOKUP_API = "/api/v1/lookup"
LOOKUP_FORM = f"/c/{DEMO_SLUG}"
CALLS_API = f"/api/v1/campaigns/{DEMO_SLUG}/calls"
BUDGET = 3
BURST = f"{BUDGET} per hour"  # an hour: no window ends half-way through a test
OTTAWA = {"postal_code": "K2P 1L4"}


def post_lookup(client: FlaskClient, address: str = "203.0.113.7") -> int:
    """POST a postal-code lookup to the API from ``address``; the status code."""
    response = client.post(LOOKUP_API, json=OTTAWA, environ_base={"REMOTE_ADDR": address})
    return response.status_code


def test_every_public_write_draws_on_one_budget_then_gets_the_friendly_429(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(PUBLIC_WRITE_BURST=BURST).test_client()
    here = {"REMOTE_ADDR": "203.0.113.7"}
    assert post_lookup(client) == 200
    form = client.post(LOOKUP_FORM, data=OTTAWA, environ_base=here)
    assert form.status_code != 429
    call = client.post(CALLS_API, json={"phone": "613-555-0142", **OTTAWA}, environ_base=here)
    assert call.status_code != 429
    # The budget is spent: the API answers in JSON, the pages with the error page.
    refused = client.post(LOOKUP_API, json=OTTAWA, environ_base=here)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "Too many requests. Please wait a little and try again."}
    # The hour's window ends within the hour (its reset is kept in whole seconds).
    assert 0 < int(refused.headers["Retry-After"]) <= 3601
    page = client.post(LOOKUP_FORM, data=OTTAWA, environ_base=here)
    assert page.status_code == 429
    heading = one(parse(page.data), "main h1").get_text(strip=True)
    assert heading == "Too many requests. Please wait a little and try again."
    french = client.post(
        LOOKUP_FORM, data=OTTAWA, environ_base=here, headers={"Accept-Language": "fr-CA"}
    )
    assert "Trop de demandes" in one(parse(french.data), "main h1").get_text()
    # Reading is never limited, and another address has its own budget.
    assert client.get(LOOKUP_FORM, environ_base=here).status_code == 200
    assert client.get(f"{LOOKUP_API}?postal_code=K2P1L4", environ_base=here).status_code == 200
    assert post_lookup(client, "198.51.100.9") == 200


def test_an_empty_setting_turns_the_burst_limit_off(make_app: Callable[..., Flask]) -> None:
    client = make_app(PUBLIC_WRITE_BURST="").test_client()
    assert [post_lookup(client) for _ in range(BUDGET + 2)] == [200] * (BUDGET + 2)


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_two_processes_share_one_budget_only_in_redis(
    make_app: Callable[..., Flask], redis_url: str, shared: bool
) -> None:
    storage = redis_url if shared else "memory://"
    first, second = (
        make_app(PUBLIC_WRITE_BURST=BURST, RATELIMIT_STORAGE_URI=storage).test_client()
        for _ in range(2)
    )
    spent = [post_lookup(first) for _ in range(BUDGET)]
    assert spent == [200] * BUDGET
    then = [post_lookup(second) for _ in range(BUDGET)]
    if shared:
        # The second process sees what the first counted: the address has nothing left.
        assert then == [429] * BUDGET
        assert post_lookup(first) == 429
    else:
        # memory:// counts per process: the same address gets the budget once per process.
        assert then == [200] * BUDGET
        assert post_lookup(second) == 429


def test_the_counts_are_in_redis_under_the_shared_scope(
    make_app: Callable[..., Flask], redis_url: str
) -> None:
    client = make_app(PUBLIC_WRITE_BURST=BURST, RATELIMIT_STORAGE_URI=redis_url).test_client()
    assert post_lookup(client) == 200
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = store.keys("*public-write*")
        assert len(keys) == 1 and "203.0.113.7" in keys[0]
        assert store.get(keys[0]) == "1"
    finally:
        store.close()


def test_a_dead_redis_store_counts_in_memory_instead_of_refusing_supporters(
    make_app: Callable[..., Flask],
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    client = make_app(PUBLIC_WRITE_BURST=BURST, RATELIMIT_STORAGE_URI=dead).test_client()
    answers = [post_lookup(client) for _ in range(BUDGET + 1)]
    assert answers == [200] * BUDGET + [429]


@pytest.mark.parametrize("value", ["lots", "30 per fortnight", "0 per minute"])
def test_a_burst_that_is_not_a_rate_is_refused_at_start(value: str) -> None:
    settings: dict[str, Any] = {"SECRET_KEY": "x", "PUBLIC_WRITE_BURST": value}
    with pytest.raises(ConfigError, match="CALLMP_PUBLIC_WRITE_BURST"):
        load_config(settings, environ={})


def test_reads_do_not_touch_the_limiter_and_spend_no_budget(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET, HEAD and OPTIONS skip the limiter's hooks altogether, and so do POSTs with no
    limit; the public POSTs still count."""
    from flask_limiter import Limiter

    app = make_app(PUBLIC_WRITE_BURST=BURST)
    client = app.test_client()
    here = {"REMOTE_ADDR": "203.0.113.9"}
    seen: list[str] = []
    context: Any = Limiter.context

    def counted(self: Limiter) -> Any:
        seen.append("context")
        return context.fget(self)

    monkeypatch.setattr(Limiter, "context", property(counted))
    for method in ("GET", "HEAD", "OPTIONS"):
        for _ in range(BUDGET + 1):
            assert client.open(LOOKUP_API, method=method, environ_base=here).status_code < 500
        assert client.open(LOOKUP_FORM, method=method, environ_base=here).status_code < 500
    assert seen == []
    # Nor do POSTs outside the public writes: Twilio's webhooks (signed; refused here,
    # unsigned) and the staff login (its own limits) have no burst limit to check.
    for _ in range(BUDGET + 1):
        status = client.post("/twilio/calls/unknown/status", environ_base=here).status_code
        assert status in (403, 404)
        assert client.post("/login", data={}, environ_base=here).status_code < 500
    assert seen == []
    answers = [post_lookup(client, "203.0.113.9") for _ in range(BUDGET + 1)]
    assert answers == [200] * BUDGET + [429]
    assert seen
