"""The page audit's site: one app on one server, a browser tab per (role, size, language),
and the flows that make the pages' objects (letters, a call, versions, a draft).

Used by tests/browser/test_page_audit.py; the checks themselves are in
``tests.support.page_audit``.
"""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Response
from sqlalchemy import select

from callmp import demo
from callmp.campaigns import images, versions
from callmp.directory import corrections
from callmp.models import Campaign, Channel, Outcome, Partner, Person, Role, User
from tests.factories import add_event, make_person, make_signature
from tests.support.app import log_in, sessions
from tests.support.html import form_fields, one, parse
from tests.support.page_audit import Where

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
LANGS = {"en": "en-CA", "fr": "fr-CA"}

SLUG = demo.DEMO_SLUG
CAMPAIGN = f"/c/{SLUG}"
ONE_RIDING = "K2P 1L4"  # Ottawa Centre, settled by the postal code


@dataclass
class Site:
    """The module's app and server, the objects its pages need, and the browser's tabs."""

    app: Flask
    base: str
    browser: Browser
    admin: User
    html_dir: Path
    outbox: Path
    ids: dict[str, Any] = field(default_factory=dict)
    made: dict[str, dict[str, Any]] = field(default_factory=dict)

    def value(self, maker: Callable[[Site], dict[str, Any]], name: str) -> Any:
        """``name`` from what ``maker`` makes, made once for the module."""
        if maker.__name__ not in self.made:
            self.made[maker.__name__] = maker(self)
        return self.made[maker.__name__][name]

    tabs: dict[tuple[bool, str, str], Tab] = field(default_factory=dict)
    #: (page, language) -> the document the server sent, saved for the Nu checker.
    documents: dict[tuple[str, str], Path] = field(default_factory=dict)
    #: page -> finding -> where it was seen ("phone, fr" ...), for the report file.
    findings: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def record(self, where: Where, findings: list[str]) -> None:
        """Keep ``findings`` for the report, grouped by page and finding."""
        for finding in findings:
            seen = self.findings.setdefault(where.page, {}).setdefault(finding, [])
            seen.append(f"{where.size}, {where.lang}")

    def report(self) -> str:
        """Every finding, grouped by page then by rule, with where each was seen."""
        lines = []
        for page, found in self.findings.items():
            lines.append(f"== {page}")
            for finding in sorted(found):
                lines.append(f"  {finding}\n      seen: {'; '.join(found[finding])}")
        return "\n".join(lines) + "\n"

    def tab(self, staff: bool, size: str, lang: str) -> Tab:
        """The reused tab of a supporter (or the admin) with this viewport and language."""
        key = (staff, size, lang)
        if key not in self.tabs:
            width, height = SIZES[size]
            context = self.browser.new_context(
                viewport={"width": width, "height": height}, locale=LANGS[lang]
            )
            if staff:
                name, value = staff_cookie(self.app, self.admin)
                context.add_cookies([{"name": name, "value": value, "url": self.base}])
            self.tabs[key] = Tab(context, context.new_page())
        return self.tabs[key]

    def close(self) -> None:
        """Close every browser context."""
        for tab in self.tabs.values():
            tab.context.close()


class Tab:
    """A page and what it reported: main documents received, CSP violations, script errors."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.documents: list[Response] = []
        self.problems: list[str] = []
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _response(self, response: Response) -> None:
        request = response.request
        if request.resource_type == "document" and response.frame.parent_frame is None:
            self.documents.append(response)
        elif response.status >= 400:
            path = urlsplit(response.url).path
            self.problems.append(f"resource: {request.method} {path} {response.status}")

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"csp: {message.text[:200]}")

    def reset(self) -> None:
        """Forget what earlier pages reported."""
        self.documents.clear()
        self.problems.clear()

    def document(self) -> Response:
        """The last main document received (after redirects)."""
        final = [r for r in self.documents if not 300 <= r.status < 400]
        if not final:
            raise AssertionError("no page was loaded")
        return final[-1]


def staff_cookie(app: Flask, admin: User) -> tuple[str, str]:
    """The session cookie of ``admin`` logged in (as tests.support.app.log_in writes it)."""
    interface = app.session_interface
    assert isinstance(interface, SecureCookieSessionInterface)
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    value = serializer.dumps({"_user_id": f"{admin.id}:{admin.session_token}", "_fresh": True})
    return str(app.config["SESSION_COOKIE_NAME"]), str(value)


def form_of(client: FlaskClient, path: str, selector: str) -> tuple[str, dict[str, str]]:
    """The action and the fields of the form ``selector`` on the page at ``path``."""
    response = client.get(path)
    assert response.status_code == 200, path
    form = one(parse(response.data), selector)
    fields = form_fields(form)
    for choice in form.select("select[name]"):  # form_fields reads inputs and text areas
        chosen = choice.select_one("option[selected]") or choice.select_one("option")
        fields[str(choice["name"])] = str(chosen.get("value", chosen.get_text())) if chosen else ""
    return str(form.get("action") or path), fields


def send_letter(client: FlaskClient, name: str, address: str) -> str:
    """Look up ONE_RIDING and send the letter as ``name``; the letter's status page."""
    action, fields = form_of(client, CAMPAIGN, "form:has(input[name=postal_code])")
    found = client.post(action, data={**fields, "postal_code": ONE_RIDING})
    assert found.status_code == 302, found.status_code
    riding = found.location
    action, fields = form_of(client, f"{riding}/email", "form:has(input[name=email])")
    fields.update(name=name, email=address, personal_line="My cousin picks apples.")
    sent = client.post(action, data={**fields, "action": "send"})
    assert sent.status_code == 303, sent.status_code
    return sent.location


