"""A campaign's life: list them, check one is complete, publish, unpublish, archive.

Domain code: no Flask. Status is not part of a campaign's versions: each change goes to
the audit log instead.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import audit
from callmp.campaigns.fields import CampaignInvalid, FieldError
from callmp.i18n import N_
from callmp.models import Campaign, CampaignStatus, User

NOT_COMPLETE = N_("This campaign can't be published yet. Missing: %(missing)s.")
WRONG_STATUS = N_("This campaign is %(status)s: that can't be done now.")


def list_campaigns(session: Session) -> list[Campaign]:
    """Every campaign, newest first."""
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    return list(session.scalars(query))


def missing(campaign: Campaign) -> list[str]:
    """What the campaign lacks before supporters may see it (keys of ``LABELS``)."""
    gaps: list[str] = []
    languages = campaign.languages.split()
    needed = ["title", "summary"]
    if campaign.bridged_calls or campaign.direct_calls or campaign.emails:
        needed.append("talking_points")
    if campaign.bridged_calls:
        needed.append("call_intro")
    if campaign.emails:
        needed += ["email_subject", "email_body"]
    if campaign.petitions:
        needed += ["petition_title", "petition_text"]
    for text in needed:
        gaps += [f"{text}_{lang}" for lang in languages if not getattr(campaign, f"{text}_{lang}")]
    # CASL: every message asking consent names who asks and how to reach them.
    gaps += [
        name
        for name in ("org_legal_name", "org_mailing_address", "org_contact")
        if not getattr(campaign, name)
    ]
    if not campaign.targets:
        gaps.append("targets")
    if not (
        campaign.bridged_calls or campaign.direct_calls or campaign.emails or campaign.petitions
    ):
        gaps.append("channels")
    return gaps


def _refuse(campaign: Campaign) -> CampaignInvalid:
    """The error for a change the campaign's status does not allow."""
    return CampaignInvalid([FieldError("", WRONG_STATUS, {"status": str(campaign.status)})])


def publish(session: Session, campaign: Campaign, actor: User | None) -> None:
    """Show the campaign to supporters; CampaignInvalid naming what is missing if incomplete."""
    if campaign.status == CampaignStatus.published:
        raise _refuse(campaign)
    gaps = missing(campaign)
    if gaps:
        raise CampaignInvalid([FieldError("", NOT_COMPLETE, missing=tuple(gaps))])
    was = campaign.status
    campaign.status = CampaignStatus.published
    summary = audit.Summary(N_("published (was %(was)s)"), {"was": str(was)})
    audit.record(session, actor, "campaign.publish", summary, campaign=campaign)


def unpublish(session: Session, campaign: Campaign, actor: User | None) -> None:
    """Take a published campaign back to draft: supporters no longer see it."""
    if campaign.status != CampaignStatus.published:
        raise _refuse(campaign)
    campaign.status = CampaignStatus.draft
    summary = audit.Summary(N_("back to draft"))
    audit.record(session, actor, "campaign.unpublish", summary, campaign=campaign)


def archive(session: Session, campaign: Campaign, actor: User | None) -> None:
    """Close a campaign for good (it can still be published again by a lead)."""
    if campaign.status == CampaignStatus.archived:
        raise _refuse(campaign)
    was = campaign.status
    campaign.status = CampaignStatus.archived
    summary = audit.Summary(N_("archived (was %(was)s)"), {"was": str(was)})
    audit.record(session, actor, "campaign.archive", summary, campaign=campaign)
