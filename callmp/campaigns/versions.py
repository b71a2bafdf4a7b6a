"""Versions of campaigns: snapshot after every save, differences, restore. Domain code.

A version holds every editable field of a campaign (texts, settings), its targets and
its referral codes. The status (draft, published, archived) is not part of a version:
restoring an old text never unpublishes a campaign. Status changes go to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from callmp import audit
from callmp.campaigns.target_words import WORD_FIELDS
from callmp.db import rare
from callmp.i18n import N_, InputError
from callmp.models import (
    Campaign,
    CampaignVersion,
    ContactEvent,
    EmailMessage,
    Person,
    Portfolio,
    ReferralCode,
    Target,
    TargetKind,
    User,
)

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
    "petitions",
    "petition_title_en",
    "petition_title_fr",
    "petition_text_en",
    "petition_text_fr",
    "petition_goal",
    "petition_ends_at",
    "petition_confirm",
    "petition_show_signers",
    "petition_delivery",
    "petition_delivery_every",
    "petition_delivery_at",
    "organization_name",
    "org_legal_name",
    "org_mailing_address",
    "org_contact",
    "privacy_notice_en",
    "privacy_notice_fr",
    "accent_color",
    "logo_image",
    "header_image",
    "share_image",
)
TARGET_FIELDS = (
    "kind",
    "person_id",
    "portfolio_id",
    "role_en",
    "role_fr",
    "parties",
    "provinces",
    "fallback_person_id",
    *WORD_FIELDS,
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
    from_draft: bool = False,
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
    elif from_draft:
        summary = f"published draft changes: {summary}"
    version = CampaignVersion(
        campaign_id=campaign.id,
        number=number,
        user_id=actor.id if actor else None,
        user_label=actor.label if actor else audit.COMMAND_LINE,
        summary=summary[:1000],
        restored_from=restored_from,
        snapshot=data,
    )
    session.add(version)
    action = (
        "campaign.restore"
        if restored_from is not None
        else "campaign.publish_changes"
        if from_draft
        else ("campaign.create" if previous is None else "campaign.update")
    )
    audit.record(
        session,
        actor,
        action,
        _audit_summary(number, changed, restored_from, previous is None, from_draft),
        campaign=campaign,
    )
    session.flush()
    return version


def _audit_summary(
    number: int, changed: list[str], restored_from: int | None, first: bool, from_draft: bool
) -> audit.Summary:
    """The audit log's sentence for a new version (the fields it changed, by name)."""
    if first:
        return audit.Summary(N_("version %(number)s: created"), {"number": number})
    if restored_from is not None:
        return audit.Summary(
            N_("version %(number)s: restored version %(restored)s: %(fields)s"),
            {"number": number, "restored": restored_from, "fields": list(changed)},
        )
    if from_draft:
        return audit.Summary(
            N_("version %(number)s: published draft changes: %(fields)s"),
            {"number": number, "fields": list(changed)},
        )
    return audit.Summary(
        N_("version %(number)s: %(fields)s"), {"number": number, "fields": list(changed)}
    )


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


def find_version(session: Session, campaign_id: int, number: int) -> CampaignVersion | None:
    """Version ``number`` of a campaign, if there is one."""
    query = select(CampaignVersion).where(
        CampaignVersion.campaign_id == campaign_id, CampaignVersion.number == number
    )
    return session.scalars(query).first()


class VersionNotFound(LookupError):
    """The campaign has no version with that number."""


class RestoreRefused(InputError):
    """A version that can't be restored as it is; ``message`` says why, for the lead."""


_DATETIME_FIELDS = {"starts_at", "ends_at", "petition_ends_at", "petition_delivery_at"}


def _column_value(name: str, value: Any) -> Any:
    """A snapshot value turned back into what the column holds."""
    if name in _DATETIME_FIELDS and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _has_contacts(session: Session, target: Target) -> bool:
    """True when counted calls, emails or letters point at ``target``."""
    # Rare: SQLite would otherwise read every letter to prove a new target has none.
    events = exists().where(rare(ContactEvent.target_id == target.id))
    letters = exists().where(rare(EmailMessage.target_id == target.id))
    return bool(session.scalar(select(events | letters)))


def snapshot_conflict(
    session: Session, campaign: Campaign, data: dict[str, Any]
) -> tuple[str, dict[str, str]] | None:
    """What stops ``data`` from being applied to ``campaign`` now, if anything.

    ``("slug_taken", {"slug": ...})`` when another campaign has its address, or
    ``("person_gone", {"position": ...})`` for the first target naming a deleted person.
    """
    slug = data.get("slug", campaign.slug)
    taken = select(Campaign.id).where(Campaign.slug == slug, Campaign.id != campaign.id)
    if session.scalars(taken).first() is not None:
        return "slug_taken", {"slug": str(slug)}
    for position, target in enumerate(data.get("targets", []), start=1):
        for key in ("person_id", "fallback_person_id"):
            person_id = target.get(key)
            if person_id is not None and session.get(Person, person_id) is None:
                return "person_gone", {"position": str(position)}
        portfolio_id = target.get("portfolio_id")
        if portfolio_id is not None and session.get(Portfolio, portfolio_id) is None:
            return "person_gone", {"position": str(position)}
    return None


