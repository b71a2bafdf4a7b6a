"""Behind reverse proxies: CALLMP_PROXY_HOPS decides whose X-Forwarded-* headers count.

The per-IP limit on call requests (2 an hour here) shows which address the app counts;
HSTS, the session cookie's Secure flag and the absolute links show which scheme and
host it believes. With 0 hops a client's forwarded headers change none of these.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from http.client import HTTPMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from callmp.config import REPO_ROOT
from callmp.demo import DEMO_SLUG
from callmp.models import MessageKind
from tests.support.app import PUBLIC_URL, sessions, twilio_settings
from tests.support.html import parse
from tests.support.letters import messages
from tests.support.redis_server import free_port
from tests.support.twilio_http import placed_call, twilio_params, webhook, xml
from tests.support.twilio_standin import TwilioStandIn
from tests.support.twiml_doc import one, path

CALLS = f"/api/v1/campaigns/{DEMO_SLUG}/calls"
TORONTO = "M5V 3L9"
LIMIT = 2  # call requests per IP per hour in these tests

CLIENT_A = "203.0.113.5"
CLIENT_B = "203.0.113.6"
PROXY = "10.0.0.2"
OUTER_PROXY = "10.0.0.3"

_phones = iter(range(100, 200))


def ask_call(client: FlaskClient, peer: str, **headers: str) -> tuple[int, str]:
    """Ask for a call (a new phone number each time) from ``peer``; status and refusal."""
    phone = f"613-555-0{next(_phones)}"
    response = client.post(
        CALLS,
        json={"phone": phone, "postal_code": TORONTO},
        headers=headers,
        environ_base={"REMOTE_ADDR": peer},
    )
    body = response.get_json()
    return response.status_code, body.get("reason", "")


def secure_cookie(response: TestResponse) -> bool:
    """Whether the response's session cookie is marked Secure."""
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return "; secure" in cookie.lower()


def shared_addresses(response: TestResponse) -> list[str]:
    """The campaign addresses a thank-you page gives out, built from the request's scheme
    and host: the link to copy, and each share link (decoded: it holds the address)."""
    page = parse(response.data)
    copy = page.select_one("#share-url")
    assert copy is not None
    anchors = page.select(".share a[href]")
    assert anchors
    return [str(copy.get("value", "")), *(unquote(str(a.get("href", ""))) for a in anchors)]


def finished_call_page(client: FlaskClient, **headers: str) -> TestResponse:
    """The status page of a finished call (it gives out the campaign's absolute address)."""
    status_url = client.post(CALLS, json={"phone": "613-555-0142", "postal_code": TORONTO})
    public_id = status_url.get_json()["id"]
    return client.get(
        f"/c/{DEMO_SLUG}/calls/{public_id}", headers=headers, environ_base={"REMOTE_ADDR": PROXY}
    )


SPOOFS = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Ssl": "on",
    "Forwarded": "for=127.0.0.1;proto=https;host=evil.example",
}


# -- No proxy --------------------------------------------------------------------------------


def test_without_a_proxy_spoofed_forwarded_for_does_not_escape_the_ip_limit(
    make_app: Callable[..., Flask], stopped_clock: datetime
) -> None:
    client = make_app(CALL_MAX_PER_IP_PER_HOUR=LIMIT).test_client()
    for n in range(LIMIT):
        assert ask_call(client, CLIENT_A, **{"X-Forwarded-For": f"192.0.2.{n}"})[0] == 202
    assert ask_call(client, CLIENT_A, **{"X-Forwarded-For": "192.0.2.99"}) == (429, "ip_limit")
    assert ask_call(client, CLIENT_A, **{"X-Forwarded-For": f"192.0.2.1, {CLIENT_B}"})[0] == 429
    # Another peer is counted apart, whatever it claims to forward.
    assert ask_call(client, CLIENT_B, **{"X-Forwarded-For": CLIENT_A})[0] == 202


