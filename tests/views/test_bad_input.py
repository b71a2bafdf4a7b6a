"""The bad-input corpus: every route, form field, JSON field and path variable, no 5xx.

Each test takes one route and sends it bad values: every field of its WTForms classes (or
of its JSON body) gets every value of ``BAD_TEXT`` (and, for JSON, ``BAD_JSON``); every
path variable and query parameter gets them too; then come the envelopes (missing or
wrong CSRF token, duplicated fields, wrong content types, broken JSON, deep nesting, a
body over the size limit) and the other methods. Staff routes are sent as an admin,
public ones anonymously. Any 5xx is collected, and the test fails once with the full list
for its route, so one run shows every route, field and value that fails.

One app and database serve the whole module (the corpus sends thousands of requests);
staff routes work on a campaign and people of their own, so the public routes keep the
demo campaign as seeded.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse
from wtforms import FieldList, Form, FormField

from callmp import create_app
from callmp.models import Campaign, Partner, Role, TargetKind, User
from callmp.views.admin.account_forms import (
    ButtonForm,
    EditUserForm,
    LoginForm,
    NewUserForm,
    PasswordForm,
    ZoneForm,
)
from callmp.views.admin.campaign_forms import CampaignForm, PreviewForm
from callmp.views.admin.contact_forms import CorrectionForm, SearchForm
from callmp.views.admin.dashboard_forms import DashboardForm
from callmp.views.admin.partner_forms import PartnerForm
from callmp.views.admin.privacy_requests import SearchForm as PrivacySearchForm
from callmp.views.admin.target_forms import (
    OwnMpForm,
    PersonForm,
    PersonTargetForm,
    PortfolioTargetForm,
)
from callmp.views.context import services
from callmp.views.petition_forms import PetitionForm
from callmp.views.public_forms import CallForm, EmailForm, LookupForm, ReportForm
from callmp.views.unsubscribe import WithdrawForm
from tests.factories import (
    demo_campaign,
    make_call_request,
    make_campaign,
    make_office,
    make_person,
    make_signature,
    make_target,
    mp,
)
from tests.support.app import (
    OFFICES_OPEN,
    PUBLIC_URL,
    STAFF_PASSWORD,
    TEST_SETTINGS,
    call_service,
    log_in,
    sessions,
)

ALGONQUIN = 35002
TWILIO_TOKEN = "corpus-auth-token"

LONG = "x" * 10_000
#: A million characters: within the app's body limit for forms, over it for JSON.
HUGE = "y" * 1_000_000

#: Bad values for any text field, query parameter or path variable. Bytes are sent as
#: they are (invalid UTF-8); strings are UTF-8.
BAD_TEXT: list[str | bytes] = [
    "",
    " ",
    "\t\r\n \u00a0\u3000",
    LONG,
    HUGE,
    "\x00",
    "a\x00b",
    "\x01\x02\x07\x08\x0b\x0c\x1b[31m\x7f\x85",
    "\r\nBcc: victim@example.com",
    b"\xff\xfe\xfd",
    b"\xed\xa0\x80",  # a UTF-8-encoded lone surrogate
    b"\xc0\xaf",  # an overlong "/"
    "\u202egnp.exe",
    "\u200b\u200d\ufeff\u2028",
    "😀" * 50,
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "²",
    "٣",
    "１２３",
    "߀",
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "9" * 40,
    "1" * 5000,
    "-1",
    "-9223372036854775809",
    "0",
    "0" * 30 + "1",
    "1.5",
    "1e308",
    "NaN",
    "Infinity",
    "-Infinity",
    "true",
    "null",
    "[]",
    "{}",
    "' OR '1'='1' --",
    "1; DROP TABLE person; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ config }} {% debug %}",
    "%(name)s {name} {0} %s",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%00",
    "%",
    "%zz%",
    "K1A 0A6" * 200,
    "+1 613 555 0199 ext. 99999999999999999999",
    "a@b",
    "x" * 250 + "@example.com",
]

#: Bad values for JSON fields: every text value above, and every other JSON type.
BAD_JSON: list[Any] = [
    *(value for value in BAD_TEXT if isinstance(value, str)),
    "\ud800",
    "a\udfffb",
    None,
    True,
    False,
    0,
    -1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**100,
    1.5,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    [],
    ["a", "b"],
    {},
    {"a": {"b": [1]}},
    [[[[[[[[[[]]]]]]]]]],
]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

#: Whole bodies for JSON endpoints: broken, deep, wrongly typed or too big.
JSON_BODIES: list[tuple[str, bytes]] = [
    (JSON, b""),
    (JSON, b"null"),
    (JSON, b"[]"),
    (JSON, b"1"),
    (JSON, b'"text"'),
    (JSON, b"{"),
    (JSON, b'{"a":'),
    (JSON, b"[" * 30_000 + b"]" * 30_000),  # under the size limit, past the recursion limit
    (JSON, b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
    (JSON, b"[" * 100_000 + b"]" * 100_000),  # over the size limit too
    (JSON, b'{"a":' * 30_000 + b"1" + b"}" * 30_000),
    (JSON, b'{"phone": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"),
    (JSON, b"\xff\xfe{}"),
    (JSON, codecs.BOM_UTF8 + b"{}"),
    (JSON, b'{"phone": "1", "phone": "2"}'),
    (JSON, b'{"fed_num": 1e999999}'),
    (JSON, b'{"fed_num": ' + b"1" * 5000 + b"}"),
    (JSON, b'{"postal_code": "\\u0000", "name": "\\u0000"}'),
    (JSON, b'{"postal_code": "\\ud800", "name": "\\udfff"}'),
    (JSON, b'{"fed_num": NaN, "phone": Infinity}'),
    (JSON + "; charset=utf-16", '{"postal_code": "K1A 0A6"}'.encode("utf-16")),
    (JSON, b" " * (2 * 1024 * 1024) + b"{}"),
    (FORM, b"phone=%2B16135550123&postal_code=K1A0A6&fed_num=35002"),
    ("text/plain", b'{"postal_code": "K1A 0A6"}'),
    ("multipart/form-data; boundary=zz", b'--zz\r\nContent-Disposition: form-data; name="a"\r\n'),
    ("application/xml", b"<a/>"),
]

OTHER_METHODS = ("HEAD", "OPTIONS", "PUT", "DELETE", "PATCH")

FormClass = type[Form]
Pairs = list[tuple[str, str | bytes]]


@dataclass(frozen=True)
class Route:
    """What one endpoint reads: its forms' fields, raw fields, query parameters, JSON."""

    endpoint: str
    staff: bool = False
    forms: tuple[FormClass, ...] = ()
    prefix: str = ""
    raw: tuple[str, ...] = ()
    base: tuple[tuple[str, str], ...] = ()
    query: tuple[str, ...] = ()
    json: tuple[str, ...] = ()
    ids: tuple[tuple[str, str], ...] = ()
    twilio: bool = False
    bearer: bool = False  # sends the bounce webhook's token


