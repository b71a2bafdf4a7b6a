"""Publishing and discarding a campaign's unpublished changes, without a request."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns import draft_publishing, drafts, target_editing, versions
from callmp.campaigns.fields import CampaignInvalid
from callmp.campaigns.target_editing import TargetChoice
from callmp.models import AuditEntry, Campaign, CampaignDraft, TargetKind, User
from tests.campaigns.test_drafts import lead, reread, save_title
from tests.factories import demo_campaign, make_person
from tests.support.app import sessions

__all__ = ["lead"]  # the fixture, shared with the drafts' tests


def test_publish_applies_the_draft_records_a_version_and_an_audit_entry(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    versions.ensure_baseline(session, campaign)
    person = make_person(session)
    choice = TargetChoice(kind=TargetKind.person, person_id=person.id, role_en="Helper")
    save_title(session, campaign, lead, "A better title")
    drafts.edit(session, campaign, lead, lambda c: target_editing.add(session, c, choice, lead))
    draft = drafts.find(session, campaign.id)
    assert draft is not None and draft.revision == 2
    changes = draft_publishing.changes(session, campaign)
    assert [diff.name for diff in changes.diffs] == ["title_en", "targets"]
    assert [line.change for line in changes.diffs[1].targets] == ["", "", "added"]
    number = draft_publishing.publish(session, campaign, lead, expected=2)
    campaign = reread(session, campaign.id)
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
    assert reread(session, campaign.id).targets[0].provinces == ""
    draft_publishing.publish(session, campaign, lead, expected=1)
    campaign = reread(session, campaign.id)
    assert (campaign.targets[0].id, campaign.targets[0].provinces) == (own.id, "ON")


def test_discard_drops_the_draft_and_notes_it(session: Session, lead: User) -> None:
    campaign = demo_campaign(session)
    live_title = campaign.title_en
    save_title(session, campaign, lead, "A better title")
    draft_publishing.discard(session, campaign, lead, expected=1)
    campaign = reread(session, campaign.id)
    assert drafts.find(session, campaign.id) is None
    assert campaign.title_en == live_title
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.summary) == ("campaign.discard_draft", "draft discarded: title_en")
    with pytest.raises(draft_publishing.NoDraft):
        draft_publishing.discard(session, campaign, lead, expected=1)


def test_a_draft_saved_by_another_request_meanwhile_is_not_published(
    app: Flask, session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    live_title = campaign.title_en
    save_title(session, campaign, lead, "First", expected=0)
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
    assert reread(session, campaign.id).title_en == live_title


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


def test_publishing_or_discarding_what_changed_since_it_was_reviewed_is_refused(
    session: Session, lead: User
) -> None:
    campaign = demo_campaign(session)
    save_title(session, campaign, lead, "Reviewed title", expected=0)
    save_title(session, campaign, lead, "Later title", expected=1)  # after the review
    with pytest.raises(drafts.DraftStale):
        draft_publishing.publish(session, campaign, lead, expected=1)
    with pytest.raises(drafts.DraftStale):
        draft_publishing.discard(session, campaign, lead, expected=1)
