"""Security headers on every response: CSP, frames, sniffing, referrer, permissions, HSTS."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from werkzeug.test import TestResponse

from callmp.config import REPO_ROOT
from callmp.models import Role, User
from tests.support.app import DATA_DIR, log_in
from tests.support.routes import every_url

UNSAFE = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:"}


def csp(response: TestResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy"
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in policy, f"{words[0]} given twice"
            policy[words[0]] = words[1:]
    return policy


def permissions(response: TestResponse) -> dict[str, str]:
    """The Permissions-Policy header as feature -> allow list."""
    header = response.headers.get("Permissions-Policy", "")
    found = {}
    for item in header.split(","):
        feature, _sep, allowed = item.strip().partition("=")
        found[feature] = allowed
    return found


def check_headers(response: TestResponse, what: object) -> None:
    """Every security header we promise, parsed."""
    policy = csp(response)
    script = policy.get("script-src", policy.get("default-src"))
    assert script == ["'self'"], what
    assert policy["default-src"] == ["'self'"], what
    assert policy["style-src"] == ["'self'"], what
    assert policy["object-src"] == ["'none'"], what
    assert policy["base-uri"] == ["'none'"], what
    assert policy["frame-ancestors"] == ["'none'"], what
    # MPs' photos too come from this site (views/photos.py): images from nowhere else.
    assert policy["img-src"] == ["'self'"], what
    for sources in policy.values():
        assert not UNSAFE & set(sources), (what, sources)
    assert response.headers["X-Frame-Options"] == "DENY", what
    assert response.headers["X-Content-Type-Options"] == "nosniff", what
    # same-origin, not no-referrer: Flask-WTF checks the Referer of forms sent over HTTPS.
    # A partner's private dashboard has no form and its URL is its key: it sends none.
    private = isinstance(what, tuple) and str(what[0]).startswith("partner_dashboard.")
    referrer = "no-referrer" if private else "same-origin"
    assert response.headers["Referrer-Policy"] == referrer, what
    features = permissions(response)
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features.get(feature) == "()", (what, feature)


def test_every_route_sends_the_security_headers(app: Flask, make_user: Callable[..., User]) -> None:
    visitor, staff = app.test_client(), app.test_client()
    log_in(staff, make_user(Role.admin))
    swept = 0
    for endpoint, methods, url in every_url(app):
        for client in (visitor, staff):
            for method in sorted(methods & {"GET", "POST"}):
                response = client.open(url, method=method, data={})
                response.close()
                what = (endpoint, method, client is staff, response.status_code)
                assert response.status_code < 500, what
                check_headers(response, what)
                assert "Strict-Transport-Security" not in response.headers, what
                swept += 1
    assert swept > 100
    # Error pages too.
    check_headers(visitor.get("/no/such/page"), "404")


def test_hsts_only_over_https(app: Flask) -> None:
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://callmp.example")
    check_headers(secure, "https")
    hsts = dict(
        (part.strip().partition("=")[0], part.strip().partition("=")[2])
        for part in secure.headers["Strict-Transport-Security"].split(";")
    )
    assert int(hsts["max-age"]) >= 180 * 24 * 3600
    assert "includeSubDomains" not in hsts  # other hosts of the organisation are not ours


def test_security_headers_keep_the_session_cookie_settings(make_app: Callable[..., Flask]) -> None:
    """Talisman must not turn the Secure cookie flag on or off behind the settings' back."""
    for secure in (False, True):
        app = make_app(SESSION_COOKIE_SECURE=secure)
        client = app.test_client()
        response = client.get("/login")
        cookie = response.headers.get("Set-Cookie", "")
        assert ("Secure" in cookie) is secure, cookie
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_template_points_at_the_house_of_commons_photos() -> None:
    """The data keeps the House's photo URLs (to match files to members); pages never
    show them: the riding page takes ``member_photo``, the app's own copy."""
    with (DATA_DIR / "mps.csv").open(encoding="utf-8") as file:
        hosts = {urlsplit(row["photo_url"]).netloc for row in csv.DictReader(file)}
    assert "www.ourcommons.ca" in hosts  # what would leak if a template used them
    for template in (REPO_ROOT / "templates").rglob("*.html"):
        assert "photo_url" not in template.read_text(encoding="utf-8"), template.name


TEMPLATES = sorted((REPO_ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.name))
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    """What the CSP would block: inline scripts, event handlers, style attributes."""
    page = BeautifulSoup(template.read_text(encoding="utf-8"), "html.parser")
    for script in page.find_all("script"):
        assert script.get("src"), f"inline <script> in {template.name}"
    assert not page.find_all("style"), f"<style> in {template.name}"
    for tag in page.find_all(True):
        for attribute in tag.attrs:
            assert not attribute.lower().startswith("on"), (template.name, tag.name, attribute)
            assert attribute.lower() != "style", (template.name, tag.name)
        href = str(tag.get("href", ""))
        assert not href.lower().startswith("javascript:"), template.name


@pytest.mark.parametrize("base_url", ["http://callmp.example", "https://callmp.example"])
def test_the_headers_are_the_ones_talisman_sets(app: Flask, base_url: str) -> None:
    """Written once per process, the headers still match a Talisman run on each request."""
    from flask_talisman import Talisman

    from callmp.views.headers import talisman_options

    reference = Flask(__name__)
    Talisman(reference, **talisman_options(session_cookie_secure=False))
    reference.add_url_rule("/healthz", "healthz", lambda: "")
    theirs = reference.test_client().get("/healthz", base_url=base_url).headers
    ours = app.test_client().get("/healthz", base_url=base_url).headers
    names = {name for name, _ in theirs.items()} - {"Content-Type", "Content-Length"}
    assert names >= {"Content-Security-Policy", "Permissions-Policy", "Referrer-Policy"}
    assert ("Strict-Transport-Security" in names) is base_url.startswith("https:")
    for name in names:
        assert ours.getlist(name) == theirs.getlist(name), name


def test_a_security_header_a_view_set_is_replaced_once(make_app: Callable[..., Flask]) -> None:
    """As Talisman did: its headers replace a view's own, never stand beside them."""
    app = make_app()

    @app.get("/own-headers")
    def own_headers() -> tuple[str, dict[str, str]]:
        return "", {"Referrer-Policy": "unsafe-url", "X-Frame-Options": "SAMEORIGIN"}

    response = app.test_client().get("/own-headers")
    assert response.headers.getlist("Referrer-Policy") == ["same-origin"]
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
    check_headers(response, "own headers")