#: The bounce webhook's bearer token in the corpus app (without it the hook is a 404).
BOUNCE_TOKEN = "corpus-bounce-token"

CALL_FIELDS = ("phone", "postal_code", "fed_num", "ref", "lang")
EMAIL_FIELDS = (
    "name",
    "email",
    "postal_code",
    "city",
    "fed_num",
    "subject",
    "body",
    "personal_line",
    "consent_followup",
    "ref",
    "lang",
)

ROUTES: list[Route] = [
    # Supporters
    Route("public.home", query=("lang", "ref", "src")),
    Route("privacy.site", query=("lang",)),
    Route("privacy.campaign", query=("lang",)),
    Route("public.campaign", forms=(LookupForm,), query=("lang", "ref", "src")),
    Route("public.choose"),
    Route("embed.campaign", query=("lang", "ref", "s")),
    Route("embed.script"),
    Route("public.riding"),
    Route("call.call_me", forms=(CallForm,)),
    Route("call.status"),
    Route("call.report", forms=(ReportForm,), prefix="t{report_target}", raw=("target_id",)),
    Route("email.write"),
    Route("email.submit", forms=(EmailForm,), raw=("action", "token"), base=(("action", "send"),)),
    Route("email.status"),
    Route("email.confirm_page"),
    Route("email.confirm", raw=("token",)),
    Route("email.outbox"),
    Route(
        "petition.page",
        forms=(PetitionForm,),
        raw=("action",),
        base=(("action", "sign"),),
        query=("lang", "ref", "src"),
    ),
    Route("petition.thanks", ids=(("public_id", "signature"),)),
    Route("petition.confirm_page"),
    Route("petition.confirm", raw=("token",)),
    # Withdrawing consent: the one-click link (RFC 8058's body) and the page
    Route("unsubscribe.link", raw=("List-Unsubscribe",), base=(("List-Unsubscribe", "One-Click"),)),
    Route("unsubscribe.page", forms=(WithdrawForm,)),
    Route("email.outbox_message"),
    Route("static"),
    Route("photos.photo"),
    Route("share_images.default_image", query=("v",)),
    Route("branding.brand_css", query=("v",)),
    Route("branding.image"),
    # JSON API
    Route("api.lookup_postal_code", query=("postal_code",), json=("postal_code",)),
    Route("api.campaign_counts", query=("by_office",)),
    Route("api.campaign_consent"),
    Route("api.create_call", json=CALL_FIELDS),
    Route("api.call_status"),
    Route("api.create_email", json=EMAIL_FIELDS),
    # Probes for load balancers
    Route("ops.healthz"),
    Route("ops.readyz"),
    Route("ops.metrics"),
    # Twilio's webhooks (signed, as Twilio would)
    Route("twilio.answer", raw=("CallSid",), twilio=True),
    Route("twilio.gather", raw=("Digits",), query=("step",), twilio=True),
    Route(
        "twilio.dial",
        raw=("DialCallDuration", "DialCallStatus"),
        query=("step", "office"),
        base=(("DialCallDuration", "12"), ("DialCallStatus", "completed")),
        twilio=True,
    ),
    Route("twilio.status", raw=("CallSid", "CallStatus"), twilio=True),
    Route("twilio.fallback", query=("lang", "office"), twilio=True),
    # The mail provider's bounce webhook (a raw DSN, or the form field ``message``)
    Route("bounces.receive", raw=("message",), bearer=True),
    # Staff
    Route("auth.login", forms=(LoginForm,), query=("next",)),
    Route("auth.logout", staff=True, forms=(ButtonForm,)),
    Route("auth.password", staff=True, forms=(PasswordForm,)),
    Route("auth.account", staff=True),
    Route("auth.save_time_zone", staff=True, forms=(ZoneForm,)),
    Route("admin_users.index", staff=True, forms=(NewUserForm,)),
    Route("admin_users.edit", staff=True, forms=(EditUserForm,)),
    Route("admin_campaigns.index", staff=True),
    Route("admin_campaigns.new", staff=True, forms=(CampaignForm,)),
    Route("admin_campaigns.show", staff=True),
    Route("admin_campaigns.edit", staff=True, forms=(CampaignForm,)),
    Route("admin_campaigns.publish", staff=True),
    Route(
        "admin_campaigns.confirm_unpublish",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
    ),
    Route(
        "admin_campaigns.confirm_archive",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
    ),
    Route("admin_drafts.changes", staff=True),
    Route(
        "admin_drafts.publish_changes",
        staff=True,
        raw=("confirmed", "revision"),
        base=(("confirmed", "yes"),),
    ),
    Route(
        "admin_drafts.confirm_discard",
        staff=True,
        raw=("confirmed", "revision"),
        base=(("confirmed", "yes"),),
    ),
    Route("admin_campaigns.preview", staff=True, query=("postal_code", "fed_num")),
    Route("admin_petition.deliveries", staff=True),
    Route(
        "admin_petition.confirm_deliver",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
    ),
    Route("admin_petition.packet_pdf", staff=True),
    Route("admin_targets.index", staff=True, query=("q",)),
    Route("admin_targets.add_own_mp", staff=True, forms=(OwnMpForm,)),
    Route("admin_targets.add_person", staff=True, forms=(PersonTargetForm,)),
    Route("admin_targets.add_portfolio", staff=True, forms=(PortfolioTargetForm,)),
    Route("admin_portfolios.index", staff=True),
    Route("admin_targets.move", staff=True, raw=("direction",)),
    Route(
        "admin_targets.confirm_remove",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
        ids=(("target_id", "spare_target"),),
    ),
    Route("admin_targets.edit", staff=True, forms=(OwnMpForm, PersonTargetForm)),
    Route("admin_targets.people", staff=True),
    Route("admin_targets.new_person", staff=True, forms=(PersonForm,)),
    Route("admin_targets.person", staff=True, forms=(PersonForm,), ids=(("person_id", "custom"),)),
    Route(
        "admin_targets.confirm_delete_person",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
        ids=(("person_id", "spare_person"),),
    ),
    Route("admin_contacts.index", staff=True, query=("q",)),
    Route("admin_data.index", staff=True),
    Route(
        "admin_contacts.person",
        staff=True,
        forms=(CorrectionForm,),
        prefix="email",
        raw=("target",),
        base=(("target", "email"),),
    ),
    Route(
        "admin_contacts.confirm_undo", staff=True, raw=("confirmed",), base=(("confirmed", "yes"),)
    ),
    Route("admin_history.versions", staff=True),
    Route("admin_history.compare", staff=True, query=("a", "b")),
    Route(
        "admin_history.confirm_restore",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
    ),
    Route("admin_history.audit", staff=True, query=("campaign_id", "before", "action")),
    Route(
        "admin_stats.show",
        staff=True,
        query=("sort", "dir", *(f.name for f in DashboardForm())),
    ),
    Route("admin_stats.save_zone", staff=True, forms=(ZoneForm,)),
    Route("admin_stats.offices_csv", staff=True, query=tuple(f.name for f in DashboardForm())),
    Route("admin_stats.events_csv", staff=True, query=tuple(f.name for f in DashboardForm())),
    Route("admin_petition_counts.constituents", staff=True, query=("sort", "dir")),
    Route("admin_petition_counts.constituents_csv", staff=True, query=("sort", "dir", "tz")),
    Route("admin_petition_counts.days_csv", staff=True, query=("tz",)),
    Route("admin_partners.index", staff=True, forms=(PartnerForm,)),
    Route("admin_partners.edit", staff=True, forms=(PartnerForm,)),
    Route(
        "admin_partners.confirm_new_link",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
    ),
    Route(
        "admin_partners.confirm_delete",
        staff=True,
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
        ids=(("partner_id", "spare_partner"),),
    ),
    Route("admin_supporters.supporters_csv", staff=True),
    Route("admin_privacy.search_page", staff=True, forms=(PrivacySearchForm,)),
    Route("admin_privacy.export", staff=True, forms=(PrivacySearchForm,)),
    Route("admin_privacy.confirm_erase", staff=True, forms=(PrivacySearchForm,)),
    Route(
        "admin_privacy.erase",
        staff=True,
        forms=(PrivacySearchForm,),
        raw=("confirmed",),
        base=(("confirmed", "yes"),),
    ),
    # A partner's private dashboard (its key stands in for a login)
    Route("partner_dashboard.show", query=("lang",), ids=(("token", "partner_key"),)),
    Route("partner_dashboard.contacts_csv", ids=(("token", "partner_key"),)),
]

