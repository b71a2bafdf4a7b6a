"""The call API: POST /api/v1/campaigns/<slug>/calls and GET /api/v1/calls/<id>."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from callmp.directory import phones
from callmp.models import (
    BlockedPhone,
    CallRequest,
    CallStatus,
    Campaign,
    Channel,
    ContactEvent,
    Office,
    Outcome,
    Target,
    TargetKind,
)
from tests.support.app import call_service, twilio_settings
from tests.support.twilio_standin import TwilioStandIn

CALLS = "/api/v1/campaigns/status-for-all/calls"
TORONTO = "M5V 3L9"  # exact match: 35100, with an MP
SPLIT = "V6B 9Z9"  # unknown code in an area split between ridings


def _post(client: FlaskClient, body: Any, **headers: str) -> tuple[int, dict[str, Any]]:
    response = client.post(CALLS, json=body, headers=headers)
    return response.status_code, response.get_json()


def test_local_call_is_accepted_walked_through_and_counted(
    client: FlaskClient, session: Session
) -> None:
    status, body = _post(
        client, {"phone": "613-555-0142", "postal_code": TORONTO, "ref": "partner-a"}
    )
    assert status == 202
    assert set(body) == {"id", "status", "status_url"}
    assert "5550142" not in body["id"] and len(body["id"]) >= 20
    assert body["status"] == "completed"  # the inline queue placed and walked it already
    info = client.get(body["status_url"]).get_json()
    assert info["id"] == body["id"]
    assert info["finished"] is True
    assert [t["position"] for t in info["targets"]] == [1, 2]
    assert [a["outcome"] for t in info["targets"] for a in t["attempts"]] == [
        "connected",
        "connected",
    ]
    said = [line["say"] for line in info["transcript"] if "say" in line]
    assert said[0].startswith("Hello from the Status for All campaign")
    dialled = [line["dial"] for line in info["transcript"] if "dial" in line]
    assert len(dialled) == 2 and all(number.startswith("+1613") for number in dialled)
    events = session.scalars(select(ContactEvent).order_by(ContactEvent.id)).all()
    assert [(e.channel, e.outcome, e.referral, e.fed_num) for e in events] == [
        (Channel.bridged_call, Outcome.connected, "partner-a", 35100)
    ] * 2
    call = session.scalars(select(CallRequest)).one()
    assert call.phone is None  # purged once the call ended
    assert call.phone_hmac


def test_status_is_not_cached_and_unknown_ids_are_404(client: FlaskClient) -> None:
    _status, body = _post(client, {"phone": "613-555-0142", "postal_code": TORONTO})
    response = client.get(body["status_url"])
    assert response.headers["Cache-Control"] == "no-store"
    missing = client.get("/api/v1/calls/not-a-real-id")
    assert missing.status_code == 404
    assert "error" in missing.get_json()


@pytest.mark.parametrize(
    ("body", "reason", "field"),
    [
        ({"phone": "613-555-0142"}, "postal_code", "fed_num"),
        ({"phone": "1-800-555-0142", "postal_code": TORONTO}, "toll_free", "phone"),
        ({"phone": "12", "postal_code": TORONTO}, "invalid", "phone"),
        ({"phone": "", "postal_code": TORONTO}, "empty", "phone"),
        ({"phone": "+44 20 7946 0958", "postal_code": TORONTO}, "not_ca_us", "phone"),
        ({"phone": "613-555-0142", "postal_code": "90210"}, "us_zip", "postal_code"),
        ({"phone": "613-555-0142", "postal_code": TORONTO, "fed_num": 24037}, None, "fed_num"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    client: FlaskClient, body: dict[str, Any], reason: str | None, field: str
) -> None:
    status, answer = _post(client, body)
    assert status == 400
    assert answer["field"] == field
    assert answer["error"]
    if reason:
        assert answer["reason"] == reason


def test_non_json_body_is_refused(client: FlaskClient) -> None:
    response = client.post(CALLS, data="phone=6135550142", content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json()["reason"] == "not_json"
    assert client.post(CALLS, json=["a", "list"]).status_code == 400


def test_unknown_campaign_is_a_json_404(client: FlaskClient) -> None:
    response = client.post("/api/v1/campaigns/nope/calls", json={"phone": "613-555-0142"})
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_split_area_asks_for_the_riding_then_accepts_one_of_its_candidates(
    client: FlaskClient,
) -> None:
    status, answer = _post(client, {"phone": "613-555-0142", "postal_code": SPLIT})
    assert status == 400
    assert answer["reason"] == "choose_riding"
    choices = [riding["fed_num"] for riding in answer["ridings"]]
    assert len(choices) >= 2
    status, accepted = _post(
        client, {"phone": "613-555-0142", "postal_code": SPLIT, "fed_num": str(choices[1])}
    )
    assert status == 202, accepted


def test_errors_come_in_the_language_asked_for(client: FlaskClient) -> None:
    status, answer = _post(
        client, {"phone": "1-800-555-0142", "postal_code": TORONTO, "lang": "fr"}
    )
    assert status == 400
    assert "sans frais" in answer["error"]
    status, answer = _post(
        client, {"phone": "12", "postal_code": TORONTO}, **{"Accept-Language": "fr-CA"}
    )
    assert status == 400
    assert "numéro" in answer["error"]


def test_a_number_is_called_only_a_few_times_an_hour(client: FlaskClient, app: Flask) -> None:
    limit = call_service(app).settings.max_per_phone_per_hour
    for _ in range(limit):
        assert _post(client, {"phone": "613-555-0142", "postal_code": TORONTO})[0] == 202
    status, answer = _post(client, {"phone": "(613) 555-0142", "postal_code": TORONTO})
    assert status == 429
    assert answer["reason"] == "phone_limit"
    # Another number from the same connection is still fine.
    assert _post(client, {"phone": "613-555-0143", "postal_code": TORONTO})[0] == 202


def test_one_connection_may_ask_for_only_so_many_calls(make_app: Callable[..., Flask]) -> None:
    client = make_app(CALL_MAX_PER_IP_PER_HOUR=2).test_client()
    for last in ("41", "42"):
        assert _post(client, {"phone": f"613-555-01{last}", "postal_code": TORONTO})[0] == 202
    status, answer = _post(client, {"phone": "613-555-0143", "postal_code": TORONTO})
    assert (status, answer["reason"]) == (429, "ip_limit")


def test_a_blocked_number_is_refused(client: FlaskClient, app: Flask, session: Session) -> None:
    key = call_service(app).settings.hmac_key
    session.add(BlockedPhone(phone_hmac=phones.phone_hmac("+16135550142", key)))
    session.commit()
    status, answer = _post(client, {"phone": "613 555 0142", "postal_code": TORONTO})
    assert (status, answer["reason"]) == (400, "blocked")
    assert session.scalar(select(func.count()).select_from(CallRequest)) == 0


def test_campaign_without_bridged_calls_refuses(client: FlaskClient, session: Session) -> None:
    session.execute(update(Campaign).values(bridged_calls=False))
    session.commit()
    status, answer = _post(client, {"phone": "613-555-0142", "postal_code": TORONTO})
    assert (status, answer["reason"]) == (400, "no_bridged_calls")


def test_nobody_to_dial_is_reported_before_anything_is_stored(
    client: FlaskClient, session: Session
) -> None:
    campaign = session.scalars(select(Campaign)).one()
    session.execute(
        update(Target)
        .where(Target.campaign_id == campaign.id, Target.kind == TargetKind.person)
        .values(position=9)
    )
    session.query(Target).filter(Target.position == 9).delete()
    session.execute(update(Office).values(phone=""))
    session.commit()
    status, answer = _post(client, {"phone": "613-555-0142", "postal_code": TORONTO})
    assert (status, answer["reason"]) == (400, "no_number")
    assert session.scalar(select(func.count()).select_from(CallRequest)) == 0


def test_phone_numbers_stay_out_of_logs_and_answers(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _status, body = _post(client, {"phone": "613-555-0142", "postal_code": TORONTO})
    info = client.get(body["status_url"]).get_data(as_text=True)
    for text in [record.getMessage() for record in caplog.records] + [json.dumps(body), info]:
        assert "5550142" not in text.replace("-", "").replace(" ", "")


def test_twilio_mode_places_the_call_through_the_sdk(make_app: Callable[..., Flask]) -> None:
    with TwilioStandIn() as standin:
        app = make_app(**twilio_settings(standin))
        status, body = _post(app.test_client(), {"phone": "613-555-0142", "postal_code": TORONTO})
        assert status == 202
        assert body["status"] == "ringing"
        (created,) = [r for r in standin.requests if r.method == "POST"]
        assert created.params["To"] == ["+16135550142"]
        assert created.params["From"] == ["+16135550199"]
        assert created.params["Url"] == [f"https://callmp.example/twilio/calls/{body['id']}/answer"]
        info = app.test_client().get(body["status_url"]).get_json()
        assert info["finished"] is False
        assert info["transcript"] is None
        assert "ringing" in info["message"]


# -- 200 concurrent requests through a real HTTP server --------------------------------


@pytest.fixture
def served(make_app: Callable[..., Flask]) -> Iterator[tuple[str, int]]:
    """The app behind Werkzeug's threaded server on a free loopback port."""
    app = make_app(CALL_MAX_PER_IP_PER_HOUR=10_000)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_port
    server.shutdown()
    thread.join(5)


