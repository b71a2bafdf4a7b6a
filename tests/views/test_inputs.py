"""Untrusted input at the door: ids in URLs, JSON bodies, NUL characters, body sizes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from callmp.models import User
from callmp.views.inputs import JSON_MAX_BYTES

SLUG = "status-for-all"
TOO_BIG = str(2**63)  # one past a signed 64-bit integer
HUGE = "9" * 40


@pytest.mark.parametrize("number", [TOO_BIG, HUGE, "٣٥١٠٠", "35100²", "-35100"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/c/{slug}/riding/{n}"),
        ("GET", "/c/{slug}/riding/{n}/email"),
        ("POST", "/c/{slug}/riding/{n}/email"),
        ("POST", "/c/{slug}/riding/{n}/call"),
        ("POST", "/c/{slug}/riding/{n}/report"),
    ],
)
def test_a_riding_number_no_database_can_hold_is_a_404(
    client: FlaskClient, method: str, path: str, number: str
) -> None:
    response = client.open(path.format(slug=SLUG, n=number), method=method)
    assert response.status_code == 404


@pytest.mark.parametrize("number", [TOO_BIG, HUGE, "١"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/campaigns/{n}"),
        ("GET", "/admin/campaigns/{n}/dashboard"),
        ("GET", "/admin/campaigns/1/targets/{n}"),
        ("GET", "/admin/people/{n}"),
        ("GET", "/admin/users/{n}"),
        ("GET", "/admin/contacts/people/{n}"),
        ("GET", "/admin/campaigns/1/versions"),
    ],
)
def test_a_staff_id_no_database_can_hold_is_a_404(
    client: FlaskClient, login_as: Callable[..., User], method: str, path: str, number: str
) -> None:
    login_as("admin")
    response = client.open(path.format(n=number), method=method)
    assert response.status_code == 404 or "{n}" not in path


def test_a_version_number_past_the_range_in_the_query_is_a_400(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as("admin")
    for query in (f"a={TOO_BIG}&b=1", "a=1&b=²", f"a={HUGE}&b=1"):
        response = client.get(f"/admin/campaigns/1/versions/compare?{query}")
        assert response.status_code == 400, query


CALLS = f"/api/v1/campaigns/{SLUG}/calls"
EMAILS = f"/api/v1/campaigns/{SLUG}/emails"


@pytest.mark.parametrize("url", [CALLS, EMAILS, "/api/v1/lookup"])
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"phone": ' + b"[" * 20 + b"]" * 20 + b"}",
        b'{"postal_code": "M5V\\u00003L9", "phone": "613-555-0142"}',
        b'{"postal_code": "\\ud800", "phone": "613-555-0142"}',
    ],
    ids=["deep list", "deep object", "too deep a field", "NUL", "lone surrogate"],
)
def test_a_json_body_too_deep_or_unstorable_is_refused_with_a_400(
    client: FlaskClient, url: str, body: bytes
) -> None:
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert isinstance(response.get_json()["error"], str)


def test_a_deep_body_gets_send_a_json_object(client: FlaskClient) -> None:
    body = b"[" * 30_000 + b"]" * 30_000  # under the size limit, past Python's recursion limit
    response = client.post(CALLS, data=body, content_type="application/json")
    assert response.get_json() == {"error": "Send a JSON object.", "reason": "not_json"}


@pytest.mark.parametrize("fed_num", [2**63, 2**64, str(2**63), "٣٥١٠٠", 10**100])
def test_a_riding_number_past_the_range_in_json_is_a_400(
    client: FlaskClient, fed_num: object
) -> None:
    body = {"phone": "613-555-0142", "postal_code": "V6B 9Z9", "fed_num": fed_num}
    response = client.post(CALLS, json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == "fed_num"


def test_a_json_body_over_the_limit_is_a_413_in_json(client: FlaskClient) -> None:
    body = b'{"phone": "' + b"1" * JSON_MAX_BYTES + b'"}'
    response = client.post(CALLS, data=body, content_type="application/json")
    assert response.status_code == 413
    assert isinstance(response.get_json()["error"], str)


def test_a_form_over_the_body_limit_is_a_413(client: FlaskClient) -> None:
    body = b"postal_code=" + b"a" * (2 * 1024 * 1024)
    response = client.post(
        f"/c/{SLUG}", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/c/status%00for-all", None),
        ("GET", "/api/v1/lookup?postal_code=M5V%003L9", None),
        ("POST", f"/c/{SLUG}", {"postal_code": "M5V\x003L9"}),
        ("POST", "/login", {"email": "a\x00@example.com", "password": "x"}),
    ],
)
def test_a_nul_character_anywhere_is_a_400(
    client: FlaskClient, method: str, path: str, data: dict[str, str] | None
) -> None:
    assert client.open(path, method=method, data=data).status_code == 400