#: Pages whose form saves through a POST-only endpoint of its own, at the same URL: the
#: page (GET) takes the query, the save (POST) takes the form.
SAVES = {
    "public.campaign": "public.lookup_form",
    "petition.page": "petition.sign",
    "auth.login": "auth.submit_login",
    "auth.password": "auth.change_password",
    "admin_users.index": "admin_users.add",
    "admin_users.edit": "admin_users.save",
    "admin_campaigns.new": "admin_campaigns.create",
    "admin_campaigns.edit": "admin_campaigns.save",
    "admin_targets.edit": "admin_targets.save",
    "admin_targets.new_person": "admin_targets.create_person",
    "admin_targets.person": "admin_targets.save_person",
    "admin_contacts.person": "admin_contacts.correct",
    # Confirmation pages (GET) and the actions their buttons post to.
    "admin_campaigns.confirm_unpublish": "admin_campaigns.unpublish",
    "admin_campaigns.confirm_archive": "admin_campaigns.archive",
    "admin_drafts.confirm_discard": "admin_drafts.discard_changes",
    "admin_petition.confirm_deliver": "admin_petition.deliver_now",
    "admin_targets.confirm_remove": "admin_targets.remove",
    "admin_targets.confirm_delete_person": "admin_targets.delete_person",
    "admin_contacts.confirm_undo": "admin_contacts.undo",
    "admin_history.confirm_restore": "admin_history.restore",
    "admin_partners.index": "admin_partners.create",
    "admin_partners.edit": "admin_partners.update",
    "admin_partners.confirm_new_link": "admin_partners.new_link",
    "admin_partners.confirm_delete": "admin_partners.delete",
    "unsubscribe.link": "unsubscribe.link_post",
    "unsubscribe.page": "unsubscribe.page_post",
    "admin_privacy.search_page": "admin_privacy.search",
}
ROUTES = [
    replace(route, forms=(), raw=(), base=(), prefix="") if route.endpoint in SAVES else route
    for route in ROUTES
] + [replace(route, endpoint=SAVES[route.endpoint]) for route in ROUTES if route.endpoint in SAVES]
_ = PreviewForm, SearchForm  # read from the query: their fields are listed in ``query``