def _numbers(count: int) -> list[str]:
    """``count`` distinct fictional numbers (100 per area code)."""
    areas = ["613", "416", "514", "604"]
    return [f"{areas[i // 100]}-555-01{i % 100:02d}" for i in range(count)]


def test_two_hundred_concurrent_requests_are_all_stored_and_counted(
    served: tuple[str, int], session: Session
) -> None:
    host, port = served

    def ask(phone: str) -> int:
        """POST as a well-behaved client: a 503 with Retry-After is sent again."""
        for _attempt in range(5):
            connection = http.client.HTTPConnection(host, port, timeout=60)
            try:
                body = json.dumps({"phone": phone, "postal_code": TORONTO})
                connection.request("POST", CALLS, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                if response.status != 503 or not response.getheader("Retry-After"):
                    return response.status
            finally:
                connection.close()
            time.sleep(0.5)  # shorter than Retry-After: the test only needs another try
        return 503

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(ask, _numbers(200)))
    assert statuses == [202] * 200
    assert session.scalar(select(func.count()).select_from(CallRequest)) == 200
    done = select(func.count()).select_from(CallRequest)
    assert session.scalar(done.where(CallRequest.status == CallStatus.completed)) == 200
    per_call = session.execute(
        select(ContactEvent.call_request_id, func.count())
        .group_by(ContactEvent.call_request_id)
        .order_by(ContactEvent.call_request_id)
    ).all()
    assert len(per_call) == 200
    assert {count for _id, count in per_call} == {2}  # each call reached both targets once


