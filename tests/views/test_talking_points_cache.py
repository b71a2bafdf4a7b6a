"""The riding page renders talking points once per text, and a published edit at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from callmp.demo import DEMO_SLUG
from callmp.models import Role, User
from tests.factories import demo_campaign
from tests.support.confirm import confirm_via_page
from tests.support.html import one, parse
from tests.support.renders import count_renders
from tests.views.admin.test_campaigns import form_values

RIDING_PAGE = f"/c/{DEMO_SLUG}/riding/35100"
NEW_POINTS = "Please *act now*, {mp_name}: this is the edited text."


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Talking points actually rendered (not served from the cache), from an empty cache."""
    return count_renders(monkeypatch)


def scripts(client: FlaskClient) -> list[str]:
    """The talking points of each card on the riding page, as text."""
    page = parse(client.get(RIDING_PAGE).data)
    return [" ".join(s.get_text().split()) for s in page.select("details.talking-points .script")]


def test_talking_points_are_rendered_once_until_a_published_edit(
    client: FlaskClient,
    session: Session,
    login_as: Callable[..., User],
    renders: list[str],
) -> None:
    first = scripts(client)
    assert len(renders) == len(first) >= 2  # the MP's (the campaign's) and the Minister's
    for _ in range(3):
        assert scripts(client) == first
    assert len(renders) == len(first)

    login_as(Role.lead)
    campaign_id = demo_campaign(session).id
    show = f"/admin/campaigns/{campaign_id}"
    form = form_values(one(parse(client.get(f"{show}/edit").data), "form.campaign-form"))
    assert (
        client.post(f"{show}/edit", data={**form, "talking_points_en": NEW_POINTS}).status_code
        == 302
    )
    assert scripts(client) == first  # a draft: supporters still see the published text
    assert confirm_via_page(client, f"{show}/changes").status_code == 303

    edited = scripts(client)
    assert edited[0] == "Please act now, Chi Nguyen: this is the edited text."
    assert edited[1:] == first[1:]  # the Minister has talking points of her own
    assert renders[len(first) :] == [NEW_POINTS]  # the new text, rendered once
    assert scripts(client) == edited
    assert len(renders) == len(first) + 1