@dataclass
class Corpus:
    """The module's app, the ids its routes need, and the 5xx answers found."""

    app: Flask
    ids: dict[str, Any]
    admin: User
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def corpus(databases: Any) -> Iterator[Corpus]:
    """One app on one database for the whole corpus, with the objects its routes name."""
    url = databases.new()
    settings = {
        **TEST_SETTINGS,
        "DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        # Local mail with a public URL is refused at startup unless allowed: the corpus
        # sends letters nowhere.
        "ALLOW_LOCAL_MAIL": True,
        # The petition's form is sent at once: its save path must see every bad value.
        "PETITION_MIN_FORM_SECONDS": 0,
        "BOUNCE_WEBHOOK_TOKEN": BOUNCE_TOKEN,
        "BOUNCE_ADDRESS": "bounces@corpus.example.org",
    }
    app = create_app(settings)
    call_service(app).clock = lambda: OFFICES_OPEN
    with sessions(app)(expire_on_commit=False) as db:
        demo = demo_campaign(db)
        report_target = next(t for t in demo.targets if t.kind == TargetKind.own_mp)
        staff_campaign = make_campaign(db)
        own = make_target(db, staff_campaign)
        custom = make_person(db)
        make_office(db, custom, phone="+16135550150", position=1)
        spare_target = make_target(db, staff_campaign, kind=TargetKind.person, person=custom)
        spare_person = make_person(db)
        call = make_call_request(db, demo)
        demo.petitions = True  # the petition's pages too, on the public campaign
        signature = make_signature(db, demo)
        # A cheap Argon2 hash: the corpus sends the password forms hundreds of wrong ones.
        password_hash = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(
            STAFF_PASSWORD
        )
        admin = User(
            email="corpus-admin@staff.example", role=Role.admin, password_hash=password_hash
        )
        other = User(
            email="corpus-other@staff.example", role=Role.lead, password_hash=password_hash
        )
        partners = [
            Partner(
                campaign_id=staff_campaign.id, name=name, code=name, dashboard_key=f"{name}-key"
            )
            for name in ("corpus-partner", "spare-partner")
        ]
        db.add_all([admin, other, *partners])
        db.commit()
        ids: dict[str, Any] = {
            "slug": demo.slug,
            "fed_num": ALGONQUIN,
            "campaign_id": staff_campaign.id,
            "target_id": own.id,
            "spare_target": spare_target.id,
            "report_target": report_target.id,
            "person_id": mp(db, ALGONQUIN).id,
            "custom": custom.id,
            "spare_person": spare_person.id,
            "user_id": other.id,
            "correction_id": 1,
            "number": 1,
            "public_id": call.public_id,
            "signature": signature.public_id,
            "token": "not-a-token",
            "name": "missing.eml",
            "filename": "missing.css",
            "ext": "jpg",
            "partner_id": partners[0].id,
            "spare_partner": partners[1].id,
            "partner_key": partners[0].dashboard_key,
            "lang": "en",
            "key": "missing.png",
        }
        assert db.scalars(select(Campaign.id).where(Campaign.slug == demo.slug)).one()
    found = Corpus(app=app, ids=ids, admin=admin)
    yield found
    services(app).close()  # the providers, the pool and the probe pool
    databases.drop(url)


