"""Changes to a published campaign wait in a draft until a lead publishes them.

Domain code, no Flask. The draft is a snapshot in the format of the campaign's versions
(``versions.snapshot``), so every field a version keeps (a target's new columns too)
flows through drafts with no code here. Edits reuse the editing functions unchanged: the
draft is applied to the campaign's own rows inside a SAVEPOINT (``materialized``), the
edit runs on them, the result is read back as a snapshot, and the SAVEPOINT is rolled
back, so supporters never see it. Publishing applies the snapshot for good and records a
version, like a restore (``draft_publishing``). Campaigns that are not published save
directly, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from callmp.campaigns import versions
from callmp.db import utcnow
from callmp.i18n import N_, InputError
from callmp.models import Campaign, CampaignDraft, CampaignStatus, Target, TargetKind, User

T = TypeVar("T")

#: Keys of targets a draft adds (no row of their own yet): far above any real row id,
#: within a 32-bit integer column. They only ever exist inside a rolled-back SAVEPOINT.
DRAFT_KEYS_START = 1_000_000_000

STALE = N_(
    "Another lead saved changes to this draft since you opened this page. Nothing was "
    "saved: please look at the draft as it is now and make your change again."
)


class DraftStale(InputError):
    """The draft changed since the lead loaded it; nothing was saved."""


def stale_error() -> DraftStale:
    """The refusal of a save over a draft that changed since the lead loaded it."""
    return DraftStale("draft_stale", STALE)


def find(session: Session, campaign_id: int) -> CampaignDraft | None:
    """The campaign's draft of unpublished changes, if it has one."""
    query = select(CampaignDraft).where(CampaignDraft.campaign_id == campaign_id)
    return session.scalars(query).first()


def naming(session: Session, person_id: int) -> list[Campaign]:
    """The campaigns whose draft has a target (or a fallback) that is this person."""
    found = []
    for draft in session.scalars(select(CampaignDraft).order_by(CampaignDraft.campaign_id)):
        people = {
            target.get(key)
            for target in draft.snapshot.get("targets", [])
            for key in ("person_id", "fallback_person_id")
        }
        if person_id in people:
            campaign = session.get(Campaign, draft.campaign_id)
            if campaign is not None:
                found.append(campaign)
    return found


def uses_draft(session: Session, campaign: Campaign) -> bool:
    """True when edits go to a draft: the campaign is published, or has a draft already."""
    return campaign.status == CampaignStatus.published or find(session, campaign.id) is not None


def revision(draft: CampaignDraft | None) -> int:
    """The draft's revision as forms carry it (0: no draft yet)."""
    return draft.revision if draft is not None else 0


def _ordered(campaign: Campaign) -> list[Target]:
    return sorted(campaign.targets, key=lambda t: t.position)


def _apply_targets(
    session: Session,
    campaign: Campaign,
    wanted: list[dict[str, Any]],
    keys: list[int],
    *,
    keep_keys: bool,
) -> None:
    """Make the campaign's target rows match ``wanted``: a key that is a row id edits that
    row (its counted calls stay with it); others become new rows (with the key as id when
    ``keep_keys``, so pages can name them); rows no key names are removed."""
    rows = {target.id: target for target in campaign.targets}
    chosen = [rows.pop(key, None) for key in keys]
    for extra in rows.values():
        campaign.targets.remove(extra)
    # Positions are unique per campaign: park kept rows out of the way before renumbering.
    for index, target in enumerate(chosen):
        if target is not None:
            target.position = -1 - index
    session.flush()
    for position, (target, data, key) in enumerate(zip(chosen, wanted, keys, strict=True), 1):
        if target is None:
            target = Target(kind=TargetKind(data["kind"]))
            if keep_keys and key >= DRAFT_KEYS_START:
                target.id = key
            campaign.targets.append(target)
        target.position = position
        versions.target_values(target, data)
    session.flush()
    for target in campaign.targets:
        session.expire(target)  # relationships (person ...) follow the ids just set


