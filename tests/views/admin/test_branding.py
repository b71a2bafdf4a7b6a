"""A campaign's organization name and accent colour in the editor and its versions."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp.campaigns import versions as history
from callmp.models import Role, User
from tests.support.html import one, parse
from tests.views.admin.test_campaigns import (
    campaign_by_slug,
    create,
    field_error,
    form_values,
)

Login = Callable[..., User]


def test_a_colour_too_light_for_white_text_is_refused_next_to_its_field(
    client: FlaskClient, login_as: Login
) -> None:
    login_as(Role.lead)
    response = create(client, accent_color="#ffcc00", organization_name="Migrant Rights Network")
    assert response.status_code == 400
    page = parse(response.data)
    message = field_error(page, "accent_color")
    assert message.startswith("This colour is too light") and "4.5:1" in message
    values = form_values(one(page, "form.campaign-form"))
    assert values["accent_color"] == "#ffcc00"  # what was typed is kept
    assert values["organization_name"] == "Migrant Rights Network"


def test_a_colour_that_is_not_one_is_refused(client: FlaskClient, login_as: Login) -> None:
    login_as(Role.lead)
    response = create(client, accent_color="dark red")
    assert response.status_code == 400
    assert field_error(parse(response.data), "accent_color").startswith("Please enter a colour")


def test_the_look_is_saved_and_kept_in_the_campaigns_versions(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    assert create(client, accent_color="8A1C4B", organization_name="Union").status_code == 302
    campaign = campaign_by_slug(session, "fair-wages")
    assert (campaign.accent_color, campaign.organization_name) == ("#8a1c4b", "Union")
    edit_url = f"/admin/campaigns/{campaign.id}/edit"
    values = form_values(one(parse(client.get(edit_url).data), "form.campaign-form"))
    assert (values["accent_color"], values["organization_name"]) == ("#8a1c4b", "Union")
    changed = {**values, "accent_color": "#1e6b34", "organization_name": "Union Local 1"}
    assert client.post(edit_url, data=changed).status_code == 302
    latest = history.versions(session, campaign.id)[0]
    assert set(
        history.changed_fields(history.versions(session, campaign.id)[1].snapshot, latest.snapshot)
    ) >= {
        "accent_color",
        "organization_name",
    }
    session.expire_all()
    history.restore(session, campaign, 1, None)
    session.commit()
    restored = campaign_by_slug(session, "fair-wages")
    assert (restored.accent_color, restored.organization_name) == ("#8a1c4b", "Union")
