"""Every supporter and staff page, on a phone and a desktop, in English and French.

One test per (page, size, language) checks, in a headless Chromium: no horizontal overflow,
every primary button visible and tappable, zero axe-core violations of any impact, no
Content-Security-Policy violation, script error or missing resource (the favicon too).
The last test runs the Nu HTML checker once over every page as the server sent it.
``test_every_html_page_is_audited`` fails when a GET route is neither walked here nor
excluded with a reason.

"Every page" is every GET route that renders HTML plus the states reached by a POST: a
lookup that settles the riding, a split area's choice, a letter preview, forms with errors,
a letter awaiting confirmation and a confirmed one, a call's status, the error pages, the
login limit. One app and one server serve the module (the demo data, a stopped clock);
one Chromium, one context per (role, size, language), reused from page to page.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Response
from werkzeug.exceptions import MethodNotAllowed, NotFound

from callmp import create_app
from callmp.db import utcnow
from callmp.views.context import services
from tests.factories import (
    demo_campaign,
    make_campaign,
    make_consent,
    make_signature,
    make_target,
)
from tests.support.app import (
    OFFICES_OPEN,
    TEST_SETTINGS,
    call_service,
    log_in,
    sessions,
)
from tests.support.audit_site import (
    CAMPAIGN,
    LANGS,
    ONE_RIDING,
    SIZES,
    Site,
    Tab,
    call,
    history,
    letters,
    petitions,
    seed,
)
from tests.support.browser import serving
from tests.support.clock import clock_stopped
from tests.support.page_audit import (
    Where,
    axe_findings,
    button_findings,
    check_html,
    icon_findings,
    overflow_findings,
)
from tests.support.routes import every_url
from tests.support.smtp_peer import free_port

pytestmark = [
    pytest.mark.real_clock("Chromium keeps the staff session cookie by the real clock"),
    pytest.mark.page_audit,
]

#: Set CALLMP_PAGE_AUDIT_REPORT to a file to get every finding there, grouped by page.
REPORT = os.environ.get("CALLMP_PAGE_AUDIT_REPORT", "")

SPLIT = "V6B 9Z9"  # an area split between ridings: the supporter chooses
UNKNOWN = "L3W 0G9"  # a well-formed code we don't know
NOT_A_CODE = "90210"

#: GET routes that render no HTML page, each with the reason.
EXCLUDED = {
    "static": "files (CSS, images), not pages",
    "api.call_status": "JSON API",
    "api.campaign_counts": "JSON API",
    "api.campaign_consent": "JSON API",
    "api.lookup_postal_code": "JSON API",
    "ops.healthz": "a probe for load balancers (JSON)",
    "ops.readyz": "a probe for load balancers (JSON)",
    "ops.metrics": "Prometheus's text format, for the scraper",
    "admin_stats.events_csv": "a CSV download",
    "admin_stats.offices_csv": "a CSV download",
    "admin_petition_counts.constituents_csv": "a CSV download",
    "admin_petition_counts.days_csv": "a CSV download",
    "admin_petition.packet_pdf": "the petition's printable packet (a PDF download)",
    "partner_dashboard.contacts_csv": "a CSV download",
    "admin_supporters.supporters_csv": "a CSV download",
    "photos.photo": "an MP's photo (an image; text 404 when there is none)",
    "embed.script": "the partners' snippet (JavaScript)",
    "share_images.default_image": "a campaign's share image (a PNG for social apps' cards)",
    "branding.brand_css": "a campaign's stylesheet (its accent colour)",
    "branding.image": "an image a lead uploaded (text 404 when there is none)",
}


# -- The site --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(
    browser: Browser,
    databases: Any,
    staff_password_hash: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    """The demo app on one server for the whole module, "now" stopped, its pages seeded."""
    root = tmp_path_factory.mktemp("page-audit")
    url = databases.new()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        **TEST_SETTINGS,
        "DATABASE_URL": url,
        "MAIL_OUTBOX": str(root / "outbox"),
        "PUBLIC_URL": base,
        # One wrong password shows the error, the next one the wait: the login limit page.
        "LOGIN_FREE_TRIES": 1,
        "LOGIN_ADDRESS_FREE_TRIES": 1000,
        # The audit fills the petition's form at machine speed.
        "PETITION_MIN_FORM_SECONDS": 0,
    }
    with clock_stopped():
        app = create_app(settings)
        call_service(app).clock = lambda: OFFICES_OPEN
        ids = seed(app, staff_password_hash)
        admin = ids.pop("admin")
        html_dir = root / "html"
        html_dir.mkdir()
        with serving(app, port):
            found = Site(app, base, browser, admin, html_dir, root / "outbox", ids)
            yield found
            found.close()
        if REPORT:
            Path(REPORT).write_text(found.report(), encoding="utf-8")
        services(app).close()  # the providers, the pool and the probe pool
    databases.drop(url)


# -- The pages -------------------------------------------------------------------------------

Reach = Callable[[Page, Site, Where], None]


@dataclass(frozen=True)
class Visit:
    """A page to audit: how to get there, and the route and status it must land on."""

    name: str
    endpoint: str | None  # None: no route (the 404 page)
    reach: Reach
    status: int = 200
    staff: bool = False


def _go(path: Callable[[Site], str] | str) -> Reach:
    """Open a path (or the path a function of the site gives)."""

    def reach(page: Page, site: Site, _where: Where) -> None:
        page.goto(site.base + (path if isinstance(path, str) else path(site)))

    return reach


def _submit(page: Page, form: str, fields: dict[str, str], button: str = "[type=submit]") -> None:
    """Fill ``fields`` (by name) in ``form`` and submit it with ``button`` as the submitter.

    Submits through the DOM rather than a tap: whether a tap reaches the button is what the
    audit checks, not a way to get to the page.
    """
    target = page.locator(form).first
    for name, value in fields.items():
        target.locator(f"[name={name}]").first.fill(value)
    with page.expect_navigation():
        target.locator(button).first.evaluate("b => b.form.requestSubmit(b)")


def _lookup(code: str) -> Reach:
    """The campaign page's postal code box, with ``code`` typed in."""

    def reach(page: Page, site: Site, _where: Where) -> None:
        page.goto(site.base + CAMPAIGN)
        _submit(page, "form:has(input[name=postal_code])", {"postal_code": code})

    return reach


