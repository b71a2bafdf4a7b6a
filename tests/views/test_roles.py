"""Every staff URL, for every role: who gets in, who is sent to log in, who gets 403.

The table below is the access policy. A staff URL missing from it fails the test, so a
new admin page cannot ship without saying who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import demo
from callmp.models import Campaign, Person, Role, User
from tests.support.app import log_in, sessions

STAFF_BLUEPRINTS = (
    "auth",
    "admin_campaigns",
    "admin_drafts",
    "admin_targets",
    "admin_portfolios",
    "admin_history",
    "admin_stats",
    "admin_petition_counts",
    "admin_contacts",
    "admin_users",
    "admin_partners",
    "admin_petition",
    "admin_supporters",
    "admin_privacy",
)
ORG, LEAD, ADMIN = Role.organizer, Role.lead, Role.admin
#: (endpoint, method) -> the least role that may use it.
POLICY: dict[tuple[str, str], Role] = {
    ("auth.password", "GET"): ORG,
    ("auth.change_password", "POST"): ORG,
    ("auth.account", "GET"): ORG,
    ("auth.save_time_zone", "POST"): ORG,
    ("admin_campaigns.index", "GET"): ORG,
    ("admin_campaigns.show", "GET"): ORG,
    ("admin_campaigns.preview", "GET"): ORG,
    ("admin_campaigns.new", "GET"): LEAD,
    ("admin_campaigns.create", "POST"): LEAD,
    ("admin_campaigns.edit", "GET"): LEAD,
    ("admin_campaigns.save", "POST"): LEAD,
    ("admin_campaigns.publish", "POST"): LEAD,
    ("admin_campaigns.confirm_unpublish", "GET"): LEAD,
    ("admin_campaigns.unpublish", "POST"): LEAD,
    ("admin_campaigns.confirm_archive", "GET"): LEAD,
    ("admin_campaigns.archive", "POST"): LEAD,
    ("admin_drafts.changes", "GET"): ORG,
    ("admin_drafts.publish_changes", "POST"): LEAD,
    ("admin_drafts.confirm_discard", "GET"): LEAD,
    ("admin_drafts.discard_changes", "POST"): LEAD,
    ("admin_targets.index", "GET"): ORG,
    ("admin_targets.edit", "GET"): LEAD,
    ("admin_targets.save", "POST"): LEAD,
    ("admin_targets.move", "POST"): LEAD,
    ("admin_targets.confirm_remove", "GET"): LEAD,
    ("admin_targets.remove", "POST"): LEAD,
    ("admin_targets.add_own_mp", "POST"): LEAD,
    ("admin_targets.add_person", "POST"): LEAD,
    ("admin_targets.add_portfolio", "POST"): LEAD,
    ("admin_portfolios.index", "GET"): ORG,
    ("admin_targets.people", "GET"): ORG,
    ("admin_targets.person", "GET"): ORG,
    ("admin_targets.save_person", "POST"): LEAD,
    ("admin_targets.new_person", "GET"): LEAD,
    ("admin_targets.create_person", "POST"): LEAD,
    ("admin_targets.confirm_delete_person", "GET"): LEAD,
    ("admin_targets.delete_person", "POST"): LEAD,
    ("admin_history.versions", "GET"): ORG,
    ("admin_history.compare", "GET"): ORG,
    ("admin_history.confirm_restore", "GET"): LEAD,
    ("admin_history.restore", "POST"): LEAD,
    ("admin_history.audit", "GET"): LEAD,
    ("admin_stats.show", "GET"): ORG,
    ("admin_stats.save_zone", "POST"): ORG,
    ("admin_stats.offices_csv", "GET"): ORG,
    ("admin_stats.events_csv", "GET"): ORG,
    ("admin_petition_counts.constituents", "GET"): ORG,
    ("admin_petition_counts.constituents_csv", "GET"): ORG,
    ("admin_petition_counts.days_csv", "GET"): ORG,
    ("admin_contacts.index", "GET"): LEAD,
    ("admin_contacts.person", "GET"): LEAD,
    ("admin_contacts.correct", "POST"): LEAD,
    ("admin_contacts.confirm_undo", "GET"): LEAD,
    ("admin_contacts.undo", "POST"): LEAD,
    ("admin_partners.index", "GET"): ORG,
    ("admin_partners.create", "POST"): LEAD,
    ("admin_partners.edit", "GET"): LEAD,
    ("admin_partners.update", "POST"): LEAD,
    ("admin_partners.confirm_new_link", "GET"): LEAD,
    ("admin_partners.new_link", "POST"): LEAD,
    ("admin_partners.confirm_delete", "GET"): LEAD,
    ("admin_partners.delete", "POST"): LEAD,
    ("admin_petition.deliveries", "GET"): ORG,
    ("admin_petition.confirm_deliver", "GET"): LEAD,
    ("admin_petition.deliver_now", "POST"): LEAD,
    ("admin_petition.packet_pdf", "GET"): ORG,
    ("admin_users.index", "GET"): ADMIN,
    ("admin_users.add", "POST"): ADMIN,
    ("admin_users.edit", "GET"): ADMIN,
    ("admin_users.save", "POST"): ADMIN,
    ("admin_supporters.supporters_csv", "GET"): ADMIN,
    ("admin_privacy.search_page", "GET"): ADMIN,
    ("admin_privacy.search", "POST"): ADMIN,
    ("admin_privacy.export", "POST"): ADMIN,
    ("admin_privacy.confirm_erase", "POST"): ADMIN,
    ("admin_privacy.erase", "POST"): ADMIN,
}
#: Staff URLs open to everyone: the login form, and logging out.
PUBLIC = {("auth.login", "GET"), ("auth.submit_login", "POST"), ("auth.logout", "POST")}
RANK = {ORG: 1, LEAD: 2, ADMIN: 3}
VIEWERS: list[Role | None] = [None, ORG, LEAD, ADMIN]


def staff_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every staff URL."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in STAFF_BLUEPRINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, rule.rule))
    return routes


def test_every_staff_url_is_in_the_policy(app: Flask) -> None:
    found = {(endpoint, method) for endpoint, method, _rule in staff_routes(app)}
    assert found - PUBLIC == set(POLICY), "add new staff URLs to POLICY"


def _url_values(session: Session, endpoint: str) -> dict[str, Any]:
    """Real ids for every URL argument a staff page can take."""
    campaign = session.scalars(select(Campaign).where(Campaign.slug == demo.DEMO_SLUG)).one()
    custom = session.scalars(select(Person).where(Person.source == demo.MINISTER_SOURCE)).one()
    member = session.scalars(select(Person).where(Person.fed_num == 35109)).one()
    admin = session.scalars(select(User).order_by(User.id)).first()
    mp_pages = endpoint.startswith("admin_contacts.")
    return {
        "campaign_id": campaign.id,
        "target_id": campaign.targets[0].id,
        "person_id": member.id if mp_pages else custom.id,
        "user_id": admin.id if admin else 1,
        "number": 1,
        "correction_id": 1,
        "partner_id": 1,
    }


@pytest.fixture
def matrix_app(make_app: Callable[..., Flask]) -> Flask:
    """The app with CSRF checks off: this test is about roles (CSRF is tested below)."""
    return make_app(WTF_CSRF_ENABLED=False)


def _url(app: Flask, endpoint: str) -> str:
    """The URL of ``endpoint`` with real ids filled in."""
    with sessions(app)() as session:
        values = _url_values(session, endpoint)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        return app.url_for(endpoint, **{k: values[k] for k in rule.arguments})


@pytest.mark.parametrize(("endpoint", "method"), sorted(POLICY))
def test_role_matrix(
    matrix_app: Flask, make_user: Callable[..., User], endpoint: str, method: str
) -> None:
    make_user(Role.admin, email="first.admin@staff.example")
    url = _url(matrix_app, endpoint)
    required = POLICY[(endpoint, method)]
    for viewer in VIEWERS:
        client = matrix_app.test_client()
        if viewer is not None:
            log_in(client, make_user(viewer))
        response = client.open(url, method=method, data={})
        response.close()  # a streamed download ends here, in its own request context
        seen = (viewer, response.status_code, response.headers.get("Location", ""))
        if viewer is None:
            assert response.status_code == 302, seen
            assert response.headers["Location"].startswith("/login?next="), seen
        elif RANK[viewer] < RANK[required]:
            assert response.status_code == 403, seen
        else:
            assert response.status_code not in (401, 403), seen
            assert response.status_code < 500, seen
            assert not response.headers.get("Location", "").startswith("/login"), seen


@pytest.mark.parametrize(("endpoint", "method"), sorted(key for key in POLICY if key[1] == "POST"))
def test_every_staff_post_needs_a_csrf_token(
    app: Flask, make_user: Callable[..., User], endpoint: str, method: str
) -> None:
    client = app.test_client()
    log_in(client, make_user(Role.admin))
    response = client.post(_url(app, endpoint), data={})
    assert response.status_code == 400
