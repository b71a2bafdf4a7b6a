"""Drafts of changes to a published campaign: edits wait, publish, discard, stale drafts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from callmp.campaigns import (
    drafts,
    editing,
    fields,
    people_editing,
    target_editing,
    versions,
)
from callmp.campaigns.fields import CampaignInput
from callmp.campaigns.target_editing import TargetChoice
from callmp.models import (
    Campaign,
    CampaignStatus,
    Person,
    Role,
    TargetKind,
    User,
)
from tests.factories import demo_campaign, make_campaign, make_person


@pytest.fixture
def lead(session: Session, make_user: Callable[..., User]) -> User:
    """A campaign lead, attached to ``session``."""
    user = session.get(User, make_user(Role.lead, name="Lee Lead").id)
    assert user is not None
    return user


def _input(campaign: Campaign, **changes: object) -> CampaignInput:
    """The campaign's form values with ``changes``."""
    return CampaignInput(**{**fields.form_values(campaign), **changes})


def save_title(session: Session, campaign: Campaign, lead: User, title: str, **kw: int) -> None:
    """Save the campaign form with a new English title, through the draft."""
    data = _input(campaign, title_en=title)
    drafts.edit(
        session,
        campaign,
        lead,
        lambda c: editing.save(session, c, data, lead, lambda code: code),
        **kw,
    )


def reread(session: Session, campaign_id: int) -> Campaign:
    """The campaign as committed (what another request, a supporter's, would read)."""
    session.commit()
    session.expire_all()
    found = session.get(Campaign, campaign_id)
    assert found is not None
    return found


def test_first_edit_of_a_live_campaign_makes_a_draft_and_supporters_keep_the_live_text(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    assert campaign.status == CampaignStatus.published
    live_title = campaign.title_en
    versions.ensure_baseline(session, campaign)
    before = versions.latest(session, campaign.id)
    save_title(session, campaign, lead, "A better title")
    campaign = reread(session, campaign.id)
    assert campaign.title_en == live_title
    draft = drafts.find(session, campaign.id)
    assert draft is not None
    assert draft.snapshot["title_en"] == "A better title"
    assert draft.revision == 1
    assert draft.user_label == lead.label
    after = versions.latest(session, campaign.id)
    assert before is not None and after is not None and after.number == before.number
    with drafts.materialized(session, campaign) as shown:
        assert shown.title_en == "A better title"
    assert reread(session, campaign.id).title_en == live_title


def test_a_draft_campaign_still_saves_directly(session: Session, lead: User) -> None:
    campaign = make_campaign(session)
    assert not drafts.uses_draft(session, campaign)
    drafts.save_edit(session, campaign, lead, lambda c: setattr(c, "goal", 77))
    assert reread(session, campaign.id).goal == 77
    assert drafts.find(session, campaign.id) is None


def test_target_edits_go_to_the_draft_with_keys_for_new_targets(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    live_ids = [t.id for t in campaign.targets]
    person = make_person(session)
    choice = TargetChoice(kind=TargetKind.person, person_id=person.id, role_en="Helper")
    drafts.edit(session, campaign, lead, lambda c: target_editing.add(session, c, choice, lead))
    campaign = reread(session, campaign.id)
    assert [t.id for t in campaign.targets] == live_ids
    draft = drafts.find(session, campaign.id)
    assert draft is not None
    assert draft.target_keys == [*live_ids, drafts.DRAFT_KEYS_START]
    assert draft.snapshot["targets"][-1]["person_id"] == person.id
    # The new target can be edited by its key, then removed; the live ones stay.
    key = drafts.DRAFT_KEYS_START
    drafts.edit(
        session,
        campaign,
        lead,
        lambda c: target_editing.move(session, c, key, -1, lead),
    )
    draft = drafts.find(session, campaign.id)
    assert draft is not None
    assert draft.target_keys == [live_ids[0], key, live_ids[1]]
    drafts.edit(session, campaign, lead, lambda c: target_editing.remove(session, c, key, lead))
    # Back to what supporters see: the draft is gone.
    assert drafts.find(session, campaign.id) is None
    assert [t.id for t in reread(session, campaign.id).targets] == live_ids


def test_a_stale_draft_is_refused_and_nothing_is_lost(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    # Both leads open the form with no draft yet (revision 0); the first one saves.
    save_title(session, campaign, lead, "First lead's title", expected=0)
    session.commit()
    with pytest.raises(drafts.DraftStale):
        save_title(session, campaign, lead, "Second lead's title", expected=0)
    session.rollback()
    draft = drafts.find(session, campaign.id)
    assert draft is not None and draft.snapshot["title_en"] == "First lead's title"


def test_a_person_a_draft_targets_cannot_be_deleted(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    person = make_person(session)
    choice = TargetChoice(kind=TargetKind.person, person_id=person.id)
    drafts.edit(session, campaign, lead, lambda c: target_editing.add(session, c, choice, lead))
    with pytest.raises(target_editing.TargetError):
        people_editing.delete(session, person, lead)
    assert session.get(Person, person.id) is not None