# -- Sending -------------------------------------------------------------------------------


def _encode(pairs: Pairs) -> bytes:
    """A form body, with bytes values sent as they are (percent-encoded)."""
    return urlencode(pairs).encode("ascii")


def _decoded(value: str | bytes) -> str:
    """A value as the server reads it from a form (invalid UTF-8 replaced)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _short(value: object) -> str:
    """A value as the report shows it."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}…({len(text)} chars)"


class Sender:
    """Sends one route its requests and writes down every 5xx."""

    def __init__(self, corpus: Corpus, route: Route) -> None:
        self.corpus = corpus
        self.route = route
        self.app = corpus.app
        self.client = self.app.test_client()
        if route.staff:
            # As the admin is now: a route sent earlier in this module (logging out,
            # changing the password) may have ended its sessions. Without this, the
            # routes after it got only the login page and tested nothing of their own.
            with sessions(self.app)() as db:
                admin = db.get(User, corpus.admin.id)
                assert admin is not None and admin.active
                db.expunge(admin)
            log_in(self.client, admin)
            assert self.client.get("/account").status_code == 200, "not logged in"
        self.ids = {**corpus.ids, **{k: corpus.ids[v] for k, v in route.ids}}
        self.rules = [r for r in self.app.url_map.iter_rules() if r.endpoint == route.endpoint]
        self.failures: list[str] = []
        self.sent = 0

    def path(self, rule: Any, override: tuple[str, str] | None = None) -> str:
        """The rule's path with valid ids, one variable replaced by a percent-encoded value."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1).split(":")[-1]
            if override is not None and override[0] == name:
                return quote(override[1], safe="")
            return quote(str(self.ids[name]), safe="")

        return re.sub(r"<([^>]+)>", value, str(rule.rule))

    def csrf(self) -> str:
        """A valid CSRF token for this client's session."""
        with self.app.test_request_context():
            from flask import session
            from flask_wtf.csrf import generate_csrf

            with self.client.session_transaction() as stored:
                session.update(stored)
                token = str(generate_csrf())
                stored.update(session)
        return token

    def send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """One request; a 5xx answer is written down with ``what`` was bad."""
        self.sent += 1
        if self.route.bearer:
            headers = {**(headers or {}), "Authorization": f"Bearer {BOUNCE_TOKEN}"}
        response = self.client.open(
            path, method=method, data=body, content_type=content_type, headers=headers or {}
        )
        if response.status_code >= 500:
            self.failures.append(f"{method} {path[:80]} {what} -> {response.status_code}")
        response.close()
        return response

    def signed_headers(self, path: str, pairs: Pairs) -> dict[str, str]:
        """Twilio's signature of a form POST to ``path``."""
        params: dict[str, list[str]] = {}
        for key, value in pairs:
            params.setdefault(key, []).append(_decoded(value))
        validator = RequestValidator(TWILIO_TOKEN)
        signature = validator.compute_signature(PUBLIC_URL + path, _MultiParams(params))
        return {"X-Twilio-Signature": signature}

    def post_form(self, rule: Any, path: str, pairs: Pairs, what: str) -> None:
        """POST a form (signed for Twilio's routes)."""
        headers = self.signed_headers(path, pairs) if self.route.twilio else None
        self.send("POST", path, what, body=_encode(pairs), content_type=FORM, headers=headers)

    def form_fields(self) -> list[str]:
        """Every field name of the route's forms (sub-forms' fields with their index)."""
        names: list[str] = []
        prefix = self.route.prefix.format(**self.ids)
        with self.app.test_request_context():
            for form_class in self.route.forms:
                form = form_class(formdata=None, meta={"csrf": False}, prefix=prefix)
                for item in form:
                    if isinstance(item, FieldList):
                        entry = item.append_entry()
                        subs = list(entry) if isinstance(entry, FormField) else [entry]
                        names += [sub.name for sub in subs]
                    else:
                        names.append(item.name)
        return sorted(set(names) | set(self.route.raw))

    def base_pairs(self) -> Pairs:
        """The fields every request carries unless it tests them."""
        pairs: Pairs = list(self.route.base)
        if self.route.endpoint == "call.report":
            pairs.append(("target_id", str(self.ids["report_target"])))
        if self.route.forms or self.route.staff or self.route.endpoint.startswith("email."):
            pairs.append(("csrf_token", self.csrf()))
        return pairs


