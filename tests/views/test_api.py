"""GET /api/v1/lookup."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

URL = "/api/v1/lookup"


def _get(client: FlaskClient, code: str, **params: str) -> tuple[int, dict[str, Any]]:
    response = client.get(URL, query_string={"postal_code": code, **params})
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body, dict)
    return response.status_code, body


def test_api_exact_code_returns_riding_member_and_offices(client: FlaskClient) -> None:
    status, body = _get(client, "m5v3l9")
    assert status == 200
    assert body["postal_code"] == "M5V 3L9"
    assert body["certain"] is True
    (riding,) = body["ridings"]
    assert riding["fed_num"] == 35100
    assert riding["name_en"] == "Spadina—Harbourfront"
    assert riding["province"] == "ON"
    member = riding["member"]
    assert member["name"] == "Chi Nguyen"
    assert member["email"] == "chi.nguyen@parl.gc.ca"
    kinds = [office["kind"] for office in member["offices"]]
    assert kinds[0] == "hill" and "constituency" in kinds
    hill = member["offices"][0]
    assert hill["phone"].startswith("+1613")
    assert hill["source"] and hill["as_of"] == "2026-09-02"


def test_api_k1a_matches_the_example(client: FlaskClient) -> None:
    status, body = _get(client, "K1A 0A6")
    assert status == 200
    assert body["postal_code"] == "K1A 0A6"
    assert body["certain"] is False
    assert body["ridings"][0]["fed_num"] == 35079


def test_api_split_fsa_ranks_ridings_most_likely_first(client: FlaskClient) -> None:
    status, body = _get(client, "V6B 9Z9")
    assert status == 200
    assert body["certain"] is False
    shares = [r["share"] for r in body["ridings"]]
    assert len(shares) >= 2
    assert shares == sorted(shares, reverse=True)
    assert 0 < sum(shares) <= 1.0001


def test_api_vacant_seat_has_no_member(client: FlaskClient) -> None:
    status, body = _get(client, "X0A 0H0")
    assert status == 200
    assert body["ridings"][0]["member"] is not None
    status, body = _get(client, "H2X 1Y4")
    vacant = next(r for r in body["ridings"] if r["fed_num"] == 24037)
    assert vacant["member"] is None
    assert vacant["vacant"] is True
    assert vacant["previous_member"]


def test_api_refuses_what_is_not_a_postal_code_with_a_message(client: FlaskClient) -> None:
    for code, reason in [
        ("90210", "us_zip"),
        ("K1D 0A6", "bad_letter"),
        ("", "empty"),
        ("W1A 1A1", "bad_first_letter"),
        ("K1A0A", "length"),
    ]:
        status, body = _get(client, code)
        assert status == 400, code
        assert body["reason"] == reason
        assert isinstance(body["error"], str) and body["error"]


def test_api_without_a_postal_code_is_a_400(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 400
    assert response.get_json()["reason"] == "empty"


def test_api_unknown_area_is_a_404_with_a_message(client: FlaskClient) -> None:
    status, body = _get(client, "L3W 0G9")
    assert status == 404
    assert body["ridings"] == []
    assert body["error"]


def test_api_accepts_a_json_body_so_the_code_stays_out_of_urls(client: FlaskClient) -> None:
    response = client.post(URL, json={"postal_code": "m5v 3l9"})
    assert response.status_code == 200
    assert response.get_json()["ridings"][0]["fed_num"] == 35100
    response = client.post(URL, json={"postal_code": 12345})
    assert response.status_code == 400


def test_api_unknown_route_and_method_answer_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]
    response = client.delete(URL)
    assert response.status_code == 405
    assert response.get_json()["error"]