def _chosen(page: Page, site: Site, where: Where) -> None:
    _lookup(SPLIT)(page, site, where)
    href = page.locator("a.choice").first.get_attribute("href")
    page.goto(site.base + str(href))


def _letter_form(page: Page, site: Site, where: Where) -> None:
    _lookup(ONE_RIDING)(page, site, where)
    page.goto(page.url.split("?")[0].split("#")[0] + "/email")


def _letter(fields: dict[str, str]) -> Reach:
    def reach(page: Page, site: Site, where: Where) -> None:
        _letter_form(page, site, where)
        _submit(page, "form:has([name=email])", fields, "button[value=preview]")

    return reach


def _petition(fields: dict[str, str]) -> Reach:
    """The petition's form filled in with ``fields`` (an address of this size and language
    unless given) and sent."""

    def reach(page: Page, site: Site, where: Where) -> None:
        page.goto(site.base + CAMPAIGN + "/petition")
        address = f"audit-{where.page}-{where.size}-{where.lang}@example.org"
        typed = {"name": "Noor Haddad", "email": address, "postal_code": ONE_RIDING, **fields}
        _submit(page, "form#petition-form", typed)

    return reach


def _call_errors(page: Page, site: Site, where: Where) -> None:
    _lookup(ONE_RIDING)(page, site, where)
    _submit(page, "form[action$='/call']", {"phone": "12"})


def _wrong_password(times: int, prefix: str) -> Reach:
    """Log in ``times`` with a wrong password, as an address of this (size, language)."""

    def reach(page: Page, site: Site, where: Where) -> None:
        address = f"{prefix}-{where.size}-{where.lang}@staff.example"
        page.goto(site.base + "/login")
        for _ in range(times):
            _submit(page, "form:has([name=password])", {"email": address, "password": "wrong"})

    return reach


def _campaign(suffix: str = "") -> Callable[[Site], str]:
    return lambda site: f"/admin/campaigns/{site.ids['campaign_id']}{suffix}"