def test_behind_a_proxy_the_ip_limit_uses_the_forwarded_address(
    make_app: Callable[..., Flask],
) -> None:
    proxied = make_app(PROXY_HOPS=1, CALL_MAX_PER_IP_PER_HOUR=1).test_client()
    first = {"phone": "613-555-0141", "postal_code": TORONTO}
    second = {"phone": "613-555-0142", "postal_code": TORONTO}
    assert _post(proxied, first, **{"X-Forwarded-For": "203.0.113.1"})[0] == 202
    assert _post(proxied, second, **{"X-Forwarded-For": "203.0.113.1"})[0] == 429
    assert _post(proxied, second, **{"X-Forwarded-For": "203.0.113.2"})[0] == 202
    # Without a proxy configured the header is not trusted: all share the socket's address.
    direct = make_app(CALL_MAX_PER_IP_PER_HOUR=1).test_client()
    third = {"phone": "613-555-0143", "postal_code": TORONTO}
    fourth = {"phone": "613-555-0144", "postal_code": TORONTO}
    assert _post(direct, third, **{"X-Forwarded-For": "203.0.113.8"})[0] == 202
    assert _post(direct, fourth, **{"X-Forwarded-For": "203.0.113.9"})[0] == 429


def test_at_night_a_local_call_reaches_voicemails_and_counts_them_so(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    call_service(app).clock = lambda: datetime(2026, 11, 29, 3, 0, tzinfo=UTC)  # Saturday night
    status, body = _post(client, {"phone": "613-555-0142", "postal_code": TORONTO})
    assert status == 202
    outcomes = [e.outcome for e in session.scalars(select(ContactEvent)).all()]
    assert outcomes == [Outcome.left_voicemail, Outcome.left_voicemail]
    info = client.get(body["status_url"]).get_json()
    labels = [a["outcome_label"] for t in info["targets"] for a in t["attempts"]]
    assert labels == ["Left a voicemail"] * 2
