"""The probes for load balancers, and the request id every answer carries."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import values
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, update

from callmp.calls.telephony import LocalTelephony, PlacedCall, TelephonyError
from callmp.db import Base
from callmp.demo import DEMO_SLUG
from callmp.letters.smtp import PermanentMailError
from callmp.models import Campaign
from callmp.ops.metrics import MULTIPROC_ENV
from callmp.views.context import services
from tests.support.app import sessions
from tests.support.worker import queue_settings

OUTSIDE = {"REMOTE_ADDR": "203.0.113.5"}
TOKEN = "metrics-token-for-tests"
PHONE, EMAIL = "613-555-0142", "sam.lee@example.org"
TORONTO, OTTAWA, SPLIT = "M5V 3L9", "K2P 1L4", "V6B 9Z9"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def test_healthz_answers_without_the_database(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/callmp.sqlite3")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_is_ready_with_database_data_and_queue(client: FlaskClient) -> None:
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["checks"] == {"database": "ok", "data": "ok", "queue": "ok"}
    assert body["queue_depth"] == 0


def test_readyz_names_an_unreachable_database(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/callmp.sqlite3")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["database", "data"]


def test_readyz_names_empty_ridings(
    make_app: Callable[..., Flask], empty_database_url: str
) -> None:
    schema = create_engine(empty_database_url)
    Base.metadata.create_all(schema)
    schema.dispose()
    response = make_app(DATABASE_URL=empty_database_url).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["data"] == "no ridings"
    assert response.get_json()["failed"] == ["data"]


def test_readyz_names_a_missing_ridings_table(
    make_app: Callable[..., Flask], empty_database_url: str
) -> None:
    response = make_app(DATABASE_URL=empty_database_url).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["data"] == "no ridings table"


def test_readyz_names_an_unreachable_redis_limiter(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["redis_limiter"]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_readyz_reports_live_redis_and_the_queue_depth(
    make_app: Callable[..., Flask], redis_url: str, tmp_path: Path, kind: str
) -> None:
    app = make_app(**queue_settings(kind, tmp_path, redis_url), RATELIMIT_STORAGE_URI=redis_url)
    client = app.test_client()
    for n in range(3):  # three calls asked for, and no worker to take them
        asked = client.post(
            f"/api/v1/campaigns/{DEMO_SLUG}/calls",
            json={"phone": f"613-555-01{40 + n}", "postal_code": TORONTO},
        )
        assert asked.status_code == 202
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    expected = {"database": "ok", "data": "ok", "redis_limiter": "ok", "queue": "ok"}
    if kind == "redis":
        expected["redis_queue"] = "ok"
    assert body["checks"] == expected
    assert body["queue_depth"] == 3


def test_a_safe_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42"


def test_an_unsafe_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "a b<script>" + "x" * 80})
    echoed = response.headers["X-Request-ID"]
    assert echoed.isalnum()
    assert len(echoed) == 32


def test_probes_take_get_only(client: FlaskClient) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_probes_answer_json_and_set_no_cookie(client: FlaskClient) -> None:
    for path in ("/healthz", "/readyz?ref=abc"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers
        assert response.is_json


# -- /metrics ---------------------------------------------------------------------------------


def scrape(client: FlaskClient) -> Samples:
    """Every sample /metrics shows (from loopback) by (name, sorted labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    found: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def counter(found: Samples, name: str, **labels: str) -> float:
    """A counter's value (0 when the labels were never counted)."""
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_lookups_by_kind(client: FlaskClient) -> None:
    for code in (TORONTO, SPLIT, SPLIT, "12345"):
        client.get("/api/v1/lookup", query_string={"postal_code": code})
    found = scrape(client)
    assert counter(found, "callmp_lookups_total", kind="exact") == 1
    assert counter(found, "callmp_lookups_total", kind="fsa_split") == 2
    assert counter(found, "callmp_lookups_total", kind="invalid") == 1
    ok = {"endpoint": "api.lookup_postal_code", "method": "GET"}
    assert counter(found, "callmp_http_requests_total", **ok, status="200") == 3
    assert counter(found, "callmp_http_requests_total", **ok, status="400") == 1
    latency = (("endpoint", "api.lookup_postal_code"),)
    assert found[("callmp_http_request_duration_seconds_count", latency)] == 4


def test_metrics_count_a_call_request_and_a_letter(app: Flask) -> None:
    client = app.test_client()
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    before = scrape(client)
    call = client.post(
        f"/api/v1/campaigns/{DEMO_SLUG}/calls", json={"phone": PHONE, "postal_code": TORONTO}
    )
    letter = client.post(
        f"/api/v1/campaigns/{DEMO_SLUG}/emails",
        json={"name": "Sam Lee", "email": EMAIL, "postal_code": OTTAWA, "body": "Act, {mp_name}."},
    )
    assert (call.status_code, letter.status_code) == (202, 202)
    after = scrape(client)
    for name, outcome in [("callmp_calls_total", "queued"), ("callmp_calls_total", "placed")]:
        assert counter(after, name, outcome=outcome) == counter(before, name, outcome=outcome) + 1
    recipients = len(letter.get_json()["recipients"])
    assert counter(after, "callmp_letters_total", outcome="queued") == recipients
    assert counter(after, "callmp_letters_total", outcome="sent") == recipients
    assert counter(after, "callmp_calls_total", outcome="failed") == 0
    assert after[("callmp_queue_depth", ())] == 0


class RefusingTelephony(LocalTelephony):
    """Local telephony whose provider refuses every number for good."""

    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        fallback_url: str,
        ring_timeout: int,
    ) -> PlacedCall:
        """Refuse the call: the number is invalid."""
        raise TelephonyError("invalid_number", retryable=False)