def confirmation_link(outbox: Path, address: str) -> str:
    """The confirmation link in the mail sent to ``address``."""
    for path in sorted(outbox.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if mail["To"].addresses[0].addr_spec != address:
            continue
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        for line in str(body.get_content()).splitlines():
            if "/emails/confirm/" in line:
                return line.strip()
    raise AssertionError(f"no confirmation mail to {address}")


#: The seeded partner's dashboard key (the value routes.py gives every ``token``).
PARTNER_KEY = "not-a-token"


def _picture(size: tuple[int, int], colour: str) -> bytes:
    """A plain PNG, standing for an organization's logo or header."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def seed(app: Flask, password_hash: str) -> dict[str, Any]:
    """The staff accounts, and the ids of the demo's objects the pages name."""
    with sessions(app)(expire_on_commit=False) as db:
        campaign = db.scalars(select(Campaign).where(Campaign.slug == SLUG)).one()
        member = db.scalars(select(Person).where(Person.fed_num == 35075)).first()
        minister = db.scalars(select(Person).where(Person.source == demo.MINISTER_SOURCE)).one()
        admin = User(
            email="audit-admin@staff.example",
            name="Audit Admin",
            role=Role.admin,
            password_hash=password_hash,
        )
        lead = User(email="audit-lead@staff.example", role=Role.lead, password_hash=password_hash)
        db.add_all([admin, lead])
        db.flush()
        ottawa_centre = member or minister
        # Branded like a coalition's campaign: every public page is audited in its colour
        # (the darkest-looking accent a lead may pick still has to pass the contrast check).
        campaign.accent_color = "#8a1c4b"
        campaign.organization_name = "Migrant Workers Alliance for Change"
        campaign.logo_image = images.store(db, _picture((96, 96), "#8a1c4b"))
        campaign.header_image = images.store(db, _picture((1200, 300), "#f2e6eb"))
        # A corrected email, for the contact pages' corrections and their undo.
        correction = corrections.correct(
            db, admin, ottawa_centre, "email", "constituency.office@example.org", note="Audit"
        )
        spare = make_person(db)  # in no campaign: a person staff may delete
        partner = Partner(
            campaign_id=campaign.id,
            name="Migrant Rights Network",
            code="mrn",
            origins="https://mrn.example",
            # The key the route sweeps put in every ``token`` (tests/support/routes.py):
            # the dashboard and its CSV then answer what they answer for a partner.
            dashboard_key=PARTNER_KEY,
        )
        db.add(partner)
        for outcome in (Outcome.connected, Outcome.no_answer):
            add_event(db, campaign, ottawa_centre, Channel.bridged_call, outcome, referral="mrn")
        add_event(db, campaign, ottawa_centre, Channel.email, Outcome.sent, referral="mrn")
        # The petition, confirmed by email, with signatures in three provinces (one from a
        # vacant seat, some through the partner) so the staff pages show its counts and
        # tables, and recent signers who agreed to be shown.
        campaign.petitions = True
        campaign.petition_title_en = "Status for all now"
        campaign.petition_title_fr = "Un statut pour tous maintenant"
        campaign.petition_text_en = "We ask Parliament for permanent status for all."
        campaign.petition_text_fr = "Nous demandons au Parlement un statut permanent pour tous."
        campaign.petition_goal = 50
        campaign.petition_confirm = True
        campaign.petition_show_signers = True
        for fed_num, referral, source in (
            (35075, "mrn", ""),
            (35075, "mrn", "whatsapp"),
            (35075, "", ""),
            (12006, "", "email"),
            (24058, "", ""),
        ):
            make_signature(db, campaign, fed_num=fed_num, referral=referral, share_source=source)
        make_signature(db, campaign, fed_num=24058, person_id=None)
        for name, city in (("Amira Haddad", "Ottawa"), ("Jean Tremblay", "Gatineau")):
            make_signature(db, campaign, name=name, city=city, show_publicly=True)
        db.commit()
        return {
            "correction_id": correction.id,
            "spare_id": spare.id,
            "campaign_id": campaign.id,
            "target_id": campaign.targets[0].id,
            "mp_id": ottawa_centre.id,
            "custom_id": minister.id,
            "user_id": lead.id,
            "partner_id": partner.id,
            "partner_key": PARTNER_KEY,
            "admin": admin,
        }


# Made on first use, so that a change to one flow fails only the pages that need it.


def letters(site: Site) -> dict[str, Any]:
    """Two letters sent: one awaiting confirmation (and its link), one confirmed."""
    client = site.app.test_client()
    waiting = send_letter(client, "Amira Haddad", "amira.haddad@example.org")
    confirmed = send_letter(client, "Ben Tremblay", "ben.tremblay@example.org")
    link = confirmation_link(site.outbox, "ben.tremblay@example.org")
    action, fields = form_of(client, urlsplit(link).path, "form[method=post]")
    done = client.post(action, data=fields)
    assert done.status_code == 303, done.status_code
    return {
        "waiting": waiting,
        "confirm_link": urlsplit(confirmation_link(site.outbox, "amira.haddad@example.org")).path,
        "confirmed": confirmed,
        "outbox_message": sorted(path.name for path in site.outbox.glob("*.eml"))[0],
    }


def sign_petition(client: FlaskClient, name: str, address: str) -> str:
    """Sign the demo's petition from Ottawa Centre; the thanks page's path."""
    action, fields = form_of(client, f"{CAMPAIGN}/petition", "form#petition-form")
    fields.update(name=name, email=address, postal_code=ONE_RIDING, city="Ottawa")
    signed = client.post(action, data=fields)
    assert signed.status_code == 303, signed.status_code
    return str(signed.location)


def petitions(site: Site) -> dict[str, Any]:
    """Two signatures: one awaiting confirmation (and its link), one confirmed."""
    client = site.app.test_client()
    sign_petition(client, "Noor Haddad", "noor.haddad@example.org")
    confirmed = sign_petition(client, "Luc Roy", "luc.roy@example.org")
    link = petition_link(site.outbox, "luc.roy@example.org")
    action, fields = form_of(client, link, "form[method=post]")
    done = client.post(action, data=fields)
    assert done.status_code == 303, done.status_code
    return {
        "confirm_link": petition_link(site.outbox, "noor.haddad@example.org"),
        "confirmed": confirmed,
    }


def petition_link(outbox: Path, address: str) -> str:
    """The path of the petition confirmation link mailed to ``address``."""
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        if address in str(message["To"]) and body is not None:
            for line in str(body.get_content()).splitlines():
                if "/petition/confirm/" in line:
                    return urlsplit(line.strip()).path
    raise AssertionError(f"no petition link for {address}")


def call(site: Site) -> dict[str, Any]:
    """A call asked for from Ottawa Centre's page (local mode walks it at once)."""
    client = site.app.test_client()
    riding = client.get(f"{CAMPAIGN}/riding/35075")
    form = one(parse(riding.data), "form[action$='/call']")
    fields = form_fields(form)
    fields.update(phone="613-555-0123", consent="y")
    called = client.post(str(form["action"]), data=fields)
    assert called.status_code in (302, 303), called.status_code
    return {"status": called.location}


def save_campaign(site: Site, client: FlaskClient, line: str) -> None:
    """Add ``line`` to the English talking points and save the campaign's form."""
    campaign_id = site.ids["campaign_id"]
    action, fields = form_of(client, f"/admin/campaigns/{campaign_id}/edit", "form.campaign-form")
    fields["talking_points_en"] = fields.get("talking_points_en", "") + f"\n{line}\n"
    saved = client.post(action, data=fields)
    assert saved.status_code in (302, 303), saved.status_code


def history(site: Site) -> dict[str, Any]:
    """Two versions to compare, then changes left unpublished (where drafts exist: a
    published campaign's edits wait for the lead to publish them)."""
    client = site.app.test_client()
    log_in(client, site.admin)
    campaign_id = site.ids["campaign_id"]
    save_campaign(site, client, "Thank you.")
    with sessions(site.app)() as db:
        numbers = [version.number for version in versions.versions(db, campaign_id)]
    if len(numbers) < 2:  # saved as a draft: publish it
        page = client.get(f"/admin/campaigns/{campaign_id}/changes")
        form = one(parse(page.data), "form[action$='/changes/publish']")
        published = client.post(str(form["action"]), data=form_fields(form))
        assert published.status_code in (302, 303), published.status_code
        with sessions(site.app)() as db:
            numbers = [version.number for version in versions.versions(db, campaign_id)]
    assert len(numbers) >= 2, "saving the campaign made no second version to compare"
    save_campaign(site, client, "Merci.")
    return {"query": f"?a={min(numbers)}&b={max(numbers)}"}