class _MultiParams(dict[str, list[str]]):
    """Form values by name, as Twilio's validator reads a multi-valued form."""

    def getall(self, key: str) -> list[str]:
        return self[key]


def _with(pairs: Pairs, name: str, value: str | bytes) -> Pairs:
    """``pairs`` with ``name`` set to ``value`` (only that value)."""
    return [(k, v) for k, v in pairs if k != name] + [(name, value)]


# -- The corpus ------------------------------------------------------------------------------


#: A form with more fields than this (the campaign editor has about 60) gets each bad
#: value in every field at once, then each field alone with values taken in turn, rather
#: than every value in every field alone: the product took minutes of CI for the same
#: code paths, since the editor checks every field and reports every refusal together.
WIDE_FORM = 12


def _wide_form(sender: Sender, rule: Any, path: str, base: Pairs, fields: list[str]) -> None:
    """Bad values for a wide form: each in every field at once, then one per field in turn."""
    for value in BAD_TEXT:
        pairs = [(k, v) for k, v in base if k not in fields] + [(name, value) for name in fields]
        sender.post_form(rule, path, pairs, f"every field={_short(value)}")
    for index, name in enumerate(fields):
        for value in (BAD_TEXT[index % len(BAD_TEXT)], BAD_TEXT[(index * 7 + 3) % len(BAD_TEXT)]):
            sender.post_form(rule, path, _with(base, name, value), f"{name}={_short(value)}")


