"""Staff login pages, sessions, rate limits, CSRF, the accounts screen and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp.models import AuditEntry, Role, User
from callmp.views.security import login_limits
from tests.support.app import STAFF_PASSWORD, log_in
from tests.support.html import one, parse, text


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    page = parse(client.get(path).data)
    return str(one(page, "main input[name=csrf_token]")["value"])


def log_in_with_form(
    client: FlaskClient, email: str, password: str, next_path: str = ""
) -> tuple[int, str]:
    """Post the login form; the status and where it redirects."""
    token = csrf_token(client, "/login")
    url = "/login" + (f"?next={next_path}" if next_path else "")
    response = client.post(url, data={"csrf_token": token, "email": email, "password": password})
    return response.status_code, response.headers.get("Location", "")


def test_staff_pages_send_visitors_to_the_login_form(client: FlaskClient) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_login_email_autofills_as_an_email(client: FlaskClient) -> None:
    field = one(parse(client.get("/login").data), "input[name=email]")
    assert (field["type"], field["autocomplete"]) == ("email", "email")


def test_login_with_the_right_password_opens_the_staff_pages(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.admin)
    status, location = log_in_with_form(client, admin.email.upper(), STAFF_PASSWORD, "/admin/users")
    assert (status, location) == (302, "/admin/users")
    page = parse(client.get("/admin/users").data)
    assert admin.email in [text(a) for a in page.select("table.data a")]


def test_wrong_password_and_unknown_address_get_the_same_message(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.lead)
    answers = []
    for email, password in ((user.email, "not the password"), ("nobody@example.org", "x" * 12)):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"csrf_token": token, "email": email, "password": password}
        )
        assert response.status_code == 401
        page = parse(response.data)
        answers.append(text(one(page, ".error")))
        assert one(page, "input[name=email]")["value"] == email  # what was typed stays
        assert one(page, "input[name=password]").get("value") in (None, "")
    assert answers[0] == answers[1]
    assert client.get("/admin").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_redirects_off_site(
    client: FlaskClient, make_user: Callable[..., User], target: str
) -> None:
    user = make_user(Role.lead)
    status, location = log_in_with_form(client, user.email, STAFF_PASSWORD, target)
    assert status == 302
    assert location == "/admin"


def test_login_without_a_csrf_token_is_refused(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.lead)
    response = client.post("/login", data={"email": user.email, "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "expired" in text(one(parse(response.data), "main"))
    assert client.get("/admin").status_code == 302


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def limited_app(make_app: Callable[..., Flask], clock: Clock, **settings: object) -> Flask:
    """An app whose login limits read ``clock``."""
    app = make_app(**settings)
    login_limits(app).clock = clock
    return app


def try_login(app: Flask, email: str, password: str, address: str) -> tuple[int, str]:
    """One login from ``address`` in a fresh browser: the status and its Retry-After."""
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, response.headers.get("Retry-After", "")


def test_wrong_passwords_from_one_address_wait_longer_and_longer(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    clock = Clock()
    app = limited_app(make_app, clock, LOGIN_FREE_TRIES=3, LOGIN_FIRST_WAIT_SECONDS=30)
    user = make_user(Role.lead)
    attacker = "203.0.113.66"
    codes = [try_login(app, user.email, "wrong", attacker) for _ in range(4)]
    assert codes == [(401, ""), (401, ""), (401, ""), (429, "30")]
    # Even the right password waits: the password is not checked during the wait.
    assert try_login(app, user.email, STAFF_PASSWORD, attacker) == (429, "30")
    clock.advance(31)
    assert try_login(app, user.email, "wrong", attacker) == (401, "")
    assert try_login(app, user.email, "wrong", attacker) == (429, "60")  # twice as long
    clock.advance(61)
    assert try_login(app, user.email, STAFF_PASSWORD, attacker)[0] == 302
    # The right password starts the count again.
    assert try_login(app, user.email, "wrong", attacker) == (401, "")
    # An hour after the last wrong password, the count is forgotten.
    for _ in range(2):
        try_login(app, user.email, "wrong", attacker)
    clock.advance(3601)
    assert try_login(app, user.email, "wrong", attacker) == (401, "")


def test_the_limit_page_says_how_many_minutes_to_wait_in_the_staff_language(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    clock = Clock()
    app = limited_app(make_app, clock, LOGIN_FREE_TRIES=1, LOGIN_FIRST_WAIT_SECONDS=150)
    user = make_user(Role.lead)

    def refusal(lang: str) -> tuple[int, str]:
        client = app.test_client()
        token = csrf_token(client, f"/login?lang={lang}")
        response = client.post(
            "/login",
            data={"csrf_token": token, "email": user.email, "password": "wrong"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
        return response.status_code, text(one(parse(response.data), "p.error"))

    assert refusal("en")[0] == 401
    assert refusal("en") == (429, "Too many wrong passwords. Please wait 3 minutes and try again.")
    clock.advance(100)  # 50 s left: still a whole minute to say
    assert refusal("fr") == (
        429,
        "Trop de mots de passe erronés. Veuillez attendre 1 minute avant de réessayer.",
    )


def test_the_owner_logs_in_from_another_address_while_an_attacker_waits(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    clock = Clock()
    app = limited_app(make_app, clock, LOGIN_FREE_TRIES=3)
    admin = make_user(Role.admin)
    for i in range(6):
        try_login(app, admin.email, f"guess {i}", "203.0.113.66")
    assert try_login(app, admin.email, "guess", "203.0.113.66")[0] == 429
    assert try_login(app, admin.email, STAFF_PASSWORD, "198.51.100.7") == (302, "")


def test_one_address_trying_many_accounts_must_wait(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    clock = Clock()
    app = limited_app(make_app, clock, LOGIN_FREE_TRIES=5, LOGIN_ADDRESS_FREE_TRIES=4)
    user = make_user(Role.lead)
    codes = [try_login(app, f"x{i}@example.org", "wrong", "203.0.113.66")[0] for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    assert try_login(app, user.email, STAFF_PASSWORD, "203.0.113.66")[0] == 429
    assert try_login(app, user.email, STAFF_PASSWORD, "198.51.100.7")[0] == 302


def test_login_limits_are_shared_by_every_process(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    """Two apps on one database stand for two gunicorn workers: one count, not two."""
    clock = Clock()
    first = limited_app(make_app, clock, LOGIN_FREE_TRIES=4)
    second = limited_app(make_app, clock, LOGIN_FREE_TRIES=4)
    user = make_user(Role.lead)
    codes = [
        try_login(worker, user.email, "wrong", "203.0.113.66")[0]
        for worker in (first, second, first, second, first, second)
    ]
    assert codes == [401, 401, 401, 401, 429, 429]


def test_logout_revokes_the_session_so_a_copied_cookie_opens_nothing(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.admin)
    browser = app.test_client()
    assert log_in_with_form(browser, user.email, STAFF_PASSWORD)[0] == 302
    cookie = browser.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    assert copy.get("/admin/users").status_code == 200
    token = csrf_token(browser, "/account/password")
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    response = copy.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    # The account itself still works: logging in again opens a new session.
    assert log_in_with_form(app.test_client(), user.email, STAFF_PASSWORD)[0] == 302


def test_session_cookie_is_http_only_and_same_site_and_secure_when_configured(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    user = make_user(Role.lead)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": STAFF_PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Expires=" in cookie  # a staff login lasts STAFF_SESSION_HOURS, not forever


def test_staff_pages_are_never_cached(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.admin)
    assert client.get("/admin/users").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/c/status-for-all").headers.get("Cache-Control", "")


def test_logout_needs_the_csrf_token_and_ends_the_session(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.organizer)
    assert client.post("/logout").status_code == 400
    token = csrf_token(client, "/account/password")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account/password").status_code == 302


def test_changing_the_password_logs_out_every_other_session(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.lead)
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user)
    log_in(elsewhere, user)
    token = csrf_token(here, "/account/password")
    bad = here.post(
        "/account/password",
        data={"csrf_token": token, "current": STAFF_PASSWORD, "new": "short"},
    )
    assert bad.status_code == 400
    assert "12" in text(one(parse(bad.data), ".error"))
    response = here.post(
        "/account/password",
        data={"csrf_token": token, "current": STAFF_PASSWORD, "new": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert here.get("/account/password").status_code == 200  # this browser stays in
    assert elsewhere.get("/account/password").status_code == 302  # the other is out
    status, _ = log_in_with_form(app.test_client(), user.email, "a brand new passphrase")
    assert status == 302


def test_a_deactivated_account_is_logged_out_at_once(
    app: Flask, make_user: Callable[..., User], session: Session
) -> None:
    user = make_user(Role.lead)
    client = app.test_client()
    log_in(client, user)
    assert client.get("/account/password").status_code == 200
    stored = session.get(User, user.id)
    assert stored is not None
    stored.active = False
    session.commit()
    assert client.get("/account/password").status_code == 302


def test_admin_adds_an_account_and_bad_input_is_shown_next_to_the_field(
    client: FlaskClient, login_as: Callable[..., User], session: Session
) -> None:
    admin = login_as(Role.admin)
    token = csrf_token(client, "/admin/users")
    form = {"csrf_token": token, "email": "new@example.org", "name": "New", "role": "lead"}
    bad = client.post("/admin/users", data={**form, "password": "short"})
    assert bad.status_code == 400
    page = parse(bad.data)
    assert "12" in text(one(page, "#password-error"))
    assert one(page, "input[name=email]")["value"] == "new@example.org"
    good = client.post("/admin/users", data={**form, "password": "twelve chars ok"})
    assert good.status_code == 302
    created = session.query(User).filter_by(email="new@example.org").one()
    assert created.role == Role.lead
    taken = client.post("/admin/users", data={**form, "password": "twelve chars ok"})
    assert taken.status_code == 400
    assert "already exists" in text(one(parse(taken.data), "#email-error"))
    entry = session.query(AuditEntry).filter_by(action="user.create").one()
    assert entry.user_id == admin.id


def test_admin_changes_a_role_and_sets_a_password(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], make_user: Callable[..., User]
) -> None:
    login_as(Role.admin)
    lead = make_user(Role.lead)
    lead_client = app.test_client()
    log_in(lead_client, lead)
    token = csrf_token(client, f"/admin/users/{lead.id}")
    response = client.post(
        f"/admin/users/{lead.id}",
        data={
            "csrf_token": token,
            "name": "Lea",
            "role": "organizer",
            "active": "y",
            "password": "a reset passphrase",
        },
    )
    assert response.status_code == 302
    assert lead_client.get("/account/password").status_code == 302  # reset ends their sessions
    status, _ = log_in_with_form(app.test_client(), lead.email, "a reset passphrase")
    assert status == 302
    bad_role = client.post(
        f"/admin/users/{lead.id}", data={"csrf_token": token, "name": "", "role": "boss"}
    )
    assert bad_role.status_code == 400
    assert client.get("/admin/users/99999").status_code == 404


def test_create_user_command_makes_the_first_admin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "First@Example.org", "--name", "First"],
        input="a good long password\na good long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin account first@example.org" in result.output
    again = runner.invoke(
        args=["create-user", "first@example.org", "--password", "another long one"]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    quiet = runner.invoke(
        args=["create-user", "first@example.org", "--if-missing", "--password", "whatever long"]
    )
    assert quiet.exit_code == 0 and "exists" in quiet.output
    short = runner.invoke(args=["create-user", "b@example.org", "--password", "short"])
    assert short.exit_code != 0 and "at least 12" in short.output
    client = app.test_client()
    status, _ = log_in_with_form(client, "first@example.org", "a good long password")
    assert status == 302
    assert client.get("/admin/users").status_code == 200


def test_the_account_page_sets_the_zone_of_every_staff_page_by_post_only(
    client: FlaskClient, session: Session, login_as: Callable[..., User]
) -> None:
    user = login_as(Role.organizer)
    page = parse(client.get("/account").data)
    assert one(page, 'select[name="zone"] option[selected]')["value"] == "America/Toronto"
    assert client.get("/account/time-zone?zone=America/Halifax").status_code == 405
    token = csrf_token(client, "/account")
    response = client.post(
        "/account/time-zone", data={"csrf_token": token, "zone": "America/Halifax"}
    )
    assert response.status_code == 303
    assert session.get(User, user.id).time_zone == "America/Halifax"  # type: ignore[union-attr]
    page = parse(client.get("/account").data)
    assert one(page, 'select[name="zone"] option[selected]')["value"] == "America/Halifax"
    assert "Atlantic (Halifax)" in text(one(page, "p.flash"))


def test_the_account_page_refuses_a_zone_it_does_not_offer(
    client: FlaskClient, session: Session, login_as: Callable[..., User]
) -> None:
    user = login_as(Role.organizer)
    token = csrf_token(client, "/account")
    response = client.post("/account/time-zone", data={"csrf_token": token, "zone": "Etc/GMT+5"})
    assert response.status_code == 400
    assert one(parse(response.data), '[role="alert"]')
    assert client.post("/account/time-zone", data={"zone": "UTC"}).status_code in (400, 403)
    assert session.get(User, user.id).time_zone == ""  # type: ignore[union-attr]