def _new_campaign_errors(page: Page, site: Site, _where: Where) -> None:
    page.goto(f"{site.base}/admin/campaigns/new")
    _submit(page, "form.campaign-form", {})


def _partner_errors(page: Page, site: Site, _where: Where) -> None:
    page.goto(f"{site.base}{_campaign('/partners')(site)}")
    fields = {"name": "", "code": "not a code", "origins": "https://mrn.example/embed"}
    _submit(page, "form#partner-form", fields)


def _with_draft(suffix: str) -> Callable[[Site], str]:
    """A campaign page that needs changes waiting to be published."""

    def path(site: Site) -> str:
        site.value(history, "query")
        return _campaign(suffix)(site)

    return path


def petition_round(site: Site) -> dict[str, Any]:
    """A campaign of its own with a petition delivered once (an MP, a vacant seat)."""
    petitions = services(site.app).petitions
    with sessions(site.app)() as db:
        campaign = make_campaign(db, slug="audit-petition", petitions=True)
        make_target(db, campaign)
        for fed_num in (35075, 35075, 24037):
            make_signature(db, campaign, fed_num=fed_num)
        made = petitions.deliver_now(db, campaign, site.admin.id, utcnow())
        assert made is not None
        db.commit()
        petitions.enqueue(made)
        return {"deliveries": f"/admin/campaigns/{campaign.id}/petition/deliveries"}


def _new_consent(site: Site) -> str:
    """The one-click link of a new standing consent on the demo campaign."""
    with sessions(site.app)() as db:
        consent = make_consent(db, demo_campaign(db), email="jeanne@example.org")
        db.commit()
        return f"/u/{consent.unsubscribe_key}"


def consents(site: Site) -> dict[str, Any]:
    """A standing consent to show (the audit never withdraws it)."""
    return {"shown": _new_consent(site)}


def _withdrawn(page: Page, site: Site, _where: Where) -> None:
    """The one-click page after its button, on a consent of its own each time."""
    page.goto(site.base + _new_consent(site))
    _submit(page, "main form[method=post]", {})


def _privacy_search(page: Page, site: Site, _where: Where) -> None:
    """The privacy request search, for an address that wrote nothing."""
    page.goto(site.base + "/admin/privacy-requests")
    _submit(page, "form.privacy-search", {"value": "nobody@example.org"})


def _outbox(site: Site) -> str:
    """The outbox, with the letters' mail in it whichever page came first."""
    site.value(letters, "waiting")
    return "/dev/outbox"