def _run(sender: Sender) -> None:
    """Every bad value the route can receive."""
    route = sender.route
    for rule in sender.rules:
        methods = sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"})
        path = sender.path(rule)
        # Path variables
        for variable in rule.arguments:
            for value in BAD_TEXT:
                if value is HUGE:
                    continue
                text = value if isinstance(value, str) else value.decode("latin-1")
                bad_path = sender.path(rule, (variable, text))
                for method in methods:
                    if method == "POST":
                        sender.post_form(rule, bad_path, sender.base_pairs(), f"<{variable}>")
                    else:
                        sender.send(method, bad_path, f"<{variable}>")
        # Query parameters
        for name in route.query:
            for value in BAD_TEXT:
                query = urlencode([(name, value)])
                sender.send("GET" if "GET" in methods else methods[0], f"{path}?{query}", name)
        # Other methods, with and without a body
        for method in OTHER_METHODS:
            sender.send(method, path, "no body")
            sender.send(method, path, "a form body", body=b"a=1&csrf_token=x", content_type=FORM)
        if "POST" not in methods:
            continue
        # Form fields
        base = sender.base_pairs()
        fields = sender.form_fields()
        if len(fields) <= WIDE_FORM:
            for name in fields:
                for value in BAD_TEXT:
                    sender.post_form(
                        rule, path, _with(base, name, value), f"{name}={_short(value)}"
                    )
        else:
            _wide_form(sender, rule, path, base, fields)
        # Form envelopes
        everything: Pairs = [(name, "1") for name in fields]
        no_token = [(k, v) for k, v in base if k != "csrf_token"]
        sender.post_form(rule, path, no_token + everything, "no CSRF token")
        sender.post_form(
            rule, path, _with(base, "csrf_token", "forged") + everything, "forged CSRF"
        )
        sender.post_form(rule, path, base + everything + everything, "duplicated fields")
        empty: Pairs = [(name, "") for name in fields]
        sender.post_form(rule, path, base + empty, "every field empty")
        sender.send("POST", path, "no body")
        sender.send("POST", path, "JSON to a form", body=b'{"a": [1]}', content_type=JSON)
        sender.send("POST", path, "text/plain", body=b"\x00\xff", content_type="text/plain")
        sender.send(
            "POST",
            path,
            "broken multipart",
            body=b"--zz\r\n",
            content_type="multipart/form-data; boundary=zz",
        )
        sender.send(
            "POST",
            path,
            "body over the limit",
            body=b"a=" + b"b" * (3 * 1024 * 1024),
            content_type=FORM,
        )
        if route.json:
            _run_json(sender, path)