def apply_draft(
    session: Session, campaign: Campaign, draft: CampaignDraft, *, keep_keys: bool
) -> None:
    """Give the campaign's rows the draft's fields, referral codes and targets."""
    data = draft.snapshot
    versions.apply_fields(campaign, data)
    session.flush()
    _apply_targets(
        session,
        campaign,
        list(data.get("targets", [])),
        list(draft.target_keys),
        keep_keys=keep_keys,
    )
    session.expire(campaign)


@contextmanager
def materialized(session: Session, campaign: Campaign) -> Iterator[Campaign]:
    """The campaign as its draft has it, for the ``with`` block only.

    The draft is applied to the campaign's rows inside a SAVEPOINT that is always rolled
    back: pages rendered and edits made in the block see the draft, nothing else does.
    Without a draft, the block sees the campaign as it is (still inside a SAVEPOINT).
    """
    draft = find(session, campaign.id)
    nested = session.begin_nested()
    try:
        if draft is not None:
            apply_draft(session, campaign, draft, keep_keys=True)
        yield campaign
    finally:
        if nested.is_active:
            nested.rollback()
        session.expire_all()


@contextmanager
def editable(session: Session, campaign: Campaign) -> Iterator[Campaign]:
    """The campaign as its edit pages show it: as its draft has it when edits go to one."""
    if not uses_draft(session, campaign):
        yield campaign
        return
    with materialized(session, campaign) as shown:
        yield shown


def save_edit(
    session: Session,
    campaign: Campaign,
    actor: User | None,
    change: Callable[[Campaign], T],
    *,
    expected: int | None = None,
) -> T:
    """Run an edit: into the draft when edits go to one (``edit``), else straight on."""
    if uses_draft(session, campaign):
        return edit(session, campaign, actor, change, expected=expected)
    return change(campaign)


def live_snapshot(session: Session, campaign: Campaign) -> dict[str, Any]:
    """What supporters see now, as a snapshot."""
    session.refresh(campaign, ["targets", "referral_codes"])
    return versions.snapshot(campaign)


def edit(
    session: Session,
    campaign: Campaign,
    actor: User | None,
    change: Callable[[Campaign], T],
    *,
    expected: int | None = None,
) -> T:
    """Run ``change`` (an editing function) on the draft of ``campaign`` and keep the result.

    ``change`` gets the campaign as the draft has it and may raise to refuse the edit
    (the caller rolls back). The draft is created on the first edit and dropped when the
    edit brings it back to what supporters see. ``expected`` is the draft revision the
    lead's page showed (0: no draft): DraftStale when it has changed since.
    """
    versions.ensure_baseline(session, campaign, None)
    draft = find(session, campaign.id)
    if expected is not None and expected != revision(draft):
        raise stale_error()
    live = live_snapshot(session, campaign)
    with materialized(session, campaign) as editing:
        result = change(editing)
        session.flush()
        ordered = _ordered(editing)
        data = versions.snapshot(editing)
        ids = [target.id for target in ordered]
    draft = find(session, campaign.id)
    if not versions.changed_fields(live, data):
        if draft is not None:
            drop(session, draft)
        return result
    known = set(draft.target_keys if draft is not None else []) | {
        target.id for target in campaign.targets
    }
    created = draft is None
    if draft is None:
        base = versions.latest(session, campaign.id)
        draft = CampaignDraft(
            campaign_id=campaign.id,
            base_version=base.number if base is not None else 0,
            next_key=DRAFT_KEYS_START,
            created_at=utcnow(),
        )
    keys = []
    for target_id in ids:
        if target_id not in known:  # added by this edit: give it a key of the draft's own
            target_id = draft.next_key
            draft.next_key += 1
        keys.append(target_id)
    draft.snapshot, draft.target_keys = data, keys
    draft.updated_at = utcnow()
    draft.user_id = actor.id if actor else None
    draft.user_label = actor.label if actor else "command line"
    if created:
        session.add(draft)
    try:
        session.flush()
    except StaleDataError as error:  # another request saved the draft meanwhile
        raise stale_error() from error
    return result


def drop(session: Session, draft: CampaignDraft) -> None:
    """Delete the draft; DraftStale when another request changed or dropped it meanwhile."""
    session.delete(draft)
    try:
        session.flush()
    except StaleDataError as error:
        raise stale_error() from error