SUPPORTER_PAGES = [
    Visit("unsubscribe-page", "unsubscribe.page", _go("/unsubscribe")),
    Visit("unsubscribe-link", "unsubscribe.link", _go(lambda site: site.value(consents, "shown"))),
    Visit("unsubscribe-link-done", "unsubscribe.link_post", _withdrawn),
    Visit("home", "public.home", _go("/")),
    Visit("privacy-site", "privacy.site", _go("/privacy")),
    Visit("privacy-campaign", "privacy.campaign", _go(f"{CAMPAIGN}/privacy")),
    Visit("campaign", "public.campaign", _go(CAMPAIGN)),
    Visit("campaign-embedded", "embed.campaign", _go(f"{CAMPAIGN}/embed?ref=partner")),
    Visit("lookup-not-a-code", "public.lookup_form", _lookup(NOT_A_CODE), 400),
    Visit("lookup-unknown-code", "public.lookup_form", _lookup(UNKNOWN), 404),
    Visit("riding-after-lookup", "public.riding", _lookup(ONE_RIDING)),
    Visit("choose-riding", "public.choose", _lookup(SPLIT)),
    Visit("riding-after-choosing", "public.riding", _chosen),
    Visit("riding-vacant-seat", "public.riding", _go(f"{CAMPAIGN}/riding/35095")),
    Visit("call-form-errors", "call.call_me", _call_errors, 400),
    Visit("call-status", "call.status", _go(lambda site: site.value(call, "status"))),
    Visit("letter-form", "email.write", _letter_form),
    Visit("letter-form-errors", "email.submit", _letter({"email": "not-an-address"}), 400),
    Visit(
        "letter-preview",
        "email.submit",
        _letter(
            {
                "name": "Noor Haddad",
                "email": "noor.haddad@example.org",
                "personal_line": "My cousin picks apples in Ontario.",
            }
        ),
    ),
    Visit(
        "letter-awaiting-confirmation", "email.status", _go(lambda s: s.value(letters, "waiting"))
    ),
    Visit(
        "letter-confirm-link",
        "email.confirm_page",
        _go(lambda site: site.value(letters, "confirm_link")),
    ),
    Visit("letter-confirmed", "email.status", _go(lambda site: site.value(letters, "confirmed"))),
    Visit("petition", "petition.page", _go(f"{CAMPAIGN}/petition")),
    Visit("petition-errors", "petition.sign", _petition({"email": "not-an-address"}), 400),
    Visit("petition-choose-riding", "petition.sign", _petition({"postal_code": SPLIT}), 400),
    Visit("petition-signed", "petition.thanks", _petition({})),
    Visit(
        "petition-confirm-link",
        "petition.confirm_page",
        _go(lambda site: site.value(petitions, "confirm_link")),
    ),
    Visit(
        "petition-counted", "petition.thanks", _go(lambda site: site.value(petitions, "confirmed"))
    ),
    Visit("not-found", None, _go("/no-such-page"), 404),
    Visit(
        "partner-dashboard",
        "partner_dashboard.show",
        _go(lambda site: f"/p/{site.ids['partner_key']}"),
    ),
    Visit("login", "auth.login", _go("/login")),
    Visit("login-wrong-password", "auth.submit_login", _wrong_password(1, "wrong"), 401),
    Visit("login-limit", "auth.submit_login", _wrong_password(2, "limited"), 429),
]