def _valid_json(sender: Sender) -> dict[str, Any]:
    """A body the JSON endpoint would accept, apart from the field under test."""
    return {
        "phone": "+16135550123",
        "postal_code": "K0J 1B0",
        "fed_num": sender.ids["fed_num"],
        "name": "Corpus Tester",
        "email": "tester@example.com",
        "city": "Pembroke",
        "subject": "A subject",
        "body": "A letter body that is long enough to send.",
        "personal_line": "Mine.",
        "consent_followup": False,
        "lang": "en",
    }


def _run_json(sender: Sender, path: str) -> None:
    """Every JSON field gets every bad JSON value; then the broken bodies."""
    base = _valid_json(sender)
    for name in sender.route.json:
        for value in BAD_JSON:
            body = json.dumps({**base, name: value}).encode()
            sender.send("POST", path, f"json {name}={_short(value)}", body=body, content_type=JSON)
    for content_type, raw in JSON_BODIES:
        sender.send("POST", path, f"body {_short(raw)}", body=raw, content_type=content_type)


def test_the_corpus_covers_every_route(corpus: Corpus) -> None:
    endpoints = {rule.endpoint for rule in corpus.app.url_map.iter_rules()}
    assert endpoints == {route.endpoint for route in ROUTES}


def test_the_corpus_has_forty_bad_values_for_each_kind() -> None:
    assert len(BAD_TEXT) >= 40
    assert len(BAD_JSON) >= 40
    assert len(JSON_BODIES) >= 20


@pytest.mark.parametrize("route", ROUTES, ids=[route.endpoint for route in ROUTES])
def test_bad_input_never_gets_a_server_error(corpus: Corpus, route: Route) -> None:
    sender = Sender(corpus, route)
    assert sender.rules, f"no rule for {route.endpoint}"
    _run(sender)
    assert sender.sent > 0
    count = len(sender.failures)
    assert not sender.failures, f"{count} of {sender.sent} answers were 5xx:\n" + "\n".join(
        sender.failures
    )