def test_without_a_proxy_the_scheme_and_host_are_the_real_ones(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app().test_client()
    spoofed = client.get("/login", headers=SPOOFS, environ_base={"REMOTE_ADDR": CLIENT_A})
    assert spoofed.status_code == 200
    assert "Strict-Transport-Security" not in spoofed.headers
    assert not secure_cookie(spoofed)
    page = finished_call_page(client, **SPOOFS)
    shared = shared_addresses(page)
    assert shared[0].startswith(f"http://localhost/c/{DEMO_SLUG}?")
    assert all(f"http://localhost/c/{DEMO_SLUG}?" in link for link in shared)
    # The same app over real HTTPS: HSTS and a Secure cookie.
    real = make_app().test_client().get("/login", base_url="https://callmp.example")
    assert "max-age=" in real.headers["Strict-Transport-Security"]
    assert secure_cookie(real)


# -- One proxy -------------------------------------------------------------------------------


def test_behind_one_proxy_the_address_it_appended_is_counted(
    make_app: Callable[..., Flask], stopped_clock: datetime
) -> None:
    client = make_app(PROXY_HOPS=1, CALL_MAX_PER_IP_PER_HOUR=LIMIT).test_client()
    for n in range(LIMIT):
        forwarded = {"X-Forwarded-For": f"192.0.2.{n}, {CLIENT_A}"}
        assert ask_call(client, PROXY, **forwarded)[0] == 202
    assert ask_call(client, PROXY, **{"X-Forwarded-For": CLIENT_A}) == (429, "ip_limit")
    # B claims to be A, and the proxy appends B's real address: B is counted as B.
    assert ask_call(client, PROXY, **{"X-Forwarded-For": f"{CLIENT_A}, {CLIENT_B}"})[0] == 202
    assert ask_call(client, PROXY, **{"X-Forwarded-For": CLIENT_B})[0] == 202
    assert ask_call(client, PROXY, **{"X-Forwarded-For": CLIENT_B})[0] == 429


def test_behind_one_proxy_https_makes_secure_cookies_hsts_and_https_links(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(PROXY_HOPS=1).test_client()
    forwarded = {
        "X-Forwarded-For": CLIENT_A,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "calls.example.org",
    }
    login = client.get("/login", headers=forwarded, environ_base={"REMOTE_ADDR": PROXY})
    assert "max-age=" in login.headers["Strict-Transport-Security"]
    assert secure_cookie(login)
    page = finished_call_page(client, **forwarded)
    shared = shared_addresses(page)
    assert shared[0].startswith(f"https://calls.example.org/c/{DEMO_SLUG}?")
    assert all(f"https://calls.example.org/c/{DEMO_SLUG}?" in link for link in shared)
    # The proxy says the client came over plain HTTP: no HSTS, no Secure flag.
    plain = make_app(PROXY_HOPS=1).test_client()
    http = plain.get(
        "/login",
        headers={**forwarded, "X-Forwarded-Proto": "http"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert "Strict-Transport-Security" not in http.headers
    assert not secure_cookie(http)


def test_behind_one_proxy_a_client_appending_its_own_https_claim_is_ignored(
    make_app: Callable[..., Flask],
) -> None:
    # The client wrote "https"; the proxy appended the real scheme, "http".
    client = make_app(PROXY_HOPS=1).test_client()
    response = client.get(
        "/login",
        headers={"X-Forwarded-For": CLIENT_A, "X-Forwarded-Proto": "https, http"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert "Strict-Transport-Security" not in response.headers
    assert not secure_cookie(response)


def test_behind_a_tls_proxy_twilio_signatures_for_the_public_https_url_validate(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = make_app(**twilio_settings(standin, PROXY_HOPS=1))
    client = app.test_client()
    with sessions(app)() as db:
        call = placed_call(app, db)
    target = f"/twilio/calls/{call.public_id}/gather?step=0"
    # The proxy speaks plain HTTP to the app on an inside address; Twilio signed https.
    answer = webhook(
        client,
        target,
        twilio_params(call, Digits="2"),
        token=standin.auth_token,
        signed_url=PUBLIC_URL + target,
        base_url="http://127.0.0.1:8000",
        environ={"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_PROTO": "https"},
    )
    action = one(xml(answer), "Gather").get("action", "")
    assert path(action) == f"{PUBLIC_URL}/twilio/calls/{call.public_id}/gather"
    assert action.startswith("https://")


def test_confirmation_links_use_the_public_url_whatever_host_is_forwarded(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(PROXY_HOPS=1, PUBLIC_URL=PUBLIC_URL, ALLOW_LOCAL_MAIL=True)
    response = app.test_client().post(
        f"/api/v1/campaigns/{DEMO_SLUG}/emails",
        json={"name": "Sam Lee", "email": "sam.lee@example.org", "postal_code": "K2P 1L4"},
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 202
    (confirmation,) = messages(app, MessageKind.confirmation)
    links = [line for line in (confirmation.body or "").split() if "/emails/confirm/" in line]
    assert links and all(link.startswith(f"{PUBLIC_URL}/") for link in links)
    assert "evil.example" not in (confirmation.body or "")


# -- Two proxies -----------------------------------------------------------------------------


def test_behind_two_proxies_the_second_address_from_the_right_is_counted(
    make_app: Callable[..., Flask], stopped_clock: datetime
) -> None:
    client = make_app(PROXY_HOPS=2, CALL_MAX_PER_IP_PER_HOUR=LIMIT).test_client()
    for n in range(LIMIT):
        forwarded = {"X-Forwarded-For": f"192.0.2.{n}, {CLIENT_A}, {PROXY}"}
        assert ask_call(client, OUTER_PROXY, **forwarded)[0] == 202
    spoof = {"X-Forwarded-For": f"{CLIENT_B}, {CLIENT_A}, {PROXY}"}
    assert ask_call(client, OUTER_PROXY, **spoof) == (429, "ip_limit")
    assert ask_call(client, OUTER_PROXY, **{"X-Forwarded-For": f"{CLIENT_B}, {PROXY}"})[0] == 202
    # The outer proxy (CDN) decided the scheme: https is two values from the right.
    login = client.get(
        "/login",
        headers={"X-Forwarded-For": f"{CLIENT_A}, {PROXY}", "X-Forwarded-Proto": "https, http"},
        environ_base={"REMOTE_ADDR": OUTER_PROXY},
    )
    assert secure_cookie(login)
    assert "Strict-Transport-Security" in login.headers


def test_hops_below_zero_are_refused(make_app: Callable[..., Flask]) -> None:
    from callmp.config import ConfigError

    with pytest.raises(ConfigError, match="PROXY_HOPS"):
        make_app(PROXY_HOPS=-1)


# -- Through gunicorn ------------------------------------------------------------------------

#: The gunicorn setting the deployment needs (deploy/gunicorn.conf.py): gunicorn itself
#: believes no forwarded scheme header, so CALLMP_PROXY_HOPS alone decides.
GUNICORN_CONF = "secure_scheme_headers = {}\n"
GUNICORN = (sys.executable, "-m", "gunicorn")


@pytest.fixture
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start gunicorn on loopback with extra CALLMP_ settings; returns its host:port."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> str:
        port = free_port()
        bind = f"127.0.0.1:{port}"
        conf = tmp_path / "gunicorn.conf.py"
        conf.write_text(GUNICORN_CONF)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLMP_")}
        env.update(
            PYTHONPATH=str(REPO_ROOT),
            CALLMP_DATABASE_URL=database_url,
            CALLMP_SECRET_KEY="test-secret",
            CALLMP_DATA_DIR=str(REPO_ROOT / "data"),
            CALLMP_QUEUE="immediate",
            CALLMP_ALLOW_FICTIONAL_PHONES="1",
            CALLMP_MAIL_OUTBOX=str(tmp_path / "outbox"),
            **{f"CALLMP_{key}": value for key, value in settings.items()},
        )
        with (tmp_path / "gunicorn.log").open("wb") as log:
            process = subprocess.Popen(
                [*GUNICORN, "-c", str(conf), "-w", "1", "-b", bind, "wsgi:app"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(bind, "/healthz")[0] == 200:
                    return bind
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.2)
        raise AssertionError((tmp_path / "gunicorn.log").read_text())

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def fetch(
    server: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, HTTPMessage]:
    """Status and headers of a GET (or a POST of ``body``) to ``server`` (host:port)."""
    connection = http.client.HTTPConnection(server, timeout=10)
    try:
        connection.request("GET" if body is None else "POST", target, body, headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


def cookies(headers: HTTPMessage) -> list[str]:
    """The Set-Cookie headers of a response."""
    return headers.get_all("Set-Cookie") or []


@pytest.mark.real_clock("the subprocess counts its limits on the real clock")
def test_through_gunicorn_one_proxy_hop_is_trusted_and_no_more(
    gunicorn: Callable[..., str],
) -> None:
    server = gunicorn(PROXY_HOPS="1", CALL_MAX_PER_IP_PER_HOUR=str(LIMIT))
    # This test is the proxy on 127.0.0.1. A client that claims to be loopback is not:
    # /metrics answers loopback only.
    assert fetch(server, "/metrics")[0] == 200
    assert fetch(server, "/metrics", {"X-Forwarded-For": f"127.0.0.1, {CLIENT_A}"})[0] == 404

    def ask(forwarded_for: str, phone: str) -> int:
        body = f'{{"phone": "613-555-0{phone}", "postal_code": "{TORONTO}"}}'.encode()
        headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
        return fetch(server, CALLS, headers, body)[0]

    asked = [ask(f"192.0.2.{n}, {CLIENT_A}", f"11{n}") for n in range(LIMIT + 1)]
    assert asked == [202] * LIMIT + [429]
    assert ask(f"{CLIENT_A}, {CLIENT_B}", "120") == 202
    # The proxy's https: HSTS and a Secure cookie, even with a contrary X-Forwarded-Ssl
    # (which gunicorn, left to its defaults, would answer with a 400).
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Ssl": "off",
        "X-Forwarded-For": CLIENT_A,
    }
    status, headers = fetch(server, "/login", forwarded)
    assert status == 200
    assert "max-age=" in headers["Strict-Transport-Security"]
    assert cookies(headers) and all("secure" in c.lower() for c in cookies(headers))
    status, headers = fetch(server, "/login", {"X-Forwarded-Proto": "http"})
    assert status == 200
    assert "Strict-Transport-Security" not in headers
    assert cookies(headers) and not any("secure" in c.lower() for c in cookies(headers))


def test_a_request_without_a_session_cookie_gets_an_empty_session_unsigned(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cookie: no signing serializer is built; a cookie is still read and checked."""
    app = make_app()
    interface = app.session_interface
    built: list[int] = []
    serializer = interface.get_signing_serializer  # type: ignore[attr-defined]

    def counted(app: Flask) -> Any:
        built.append(1)
        return serializer(app)

    monkeypatch.setattr(interface, "get_signing_serializer", counted)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert built == []
    # A language asked for is kept in a new cookie, and read back from it next time.
    client.get(f"/c/{DEMO_SLUG}?lang=fr")
    assert built
    page = client.get(f"/c/{DEMO_SLUG}", headers={"Accept-Language": "en"})
    assert 'lang="fr' in page.get_data(as_text=True)
    # A forged cookie is refused as before: a new, empty session (English again).
    forged = app.test_client()
    forged.set_cookie("session", "eyJsYW5nIjoiZnIifQ.forged.signature")
    english = forged.get(f"/c/{DEMO_SLUG}", headers={"Accept-Language": "en"})
    assert 'lang="en' in english.get_data(as_text=True)