STAFF_PAGES = [
    Visit(
        "staff-privacy-requests",
        "admin_privacy.search_page",
        _go("/admin/privacy-requests"),
        staff=True,
    ),
    Visit("staff-privacy-search", "admin_privacy.search", _privacy_search, staff=True),
    Visit("staff-campaigns", "admin_campaigns.index", _go("/admin"), staff=True),
    Visit("staff-campaign", "admin_campaigns.show", _go(_campaign()), staff=True),
    Visit("staff-campaign-edit", "admin_campaigns.edit", _go(_campaign("/edit")), staff=True),
    Visit("staff-campaign-new", "admin_campaigns.new", _go("/admin/campaigns/new"), staff=True),
    Visit(
        "staff-campaign-new-errors",
        "admin_campaigns.create",
        _new_campaign_errors,
        400,
        staff=True,
    ),
    Visit("staff-preview-start", "admin_campaigns.preview", _go(_campaign("/preview")), staff=True),
    Visit(
        "staff-preview",
        "admin_campaigns.preview",
        _go(_campaign("/preview?postal_code=K2P+1L4")),
        staff=True,
    ),
    Visit("staff-dashboard", "admin_stats.show", _go(_campaign("/dashboard")), staff=True),
    Visit(
        "staff-petition-constituents",
        "admin_petition_counts.constituents",
        _go(_campaign("/petition/constituents?sort=province&dir=asc")),
        staff=True,
    ),
    Visit(
        "staff-petition-deliveries",
        "admin_petition.deliveries",
        _go(lambda site: site.value(petition_round, "deliveries")),
        staff=True,
    ),
    Visit(
        "staff-confirm-deliver",
        "admin_petition.confirm_deliver",
        _go(_campaign("/petition/deliver")),
        staff=True,
    ),
    Visit("staff-targets", "admin_targets.index", _go(_campaign("/targets")), staff=True),
    Visit(
        "staff-target",
        "admin_targets.edit",
        _go(lambda site: _campaign(f"/targets/{site.ids['target_id']}")(site)),
        staff=True,
    ),
    Visit("staff-people", "admin_targets.people", _go("/admin/people"), staff=True),
    Visit("staff-portfolios", "admin_portfolios.index", _go("/admin/portfolios"), staff=True),
    Visit(
        "staff-person",
        "admin_targets.person",
        _go(lambda site: f"/admin/people/{site.ids['custom_id']}"),
        staff=True,
    ),
    Visit("staff-person-new", "admin_targets.new_person", _go("/admin/people/new"), staff=True),
    Visit("staff-contacts", "admin_contacts.index", _go("/admin/contacts"), staff=True),
    Visit(
        "staff-contact",
        "admin_contacts.person",
        _go(lambda site: f"/admin/contacts/people/{site.ids['mp_id']}"),
        staff=True,
    ),
    Visit("staff-versions", "admin_history.versions", _go(_campaign("/versions")), staff=True),
    Visit(
        "staff-compare",
        "admin_history.compare",
        _go(lambda site: _campaign("/versions/compare")(site) + site.value(history, "query")),
        staff=True,
    ),
    Visit("staff-audit", "admin_history.audit", _go("/admin/audit"), staff=True),
    Visit("staff-data", "admin_data.index", _go("/admin/data"), staff=True),
    Visit("staff-outbox", "email.outbox", _go(_outbox), staff=True),
    Visit(
        "staff-outbox-message",
        "email.outbox_message",
        _go(lambda site: f"/dev/outbox/{site.value(letters, 'outbox_message')}"),
        staff=True,
    ),
    Visit("staff-users", "admin_users.index", _go("/admin/users"), staff=True),
    Visit(
        "staff-user",
        "admin_users.edit",
        _go(lambda site: f"/admin/users/{site.ids['user_id']}"),
        staff=True,
    ),
    Visit("staff-account", "auth.password", _go("/account/password"), staff=True),
    # Pages of issue 14's other branches (drafts, confirmations, the account page).
    Visit("staff-account-page", "auth.account", _go("/account"), staff=True),
    Visit("staff-changes", "admin_drafts.changes", _go(_with_draft("/changes")), staff=True),
    Visit(
        "staff-confirm-discard",
        "admin_drafts.confirm_discard",
        _go(_with_draft("/changes/discard")),
        staff=True,
    ),
    Visit(
        "staff-confirm-archive",
        "admin_campaigns.confirm_archive",
        _go(_campaign("/archive")),
        staff=True,
    ),
    Visit(
        "staff-confirm-unpublish",
        "admin_campaigns.confirm_unpublish",
        _go(_campaign("/unpublish")),
        staff=True,
    ),
    Visit(
        "staff-confirm-restore",
        "admin_history.confirm_restore",
        # Version 1 exists once the history is made, whichever process makes it.
        _go(lambda site: [site.value(history, "query"), _campaign("/versions/1/restore")(site)][1]),
        staff=True,
    ),
    Visit(
        "staff-confirm-remove-target",
        "admin_targets.confirm_remove",
        _go(lambda site: _campaign(f"/targets/{site.ids['target_id']}/remove")(site)),
        staff=True,
    ),
    Visit(
        "staff-confirm-undo-correction",
        "admin_contacts.confirm_undo",
        _go(lambda site: f"/admin/contacts/corrections/{site.ids['correction_id']}/undo"),
        staff=True,
    ),
    Visit(
        "staff-confirm-delete-person",
        "admin_targets.confirm_delete_person",
        _go(lambda site: f"/admin/people/{site.ids['spare_id']}/delete"),
        staff=True,
    ),
    Visit("staff-partners", "admin_partners.index", _go(_campaign("/partners")), staff=True),
    Visit("staff-partner-errors", "admin_partners.create", _partner_errors, 400, staff=True),
    Visit(
        "staff-partner-edit",
        "admin_partners.edit",
        _go(lambda site: _campaign(f"/partners/{site.ids['partner_id']}")(site)),
        staff=True,
    ),
    Visit(
        "staff-confirm-new-partner-link",
        "admin_partners.confirm_new_link",
        _go(lambda site: _campaign(f"/partners/{site.ids['partner_id']}/new-link")(site)),
        staff=True,
    ),
    Visit(
        "staff-confirm-remove-partner",
        "admin_partners.confirm_delete",
        _go(lambda site: _campaign(f"/partners/{site.ids['partner_id']}/delete")(site)),
        staff=True,
    ),
    Visit(
        "staff-bad-request",
        "admin_history.compare",
        _go(_campaign("/versions/compare?a=x&b=1")),
        400,
        staff=True,
    ),
]

