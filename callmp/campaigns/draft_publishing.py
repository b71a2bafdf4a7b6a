"""Reviewing, publishing and discarding a campaign's unpublished changes. Domain code.

The review compares the draft with what supporters see now (``version_diffs``);
publishing applies the draft to the campaign's rows for good, like a restore, and records
a version; both publishing and discarding need the revision the lead reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from callmp import audit
from callmp.campaigns import drafts, status, versions
from callmp.campaigns.fields import CampaignInvalid, FieldError
from callmp.campaigns.version_diffs import FieldDiff, diff_snapshots
from callmp.i18n import N_, InputError
from callmp.models import Campaign, CampaignDraft, CampaignStatus, User

STILL_INCOMPLETE = N_(
    "These changes would leave the published campaign incomplete. Missing: %(missing)s."
)


class NoDraft(LookupError):
    """The campaign has no unpublished changes."""


class DraftRefused(InputError):
    """The draft can't be published as it is; ``message`` says why, for the lead."""


@dataclass(frozen=True)
class Changes:
    """The draft of a campaign and how it differs from what supporters see now."""

    draft: CampaignDraft
    diffs: list[FieldDiff]
    live_version: int | None  # the newest version's number
    behind: bool  # versions were recorded since the draft started (a restore, say)


def changes(session: Session, campaign: Campaign) -> Changes:
    """The campaign's draft and its differences from the live campaign; NoDraft if none."""
    draft = drafts.find(session, campaign.id)
    if draft is None:
        raise NoDraft(campaign.id)
    live = drafts.live_snapshot(session, campaign)
    latest = versions.latest(session, campaign.id)
    number = latest.number if latest is not None else None
    behind = number is not None and number > draft.base_version
    return Changes(draft, diff_snapshots(session, live, draft.snapshot), number, behind)


_REFUSALS = {
    "slug_taken": N_("These changes use the address %(slug)s, which another campaign has now."),
    "person_gone": N_(
        "Target %(position)s of these changes is a person who is no longer "
        "in the contact data: change or remove it first."
    ),
}


def _check(session: Session, campaign: Campaign, draft: CampaignDraft) -> None:
    """Refuse a draft whose address is taken or whose targets name people who are gone."""
    conflict = versions.snapshot_conflict(session, campaign, draft.snapshot)
    if conflict is not None:
        reason, params = conflict
        raise DraftRefused(reason, _REFUSALS[reason], params)


def publish(
    session: Session, campaign: Campaign, actor: User | None, *, expected: int
) -> int | None:
    """Apply the draft to the campaign (supporters see it now) and record it as a version.

    ``expected`` is the revision the lead reviewed: DraftStale if the draft has changed
    since. Returns the new version's number (None when nothing differed). Raises NoDraft,
    DraftRefused, or CampaignInvalid when a published campaign would be left incomplete.
    """
    draft = drafts.find(session, campaign.id)
    if draft is None:
        raise NoDraft(campaign.id)
    if draft.revision != expected:
        raise drafts.stale_error()
    _check(session, campaign, draft)
    versions.ensure_baseline(session, campaign, None)
    drafts.apply_draft(session, campaign, draft, keep_keys=False)
    gaps = status.missing(campaign) if campaign.status == CampaignStatus.published else []
    if gaps:
        raise CampaignInvalid([FieldError("", STILL_INCOMPLETE, missing=tuple(gaps))])
    drafts.drop(session, draft)
    version = versions.record_version(session, campaign, actor, from_draft=True)
    return version.number if version is not None else None


def discard(session: Session, campaign: Campaign, actor: User | None, *, expected: int) -> None:
    """Drop the campaign's unpublished changes (noted in the audit log)."""
    draft = drafts.find(session, campaign.id)
    if draft is None:
        raise NoDraft(campaign.id)
    if draft.revision != expected:
        raise drafts.stale_error()
    fields = versions.changed_fields(drafts.live_snapshot(session, campaign), draft.snapshot)
    drafts.drop(session, draft)
    summary = audit.Summary(N_("draft discarded: %(fields)s"), {"fields": fields})
    audit.record(session, actor, "campaign.discard_draft", summary, campaign=campaign)
    session.flush()