class RefusingSender:
    """A mail sender whose server refuses every message for good."""

    def send(self, message: EmailMessage, envelope_from: str = "") -> None:
        """Refuse the message."""
        raise PermanentMailError("550 mailbox unavailable")

    def close(self) -> None:
        """Nothing to release."""


def test_metrics_count_failed_calls_and_letters(app: Flask) -> None:
    with sessions(app)() as session:
        session.execute(update(Campaign).values(email_confirm=False))
        session.commit()
    services(app).calls.telephony = RefusingTelephony()
    services(app).mail.sender = RefusingSender()
    client = app.test_client()
    call = client.post(
        f"/api/v1/campaigns/{DEMO_SLUG}/calls", json={"phone": PHONE, "postal_code": TORONTO}
    )
    letter = client.post(
        f"/api/v1/campaigns/{DEMO_SLUG}/emails",
        json={"name": "Sam Lee", "email": EMAIL, "postal_code": OTTAWA, "body": "Act, {mp_name}."},
    )
    assert (call.status_code, letter.status_code) == (202, 202)
    found = scrape(client)
    assert counter(found, "callmp_calls_total", outcome="failed") == 1
    assert counter(found, "callmp_calls_total", outcome="placed") == 0
    recipients = len(letter.get_json()["recipients"])
    assert counter(found, "callmp_letters_total", outcome="failed") == recipients
    assert counter(found, "callmp_letters_total", outcome="sent") == 0


def test_metrics_hold_no_personal_data(client: FlaskClient) -> None:
    client.post(f"/api/v1/campaigns/{DEMO_SLUG}/calls", json={"phone": PHONE, "postal_code": SPLIT})
    client.post(
        f"/api/v1/campaigns/{DEMO_SLUG}/emails",
        json={"name": "Sam Lee", "email": EMAIL, "postal_code": OTTAWA},
    )
    client.get(f"/riding/{TORONTO}")  # no such route: the path as typed holds a postal code
    text = client.get("/metrics").get_data(as_text=True)
    labels = {
        value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for value in sample.labels.values()
    }
    assert "unmatched" in labels
    for personal in ("5550142", "555-0142", "sam.lee", "example.org", "M5V", "K2P", "V6B"):
        assert personal not in text


def test_metrics_are_hidden_from_other_hosts_without_the_token(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=wrong).status_code == 404
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=basic).status_code == 404
    right = {"Authorization": f"Bearer {TOKEN}"}
    response = client.get("/metrics", environ_base=OUTSIDE, headers=right)
    assert response.status_code == 200
    assert "callmp_http_requests_total" in {
        sample.name
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_without_a_token_setting_need_loopback(client: FlaskClient) -> None:
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    empty = {"Authorization": "Bearer "}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=empty).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_behind_a_proxy_see_the_client_not_the_proxy(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(PROXY_HOPS=1).test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.5"}
    assert client.get("/metrics", headers=forwarded).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


def test_metrics_in_multiprocess_mode_read_the_shared_folder(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.get_value_class())  # type: ignore[no-untyped-call]
    first, second = make_app().test_client(), make_app().test_client()
    first.get("/api/v1/lookup", query_string={"postal_code": TORONTO})
    second.get("/api/v1/lookup", query_string={"postal_code": TORONTO})
    assert any(tmp_path.glob("counter_*.db"))
    found = scrape(first)
    assert counter(found, "callmp_lookups_total", kind="exact") == 2
    assert found[("callmp_queue_depth", ())] == 0
