"""Drafts of changes to a published campaign: edits wait, publish, discard, stale drafts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns import (
    draft_publishing,
    drafts,
    editing,
    fields,
    people_editing,
    target_editing,
    versions,
)
from callmp.campaigns.fields import CampaignInput, CampaignInvalid
from callmp.campaigns.target_editing import TargetChoice
from callmp.models import (
    AuditEntry,
    Campaign,
    CampaignDraft,
    CampaignStatus,
    Person,
    Role,
    TargetKind,
    User,
)
from tests.factories import demo_campaign, make_campaign, make_person
from tests.support.app import sessions


@pytest.fixture
def lead(session: Session, make_user: Callable[..., User]) -> User:
    """A campaign lead, attached to ``session``."""
    user = session.get(User, make_user(Role.lead, name="Lee Lead").id)
    assert user is not None
    return user


def _input(campaign: Campaign, **changes: object) -> CampaignInput:
    """The campaign's form values with ``changes``."""
    return CampaignInput(**{**fields.form_values(campaign), **changes})


def _save_title(session: Session, campaign: Campaign, lead: User, title: str, **kw: int) -> None:
    """Save the campaign form with a new English title, through the draft."""
    data = _input(campaign, title_en=title)
    drafts.edit(
        session,
        campaign,
        lead,
        lambda c: editing.save(session, c, data, lead, lambda code: code),
        **kw,
    )


def _reread(session: Session, campaign_id: int) -> Campaign:
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
    _save_title(session, campaign, lead, "A better title")
    campaign = _reread(session, campaign.id)
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
    assert _reread(session, campaign.id).title_en == live_title


def test_a_draft_campaign_still_saves_directly(session: Session, lead: User) -> None:
    campaign = make_campaign(session)
    assert not drafts.uses_draft(session, campaign)


def test_target_edits_go_to_the_draft_with_keys_for_new_targets(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    live_ids = [t.id for t in campaign.targets]
    person = make_person(session)
    choice = TargetChoice(kind=TargetKind.person, person_id=person.id, role_en="Helper")
    drafts.edit(session, campaign, lead, lambda c: target_editing.add(session, c, choice, lead))
    campaign = _reread(session, campaign.id)
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
    assert [t.id for t in _reread(session, campaign.id).targets] == live_ids


def test_publish_applies_the_draft_records_a_version_and_an_audit_entry(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    versions.ensure_baseline(session, campaign)
    person = make_person(session)
    choice = TargetChoice(kind=TargetKind.person, person_id=person.id, role_en="Helper")
    _save_title(session, campaign, lead, "A better title")
    drafts.edit(session, campaign, lead, lambda c: target_editing.add(session, c, choice, lead))
    draft = drafts.find(session, campaign.id)
    assert draft is not None and draft.revision == 2
    changes = draft_publishing.changes(session, campaign)
    assert [diff.name for diff in changes.diffs] == ["title_en", "targets"]
    assert [line.change for line in changes.diffs[1].targets] == ["", "", "added"]
    number = draft_publishing.publish(session, campaign, lead, expected=2)
    campaign = _reread(session, campaign.id)
    assert campaign.title_en == "A better title"
    added = campaign.targets[-1]
    assert (added.person_id, added.role_en) == (person.id, "Helper")
    assert added.id < drafts.DRAFT_KEYS_START
    assert drafts.find(session, campaign.id) is None
    version = versions.latest(session, campaign.id)
    assert version is not None and version.number == number == 2
    assert version.user_label == lead.label
    assert version.summary.startswith("published draft changes: ")
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.user_id, entry.campaign_id) == (
        "campaign.publish_changes",
        lead.id,
        campaign.id,
    )


def test_publish_keeps_the_rows_of_edited_targets(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    own = next(t for t in campaign.targets if t.kind == TargetKind.own_mp)
    choice = TargetChoice(kind=TargetKind.own_mp, role_en="your MP", provinces=("ON",))
    drafts.edit(
        session, campaign, lead, lambda c: target_editing.update(session, c, own, choice, lead)
    )
    assert _reread(session, campaign.id).targets[0].provinces == ""
    draft_publishing.publish(session, campaign, lead, expected=1)
    campaign = _reread(session, campaign.id)
    assert (campaign.targets[0].id, campaign.targets[0].provinces) == (own.id, "ON")


def test_discard_drops_the_draft_and_notes_it(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    live_title = campaign.title_en
    _save_title(session, campaign, lead, "A better title")
    draft_publishing.discard(session, campaign, lead, expected=1)
    campaign = _reread(session, campaign.id)
    assert drafts.find(session, campaign.id) is None
    assert campaign.title_en == live_title
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.summary) == ("campaign.discard_draft", "draft discarded: title_en")
    with pytest.raises(draft_publishing.NoDraft):
        draft_publishing.discard(session, campaign, lead, expected=1)


def test_a_stale_draft_is_refused_and_nothing_is_lost(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    # Both leads open the form with no draft yet (revision 0); the first one saves.
    _save_title(session, campaign, lead, "First lead's title", expected=0)
    session.commit()
    with pytest.raises(drafts.DraftStale):
        _save_title(session, campaign, lead, "Second lead's title", expected=0)
    session.rollback()
    draft = drafts.find(session, campaign.id)
    assert draft is not None and draft.snapshot["title_en"] == "First lead's title"
    # Publishing what was reviewed before a later save is refused too.
    _save_title(session, campaign, lead, "Second lead's title", expected=1)
    with pytest.raises(drafts.DraftStale):
        draft_publishing.publish(session, campaign, lead, expected=1)
    with pytest.raises(drafts.DraftStale):
        draft_publishing.discard(session, campaign, lead, expected=1)


def test_a_draft_saved_by_another_request_meanwhile_is_not_published(
    app: Flask, session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    live_title = campaign.title_en
    _save_title(session, campaign, lead, "First", expected=0)
    session.commit()
    draft = drafts.find(session, campaign.id)
    assert draft is not None and draft.revision == 1
    # Another request saves the draft after this one read it, before it publishes.
    with sessions(app)() as other:
        other_draft = other.get(CampaignDraft, draft.id)
        assert other_draft is not None
        other_draft.snapshot = {**other_draft.snapshot, "title_en": "Other"}
        other.commit()
    with pytest.raises(drafts.DraftStale):
        draft_publishing.publish(session, campaign, lead, expected=1)
    session.rollback()
    assert _reread(session, campaign.id).title_en == live_title


def test_publish_refuses_changes_that_leave_a_live_campaign_incomplete(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    for target_id in [t.id for t in campaign.targets]:

        def remove(c: Campaign, i: int = target_id) -> None:
            target_editing.remove(session, c, i, lead)

        drafts.edit(session, campaign, lead, remove)
    draft = drafts.find(session, campaign.id)
    assert draft is not None and draft.snapshot["targets"] == []
    with pytest.raises(CampaignInvalid) as refused:
        draft_publishing.publish(session, campaign, lead, expected=2)
    assert refused.value.errors[0].missing == ("targets",)


def test_a_person_a_draft_targets_cannot_be_deleted(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    person = make_person(session)
    choice = TargetChoice(kind=TargetKind.person, person_id=person.id)
    drafts.edit(session, campaign, lead, lambda c: target_editing.add(session, c, choice, lead))
    with pytest.raises(target_editing.TargetError):
        people_editing.delete(session, person, lead)
    assert session.get(Person, person.id) is not None
