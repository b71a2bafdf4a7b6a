"""``flask check``: each check against a real peer on loopback, one line each, no secrets."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme
from click.testing import Result
from flask import Flask

from callmp.config import load_config
from callmp.letters.smtp import SmtpSender
from callmp.ops import deploy_checks
from tests.support.app import mail_service, twilio_settings
from tests.support.smtp_peer import DEFAULT_USERNAME, SmtpPeer, free_port
from tests.support.twilio_standin import TwilioStandIn

SMTP_PASSWORD = "smtp-secret-pw"


class _Site(ThreadingHTTPServer):
    status = 200


class _Handler(BaseHTTPRequestHandler):
    server: _Site

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        """Answer with the site's status and an empty body."""
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def site() -> Iterator[_Site]:
    """A loopback HTTP server standing in for the public URL."""
    server = _Site(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def url_of(site: _Site) -> str:
    """The site's base URL."""
    return f"http://127.0.0.1:{site.server_address[1]}"


def run_check(app: Flask) -> tuple[Result, dict[str, str]]:
    """Run ``flask check``; its result and each check's line by name."""
    result = app.test_cli_runner().invoke(args=["check"])
    lines = {}
    for line in result.output.splitlines():
        status, _, rest = line.partition(" ")
        name, _, _reason = rest.strip().partition(": ")
        if status in ("OK", "FAIL"):
            lines[name] = status
    return result, lines


def test_a_migrated_loaded_local_setup_passes(make_app: Callable[..., Flask], site: _Site) -> None:
    app = make_app(PUBLIC_URL=url_of(site))
    result, lines = run_check(app)
    assert lines == {"settings": "OK", "database": "OK", "data": "OK", "public url": "OK"}
    assert result.exit_code == 0
    assert "ridings" in result.output and "answered 200" in result.output


def test_a_database_not_migrated_fails_with_a_non_zero_exit(
    make_app: Callable[..., Flask], empty_database_url: str
) -> None:
    app = make_app(DATABASE_URL=empty_database_url)
    result, lines = run_check(app)
    assert lines == {"settings": "OK", "database": "FAIL", "data": "FAIL"}
    assert "run migrate" in result.output
    assert result.exit_code == 1


def test_a_public_url_answering_an_error_fails(make_app: Callable[..., Flask], site: _Site) -> None:
    site.status = 503
    result, lines = run_check(make_app(PUBLIC_URL=url_of(site)))
    assert lines["public url"] == "FAIL"
    assert "answered 503" in result.output
    assert result.exit_code == 1


def test_a_public_url_nobody_answers_fails() -> None:
    result = deploy_checks.check_public_url(f"http://127.0.0.1:{free_port()}", timeout=2)
    assert (result.ok, result.name) == (False, "public url")


def smtp_app(make_app: Callable[..., Flask], peer: SmtpPeer, password: str, url: str) -> Flask:
    """An app sending through ``peer`` with STARTTLS and a login."""
    app = make_app(
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=peer.port,
        SMTP_USERNAME=DEFAULT_USERNAME,
        SMTP_PASSWORD=password,
        SMTP_TIMEOUT=5.0,
        PUBLIC_URL=url,
    )
    sender = mail_service(app).sender
    assert isinstance(sender, SmtpSender)
    sender.ssl_context = peer.client_context()
    return app


def test_smtp_login_with_starttls_passes_and_sends_nothing(
    make_app: Callable[..., Flask], tls_ca: trustme.CA, site: _Site
) -> None:
    with SmtpPeer(tls="starttls", ca=tls_ca, username=DEFAULT_USERNAME) as peer:
        app = smtp_app(make_app, peer, peer.password, url_of(site))
        result, lines = run_check(app)
        assert peer.received == []
    assert lines["smtp"] == "OK"
    assert "starttls, logged in" in result.output
    # SMTP mail is a production setup: a memory:// limiter and an http URL fail the rules.
    assert [name for name, status in lines.items() if status == "FAIL"] == ["settings"]
    assert "CALLMP_RATELIMIT_STORAGE_URI" in result.output
    assert result.exit_code == 1


def test_smtp_wrong_password_fails_without_printing_it(
    make_app: Callable[..., Flask], tls_ca: trustme.CA, site: _Site
) -> None:
    with SmtpPeer(tls="starttls", ca=tls_ca, username=DEFAULT_USERNAME) as peer:
        app = smtp_app(make_app, peer, SMTP_PASSWORD, url_of(site))
        result, lines = run_check(app)
    assert lines["smtp"] == "FAIL"
    assert "login refused (535)" in result.output
    assert SMTP_PASSWORD not in result.output
    assert result.exit_code == 1


def test_twilio_credentials_accepted_by_an_account_read(
    make_app: Callable[..., Flask], standin: TwilioStandIn, site: _Site
) -> None:
    app = make_app(**twilio_settings(standin, PUBLIC_URL=url_of(site)))
    result, lines = run_check(app)
    assert lines["twilio"] == "OK"
    assert [(r.method, r.path) for r in standin.requests] == [
        ("GET", f"/2010-04-01/Accounts/{standin.account_sid}.json")
    ]
    assert result.exit_code == 0


def test_twilio_credentials_refused_fail_with_20003_and_no_token(
    make_app: Callable[..., Flask], site: _Site
) -> None:
    with TwilioStandIn(auth_token="the-right-token") as standin:
        settings = twilio_settings(standin, PUBLIC_URL=url_of(site))
        app = make_app(**{**settings, "TWILIO_AUTH_TOKEN": "a-wrong-token"})
        result, lines = run_check(app)
    assert lines["twilio"] == "FAIL"
    assert "credentials refused (20003)" in result.output
    assert "a-wrong-token" not in result.output
    assert result.exit_code == 1


def test_redis_nobody_answers_fails_without_its_password() -> None:
    result = deploy_checks.check_redis(
        f"redis://:redis-secret@127.0.0.1:{free_port()}/0", timeout=2
    )
    assert not result.ok
    assert "redis-secret" not in result.line()
    assert "127.0.0.1" in result.line()


def test_a_redis_that_answers_passes_naming_only_its_host_and_database(redis_url: str) -> None:
    secret_url = redis_url.replace("redis://", "redis://:unused-secret@")
    result = deploy_checks.check_redis(secret_url, "queue", timeout=2)
    host = redis_url.removeprefix("redis://").rsplit("/", 1)[0]
    assert (result.name, result.ok, result.reason) == ("redis queue", True, f"{host}/0 answers")
    assert "unused-secret" not in result.line()


def test_flask_check_passes_with_the_limiter_store_on_a_live_redis(
    make_app: Callable[..., Flask], site: _Site, redis_url: str
) -> None:
    app = make_app(PUBLIC_URL=url_of(site), RATELIMIT_STORAGE_URI=redis_url)
    result, lines = run_check(app)
    assert lines == {
        "settings": "OK",
        "database": "OK",
        "data": "OK",
        "redis limiter": "OK",
        "public url": "OK",
    }
    assert result.exit_code == 0


def test_flask_check_pings_the_queue_and_the_limiter_redis_each_by_name(
    make_app: Callable[..., Flask], redis_url: str
) -> None:
    limiter_url = redis_url.rsplit("/", 1)[0] + "/1"
    app = make_app(QUEUE="redis", REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=limiter_url)
    result, _lines = run_check(app)
    redis_lines = [line for line in result.output.splitlines() if " redis " in line]
    host = redis_url.removeprefix("redis://").rsplit("/", 1)[0]
    assert redis_lines == [
        f"OK   redis queue: {host}/0 answers",
        f"OK   redis limiter: {host}/1 answers",
    ]


def test_the_settings_check_names_each_missing_production_setting() -> None:
    config = load_config(
        environ={
            "CALLMP_MAIL_BACKEND": "smtp",
            "CALLMP_SMTP_HOST": "mail.example.org",
            "CALLMP_PUBLIC_URL": "http://calls.example.org",
        }
    )
    result = deploy_checks.check_settings(config)
    assert not result.ok
    for name in ("CALLMP_SECRET_KEY", "CALLMP_RATELIMIT_STORAGE_URI", "CALLMP_PUBLIC_URL"):
        assert name in result.reason
    assert config["SECRET_KEY"] not in result.line()


def test_the_settings_check_passes_a_complete_production_setup() -> None:
    config = load_config(
        environ={
            "CALLMP_SECRET_KEY": "a-long-shared-secret",
            "CALLMP_MAIL_BACKEND": "smtp",
            "CALLMP_SMTP_HOST": "mail.example.org",
            "CALLMP_PUBLIC_URL": "https://calls.example.org",
            "CALLMP_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/1",
        }
    )
    result = deploy_checks.check_settings(config)
    assert (result.ok, result.reason) == (
        True,
        "production setup (SMTP mail, a public CALLMP_PUBLIC_URL)",
    )


def test_a_limiter_store_redis_cannot_read_fails_plainly() -> None:
    result = deploy_checks.check_redis("redis+sentinel://:pw@127.0.0.1:26379/main")
    assert (result.ok, "pw" in result.line()) == (False, False)