_RESTORE_REFUSALS = {
    "slug_taken": N_(
        "Version %(number)s uses the address %(slug)s, which another campaign has now."
    ),
    "person_gone": N_(
        "Target %(position)s of version %(number)s is a person who is no "
        "longer in the contact data, so this version can't be restored."
    ),
}


def check_restorable(session: Session, campaign: Campaign, data: dict[str, Any], n: int) -> None:
    """Refuse a version whose slug is taken or whose targets name people who are gone."""
    conflict = snapshot_conflict(session, campaign, data)
    if conflict is not None:
        reason, params = conflict
        raise RestoreRefused(reason, _RESTORE_REFUSALS[reason], {**params, "number": str(n)})


def _restore_targets(session: Session, campaign: Campaign, wanted: list[dict[str, Any]]) -> None:
    """Make the campaign's targets match ``wanted``, in order, keeping rows events point at.

    Counted calls and letters refer to target rows (deleting one would detach them), so
    existing rows are reused: first the row for the same person, then any other row
    (those with contacts first); only rows left over without contacts are deleted.
    """
    rows = sorted(campaign.targets, key=lambda t: t.position)
    chosen: list[Target | None] = []
    for data in wanted:
        same = next(
            (
                t
                for t in rows
                if t.kind == data["kind"]
                and t.person_id == data.get("person_id")
                and t.portfolio_id == data.get("portfolio_id")
            ),
            None,
        )
        if same is not None:
            rows.remove(same)
        chosen.append(same)
    rows.sort(key=lambda t: (not _has_contacts(session, t), t.position))
    for index, target in enumerate(chosen):
        if target is None and rows:
            chosen[index] = rows.pop(0)
    for extra in rows:
        if _has_contacts(session, extra):
            raise RestoreRefused(
                "target_has_contacts",
                N_(
                    "The campaign's target %(position)s has counted calls or emails, and "
                    "this version has no place for it, so it can't be restored."
                ),
                {"position": str(extra.position)},
            )
        campaign.targets.remove(extra)
    # Positions are unique per campaign: park kept rows out of the way before renumbering.
    for index, target in enumerate(chosen):
        if target is not None:
            target.position = -1 - index
    session.flush()
    for position, (target, data) in enumerate(zip(chosen, wanted, strict=True), start=1):
        if target is None:
            target = Target(kind=TargetKind(data["kind"]))
            campaign.targets.append(target)
        target.position = position
        target_values(target, data)
    session.flush()


def apply_fields(campaign: Campaign, data: dict[str, Any]) -> None:
    """Set the campaign's columns and referral codes from a snapshot (not its targets)."""
    for name in CAMPAIGN_FIELDS:
        if name in data:
            setattr(campaign, name, _column_value(name, data[name]))
    if "referral_codes" in data:
        _restore_referral_codes(campaign, list(data["referral_codes"]))


def target_values(target: Target, data: dict[str, Any]) -> None:
    """Set a target's columns from one target of a snapshot."""
    for name in TARGET_FIELDS:
        if name in data:
            value = data[name]
            setattr(target, name, TargetKind(value) if name == "kind" else value)
        elif name in WORD_FIELDS:
            # A version from before targets had words of their own: it had none.
            setattr(target, name, "")
        elif name == "portfolio_id":
            setattr(target, name, None)  # a version from before portfolios: none


def _restore_referral_codes(campaign: Campaign, wanted: list[dict[str, Any]]) -> None:
    """Make the campaign's referral codes match ``wanted`` (codes are matched by name)."""
    labels = {item["code"]: item.get("label", "") for item in wanted}
    for ref in list(campaign.referral_codes):
        if ref.code in labels:
            ref.label = labels.pop(ref.code)
        else:
            campaign.referral_codes.remove(ref)
    for code, label in labels.items():
        campaign.referral_codes.append(ReferralCode(code=code, label=label))


def restore(
    session: Session, campaign: Campaign, number: int, actor: User | None
) -> CampaignVersion | None:
    """Bring back version ``number`` (fields, targets, referral codes; not the status).

    The result is kept as a new version ("restored version n"); None when the campaign
    already matched it. Raises VersionNotFound or RestoreRefused.
    """
    version = find_version(session, campaign.id, number)
    if version is None:
        raise VersionNotFound(number)
    data = version.snapshot
    check_restorable(session, campaign, data, number)
    ensure_baseline(session, campaign, None)
    apply_fields(campaign, data)
    if "targets" in data:
        _restore_targets(session, campaign, list(data["targets"]))
    session.flush()
    return record_version(session, campaign, actor, restored_from=number)
