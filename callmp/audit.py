"""The audit log: who changed what, when. Domain code, no Flask."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callmp.i18n import N_
from callmp.models import AuditEntry, Campaign, User

#: Human names of the actions (msgids, translated by the view); others show as written.
ACTION_LABELS: dict[str, str] = {
    "campaign.create": N_("Campaign created"),
    "campaign.update": N_("Campaign edited"),
    "campaign.restore": N_("Campaign version restored"),
    "campaign.publish": N_("Campaign published"),
    "campaign.unpublish": N_("Campaign unpublished"),
    "campaign.archive": N_("Campaign archived"),
    "campaign.publish_changes": N_("Campaign changes published"),
    "campaign.discard_draft": N_("Campaign changes discarded"),
    "campaign.status": N_("Campaign status changed"),
    "contact.correct": N_("Contact data corrected"),
    "contact.undo": N_("Contact correction undone"),
    "data.refresh": N_("Data refreshed from the House of Commons"),
    "partner.create": N_("Partner added"),
    "partner.update": N_("Partner edited"),
    "partner.new_key": N_("Partner's private link replaced"),
    "partner.delete": N_("Partner removed"),
    "person.create": N_("Person added"),
    "person.update": N_("Person edited"),
    "privacy.search": N_("Privacy request: person searched"),
    "privacy.view": N_("Privacy request: data shown"),
    "privacy.export": N_("Privacy request: data exported"),
    "privacy.erase": N_("Privacy request: person erased"),
    "supporters.export": N_("Supporter list exported"),
    "user.create": N_("Account created"),
    "user.update": N_("Account changed"),
    "user.password": N_("Password changed"),
}

#: The groups of actions the log can be filtered by (the part before the dot).
ACTION_GROUPS: dict[str, str] = {
    "campaign": N_("Campaigns"),
    "contact": N_("Contact data"),
    "data": N_("MP data"),
    "partner": N_("Partners"),
    "person": N_("People"),
    "privacy": N_("Privacy requests"),
    "supporters": N_("Supporter lists"),
    "user": N_("Accounts"),
}

#: How the object of an entry is named when it is not a campaign (msgids with ``%(id)s``).
OBJECT_LABELS: dict[str, str] = {
    "user": N_("Account #%(id)s"),
    "person": N_("Person #%(id)s"),
    "office": N_("Office #%(id)s"),
    "target": N_("Target #%(id)s"),
    "contact_correction": N_("Contact correction #%(id)s"),
    "data_release": N_("Data release #%(id)s"),
    "partner": N_("Partner #%(id)s"),
}

#: Who made a change when no staff account did (a ``flask`` command).
COMMAND_LINE = N_("command line")

#: A value of a summary: text, or a list of names (campaign fields) joined when shown.
Value = str | int | Sequence[str]


@dataclass(frozen=True)
class Summary:
    """A summary sentence as a msgid and its values, shown in each reader's language.

    By convention the web layer translates values by their name: ``role`` (a role),
    ``was`` (a campaign status), ``field`` (a corrected contact field), ``fields``
    (campaign fields), and a ``name_en``/``name_fr`` pair becomes ``name`` in the
    reader's language. Other values are shown as they are.
    """

    message: str
    params: Mapping[str, Value] = field(default_factory=dict)

    def english(self) -> str:
        """The sentence in English, as the ``summary`` column keeps it."""
        values: dict[str, object] = {}
        for key, value in self.params.items():
            if key.endswith("_fr"):
                continue
            shown = ", ".join(value) if isinstance(value, list | tuple) else value
            values[key.removesuffix("_en")] = shown
        return self.message % values if values else self.message


def object_label(object_type: str) -> str:
    """The msgid naming an object of ``object_type`` (the type and ``#%(id)s`` if unknown)."""
    return OBJECT_LABELS.get(object_type, f"{object_type} #%(id)s")


def action_label(action: str) -> str:
    """The msgid naming ``action`` (the action itself when it has no name yet)."""
    return ACTION_LABELS.get(action, action)


def record(
    session: Session,
    actor: User | None,
    action: str,
    summary: str | Summary,
    *,
    campaign: Campaign | None = None,
    user: User | None = None,
    object_type: str = "",
    object_id: int | None = None,
) -> AuditEntry:
    """Add one entry; ``action`` is a dotted name such as ``campaign.publish``.

    ``summary`` is a short sentence for staff (a ``Summary`` to show it in the reader's
    language); it never holds a supporter's data.
    """
    message, params = "", None
    if isinstance(summary, Summary):
        message = summary.message
        params = {
            k: list(v) if isinstance(v, list | tuple) else v for k, v in summary.params.items()
        }
        summary = summary.english()
    if user is not None and not object_type:
        object_type, object_id = "user", user.id
    elif campaign is not None and not object_type:
        object_type, object_id = "campaign", campaign.id
    entry = AuditEntry(
        user_id=actor.id if actor else None,
        user_label=actor.label if actor else COMMAND_LINE,
        action=action,
        object_type=object_type,
        object_id=object_id,
        campaign_id=campaign.id if campaign else None,
        summary=summary[:2000],
        message=message,
        params=params,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    campaign_id: int | None = None,
    limit: int = 200,
    before: int | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    """The newest entries first (of one campaign, of one action group if given).

    ``action`` matches itself and what starts with it and a dot: ``campaign`` finds
    ``campaign.publish``. ``before`` is an entry id: only older entries are listed.
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if campaign_id is not None:
        query = query.where(AuditEntry.campaign_id == campaign_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if action:
        query = query.where(
            or_(
                AuditEntry.action == action,
                AuditEntry.action.startswith(f"{action}.", autoescape=True),
            )
        )
    return list(session.scalars(query))


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, the campaigns it names, and where the next page starts."""

    entries: list[AuditEntry]
    campaign_titles: dict[int, str]
    next_before: int | None  # pass as ``before`` for the next page; None on the last one
    campaigns: list[tuple[int, str]]  # every campaign, for the filter


def page(
    session: Session,
    *,
    campaign_id: int | None = None,
    action: str | None = None,
    before: int | None = None,
    size: int = 50,
    locale: str = "en",
) -> AuditPage:
    """A page of ``size`` entries, newest first, with what the log page shows beside them
    (campaign titles in ``locale``, else in the other language)."""
    french = locale == "fr"
    found = entries(session, campaign_id=campaign_id, action=action, before=before, limit=size + 1)
    shown = found[:size]
    rows = session.execute(
        select(Campaign.id, Campaign.title_en, Campaign.title_fr, Campaign.slug)
    ).all()
    title = {
        row.id: ((row.title_fr if french else "") or row.title_en or row.title_fr or row.slug)
        for row in rows
    }
    campaigns = sorted(title.items(), key=lambda item: (item[1].casefold(), item[0]))
    titles = dict(campaigns)
    next_before = shown[-1].id if len(found) > size else None
    return AuditPage(shown, titles, next_before, campaigns)
