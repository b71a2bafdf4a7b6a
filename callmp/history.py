"""Versions of campaigns: snapshot after every save, differences, restore. Domain code.

A version holds every editable field of a campaign (texts, settings), its targets and
its referral codes. The status (draft, published, archived) is not part of a version:
restoring an old text never unpublishes a campaign. Status changes go to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import audit
from callmp.models import Campaign, CampaignVersion, User

#: Campaign columns kept in a version, in the order differences are listed.
CAMPAIGN_FIELDS = (
    "slug",
    "title_en",
    "title_fr",
    "summary_en",
    "summary_fr",
    "languages",
    "starts_at",
    "ends_at",
    "goal",
    "bridged_calls",
    "direct_calls",
    "emails",
    "phone_number",
    "office_policy",
    "call_intro_en",
    "call_intro_fr",
    "talking_points_en",
    "talking_points_fr",
    "email_subject_en",
    "email_subject_fr",
    "email_body_en",
    "email_body_fr",
    "email_from_address",
    "email_confirm",
    "email_personal_line_required",
    "email_block_identical",
    "email_mailto",
)
TARGET_FIELDS = (
    "kind",
    "person_id",
    "role_en",
    "role_fr",
    "parties",
    "provinces",
    "fallback_person_id",
)


def _plain(value: Any) -> Any:
    """A column value as JSON can hold it (datetimes as ISO strings, enums as strings)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def snapshot(campaign: Campaign) -> dict[str, Any]:
    """Everything a version keeps of ``campaign``, as JSON-ready data."""
    data: dict[str, Any] = {name: _plain(getattr(campaign, name)) for name in CAMPAIGN_FIELDS}
    data["targets"] = [
        {name: _plain(getattr(target, name)) for name in TARGET_FIELDS}
        for target in sorted(campaign.targets, key=lambda t: t.position)
    ]
    data["referral_codes"] = [
        {"code": ref.code, "label": ref.label}
        for ref in sorted(campaign.referral_codes, key=lambda r: r.code)
    ]
    return data


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """The keys whose values differ between two snapshots (all of them when ``old`` is None)."""
    keys = [*CAMPAIGN_FIELDS, "targets", "referral_codes"]
    if old is None:
        return keys
    return [key for key in keys if old.get(key) != new.get(key)]


def latest(session: Session, campaign_id: int) -> CampaignVersion | None:
    """The newest version of a campaign, if it has any."""
    query = (
        select(CampaignVersion)
        .where(CampaignVersion.campaign_id == campaign_id)
        .order_by(CampaignVersion.number.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def versions(session: Session, campaign_id: int) -> list[CampaignVersion]:
    """Every version of a campaign, newest first."""
    query = (
        select(CampaignVersion)
        .where(CampaignVersion.campaign_id == campaign_id)
        .order_by(CampaignVersion.number.desc())
    )
    return list(session.scalars(query))


def record_version(
    session: Session,
    campaign: Campaign,
    actor: User | None,
    *,
    restored_from: int | None = None,
) -> CampaignVersion | None:
    """Keep the campaign as it is now as a new version, and note it in the audit log.

    Nothing is recorded when nothing changed since the last version (saving an
    unchanged form adds no noise). Call after the change, once the campaign is flushed.
    """
    session.flush()
    session.refresh(campaign, ["targets", "referral_codes"])
    previous = latest(session, campaign.id)
    data = snapshot(campaign)
    changed = changed_fields(previous.snapshot if previous else None, data)
    if previous is not None and not changed:
        return None
    number = previous.number + 1 if previous else 1
    summary = "created" if previous is None else ", ".join(changed)
    if restored_from is not None:
        summary = f"restored version {restored_from}: {summary}"
    version = CampaignVersion(
        campaign_id=campaign.id,
        number=number,
        user_id=actor.id if actor else None,
        user_label=actor.label if actor else "command line",
        summary=summary[:1000],
        restored_from=restored_from,
        snapshot=data,
    )
    session.add(version)
    action = (
        "campaign.restore"
        if restored_from is not None
        else ("campaign.create" if previous is None else "campaign.update")
    )
    audit.record(session, actor, action, f"version {number}: {summary}", campaign=campaign)
    session.flush()
    return version


def ensure_baseline(session: Session, campaign: Campaign, actor: User | None = None) -> None:
    """Give a campaign made before versions existed (or by a script) its version 1 first."""
    if campaign.id is not None and latest(session, campaign.id) is None:
        record_version(session, campaign, actor)


@contextmanager
def saving(session: Session, campaign: Campaign, actor: User | None) -> Iterator[None]:
    """Wrap one edit of a campaign: keeps the state before as a baseline, records after.

    ``with history.saving(session, campaign, user): campaign.title_en = ...``
    """
    ensure_baseline(session, campaign, None)
    yield
    record_version(session, campaign, actor)