VISITS = SUPPORTER_PAGES + STAFF_PAGES


# -- Going there -----------------------------------------------------------------------------


def _landing(site: Site, response: Response) -> tuple[str | None, int]:
    """The endpoint and status of the page the browser ended on."""
    adapter = site.app.url_map.bind("127.0.0.1")
    try:
        rule, _args = adapter.match(
            urlsplit(response.url).path, method=response.request.method, return_rule=True
        )
    except (NotFound, MethodNotAllowed):
        return None, response.status
    return rule.endpoint, response.status


def _visit(site: Site, visit: Visit, size: str, lang: str) -> Tab:
    """Open the page in the tab of (role, size, language), check where it landed, save the
    document for the Nu checker."""
    tab = site.tab(visit.staff, size, lang)
    tab.reset()
    visit.reach(tab.page, site, Where(visit.name, size, lang))
    tab.page.wait_for_load_state("load")
    document = tab.document()
    landed = _landing(site, document)
    assert landed == (visit.endpoint, visit.status), (
        f"{visit.name} [{size}, {lang}] landed on {landed}, not {(visit.endpoint, visit.status)}"
        f" ({document.url})"
    )
    shown = tab.page.evaluate("() => document.documentElement.lang")
    assert str(shown).split("-")[0].split("_")[0] == lang, f"{visit.name} is in {shown!r}"
    key = (visit.name, lang)
    if key not in site.documents:
        path = site.html_dir / f"{visit.name}.{lang}.html"
        path.write_bytes(document.body())
        site.documents[key] = path
    return tab


# -- The tests -------------------------------------------------------------------------------


def test_every_html_page_is_audited(site: Site) -> None:
    """Every GET route is walked here or excluded with a reason; the excluded ones really
    answer something other than HTML."""
    gets = {endpoint: url for endpoint, methods, url in every_url(site.app) if "GET" in methods}
    audited = {visit.endpoint for visit in VISITS if visit.endpoint in gets}
    assert sorted(set(gets) - audited - set(EXCLUDED)) == [], (
        "GET routes neither audited nor excluded: add a Visit to VISITS, or the route to "
        "EXCLUDED with the reason it renders no page"
    )
    assert sorted(set(EXCLUDED) - set(gets)) == [], "excluded routes that no longer exist"
    routes = {rule.endpoint for rule in site.app.url_map.iter_rules()}
    unknown = {v.endpoint for v in VISITS if v.endpoint} - routes
    assert sorted(unknown) == [], "visits of routes the app does not have"
    client = site.app.test_client()
    log_in(client, site.admin)
    for endpoint in EXCLUDED:
        with client.get(gets[endpoint]) as response:
            assert response.mimetype != "text/html", f"{endpoint} answers HTML: audit it"


@pytest.mark.parametrize("lang", list(LANGS))
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("visit", VISITS, ids=lambda visit: visit.name)
def test_page(site: Site, visit: Visit, size: str, lang: str) -> None:
    """No overflow, every primary button tappable, no axe violation, no CSP or script error."""
    tab = _visit(site, visit, size, lang)
    findings = overflow_findings(tab.page)
    findings += button_findings(tab.page)
    findings += axe_findings(tab.page)
    findings += icon_findings(tab.page)
    findings += tab.problems
    site.record(Where(visit.name, size, lang), findings)
    assert findings == [], "\n".join([f"{visit.name} [{size}, {lang}]:", *findings])


def test_every_page_is_valid_html(site: Site) -> None:
    """The Nu HTML checker finds no error in any page, in either language (one Java run)."""
    findings = []
    for visit in VISITS:
        for lang in LANGS:
            if (visit.name, lang) not in site.documents:  # not run, or failed
                try:
                    _visit(site, visit, "desktop", lang)
                except AssertionError as missed:
                    findings.append(f"not checked: {str(missed).splitlines()[0]}")
    pages = {path.name: key for key, path in site.documents.items()}
    errors = check_html(sorted(site.documents.values()))
    for error in errors:
        name, lang = pages[error.file]
        findings.append(f"{name} [{lang}]: {error}")
        site.record(Where(name, "any size", lang), [str(error)])
    assert findings == [], "\n".join(findings)
