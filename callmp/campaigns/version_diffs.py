"""Reading campaign versions: the list with what changed, and differences between two.

Domain code (no Flask). Texts written by organizers are escaped here before any markup
is added, so a diff can be shown as HTML without ever running what they wrote.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns.target_words import WORD_FIELDS
from callmp.campaigns.versions import CAMPAIGN_FIELDS, changed_fields, find_version, versions
from callmp.i18n import N_
from callmp.models import Campaign, CampaignVersion, Person, Portfolio

#: Human names of the fields a version keeps (msgids, translated by the view).
FIELD_LABELS: dict[str, str] = {
    "slug": N_("Address (slug)"),
    "title_en": N_("Title (English)"),
    "title_fr": N_("Title (French)"),
    "summary_en": N_("Description (English)"),
    "summary_fr": N_("Description (French)"),
    "languages": N_("Languages"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "goal": N_("Goal"),
    "bridged_calls": N_("Calls through CallMP"),
    "direct_calls": N_("Direct calls"),
    "emails": N_("Emails"),
    "phone_number": N_("Phone number"),
    "office_policy": N_("Which office to call"),
    "call_intro_en": N_("Call introduction (English)"),
    "call_intro_fr": N_("Call introduction (French)"),
    "talking_points_en": N_("Talking points (English)"),
    "talking_points_fr": N_("Talking points (French)"),
    "email_subject_en": N_("Email subject (English)"),
    "email_subject_fr": N_("Email subject (French)"),
    "email_body_en": N_("Email text (English)"),
    "email_body_fr": N_("Email text (French)"),
    "email_from_address": N_("Email sender address"),
    "email_confirm": N_("Confirm emails by a link"),
    "email_personal_line_required": N_("Personal line required"),
    "email_block_identical": N_("Block identical letters"),
    "email_mailto": N_("Offer the supporter's own mail app"),
    "petitions": N_("Petition"),
    "petition_title_en": N_("Petition title (English)"),
    "petition_title_fr": N_("Petition title (French)"),
    "petition_text_en": N_("Petition text (English)"),
    "petition_text_fr": N_("Petition text (French)"),
    "petition_goal": N_("Petition goal"),
    "petition_ends_at": N_("Petition closes"),
    "petition_confirm": N_("Confirm signatures by a link"),
    "petition_show_signers": N_("Show recent signers"),
    "petition_delivery": N_("Petition delivery"),
    "petition_delivery_every": N_("Deliver every N signatures"),
    "petition_delivery_at": N_("Petition delivery date"),
    "organization_name": N_("Organization name"),
    "org_legal_name": N_("Organization's legal name"),
    "org_mailing_address": N_("Organization's mailing address"),
    "org_contact": N_("Organization's contact"),
    "privacy_notice_en": N_("Privacy notice (English)"),
    "privacy_notice_fr": N_("Privacy notice (French)"),
    "accent_color": N_("Accent colour"),
    "logo_image": N_("Logo"),
    "header_image": N_("Header image"),
    "share_image": N_("Share image"),
    "targets": N_("Targets"),
    "referral_codes": N_("Referral codes"),
}

#: Human names of a target's own words (msgids).
TARGET_WORD_LABELS: dict[str, str] = {
    "talking_points_en": N_("Talking points (English)"),
    "talking_points_fr": N_("Talking points (French)"),
    "email_subject_en": N_("Email subject (English)"),
    "email_subject_fr": N_("Email subject (French)"),
    "email_body_en": N_("Email text (English)"),
    "email_body_fr": N_("Email text (French)"),
    "address_en": N_("Form of address (English)"),
    "address_fr": N_("Form of address (French)"),
    "gender": N_("Grammatical gender"),
}

#: Fields shown as a line and word diff rather than old → new.
LONG_TEXTS = frozenset(
    name
    for name in CAMPAIGN_FIELDS
    if name.startswith(
        (
            "summary_",
            "call_intro_",
            "talking_points_",
            "email_body_",
            "petition_text_",
            "privacy_notice_",
            "org_mailing_address",
        )
    )
)
_DATETIMES = frozenset({"starts_at", "ends_at", "petition_ends_at", "petition_delivery_at"})


def field_label(name: str) -> str:
    """The msgid naming field ``name`` (the name itself for a field we don't know)."""
    return FIELD_LABELS.get(name, name)


@dataclass(frozen=True)
class VersionRow:
    """One line of a campaign's history: the version and the fields it changed."""

    version: CampaignVersion
    changed: list[str]
    previous: int | None  # the number of the version before, to compare with


def history_rows(session: Session, campaign_id: int) -> list[VersionRow]:
    """Every version of a campaign, newest first, with the fields each one changed."""
    found = versions(session, campaign_id)
    rows = []
    for index, version in enumerate(found):
        before = found[index + 1] if index + 1 < len(found) else None
        changed = changed_fields(before.snapshot if before else None, version.snapshot)
        previous = before.number if before else None
        rows.append(VersionRow(version, [] if before is None else changed, previous))
    return rows


@dataclass(frozen=True)
class TargetLine:
    """A target as a lead reads it; ``change`` is "", "removed" or "added"."""

    change: str
    kind: str
    person: str
    role_en: str
    role_fr: str
    parties: str
    provinces: str
    fallback: str
    words: tuple[str, ...] = ()  # labels (msgids) of the target's own words that are set


@dataclass(frozen=True)
class TargetWordsDiff:
    """How one of a target's own words changed: target ``position``, field label, diff."""

    position: int
    label: str
    html: Markup


@dataclass(frozen=True)
class CodeLine:
    """A referral code; ``change`` is "", "removed" or "added"."""

    change: str
    code: str
    label: str


@dataclass
class FieldDiff:
    """How one field differs: ``html`` for long texts, ``old``/``new`` for short ones."""

    name: str
    label: str
    html: Markup | None = None
    old: Any = None
    new: Any = None
    targets: list[TargetLine] = field(default_factory=list)
    target_words: list[TargetWordsDiff] = field(default_factory=list)
    codes: list[CodeLine] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """Two versions of a campaign and their differences (empty when they are the same)."""

    old: CampaignVersion
    new: CampaignVersion
    diffs: list[FieldDiff]


_WORDS = re.compile(r"\s+|[^\s]+")


def _marked(tag: str, text: str) -> str:
    """``text`` escaped inside ``<tag>`` (nothing for empty text)."""
    return f"<{tag}>{escape(text)}</{tag}>" if text else ""


def _word_diff(old: str, new: str) -> str:
    """Escaped HTML of a word-level diff between two blocks of lines."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    out = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    if matcher.ratio() < 0.5:  # mostly rewritten: word crumbs would be harder to read
        return _marked("del", old) + _marked("ins", new)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(before[i1:i2]))))
            continue
        out.append(_marked("del", "".join(before[i1:i2])))
        out.append(_marked("ins", "".join(after[j1:j2])))
    return "".join(out)


def text_diff(old: str, new: str) -> Markup:
    """A line diff of two texts, refined word by word in changed lines, as safe HTML."""
    before, after = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(before[i1:i2]))))
        elif op == "replace":
            out.append(_word_diff("".join(before[i1:i2]), "".join(after[j1:j2])))
        else:
            out.append(_marked("del", "".join(before[i1:i2])))
            out.append(_marked("ins", "".join(after[j1:j2])))
    return Markup("".join(out))  # noqa: S704 - every piece of text above is escaped


def _names(session: Session, snapshots: list[dict[str, Any]]) -> dict[int | str, str]:
    """The names of every person the targets of ``snapshots`` point at (by id), and the
    titles of their portfolios (by ``"portfolio:id"``)."""
    portfolio_ids = {
        target.get("portfolio_id") for data in snapshots for target in data.get("targets", [])
    }
    portfolio_ids.discard(None)
    titles: dict[int | str, str] = {}
    if portfolio_ids:
        found = session.scalars(select(Portfolio).where(Portfolio.id.in_(portfolio_ids)))
        titles = {f"portfolio:{p.id}": p.title_en for p in found}
    ids = {
        target.get(key)
        for data in snapshots
        for target in data.get("targets", [])
        for key in ("person_id", "fallback_person_id")
    }
    ids.discard(None)
    if not ids:
        return titles
    people = session.scalars(select(Person).where(Person.id.in_(ids)))
    return titles | {person.id: person.full_name for person in people}


def _target_line(change: str, data: dict[str, Any], names: dict[int | str, str]) -> TargetLine:
    """A snapshot target with its people named (``#id`` for one who is gone); a portfolio
    target is named by its portfolio's title."""

    def name(person_id: int | None) -> str:
        return "" if person_id is None else names.get(person_id, f"#{person_id}")

    portfolio_id = data.get("portfolio_id")
    who = name(data.get("person_id"))
    if portfolio_id is not None:
        who = names.get(f"portfolio:{portfolio_id}", f"#{portfolio_id}")
    return TargetLine(
        change=change,
        kind=str(data.get("kind", "")),
        person=who,
        role_en=str(data.get("role_en", "")),
        role_fr=str(data.get("role_fr", "")),
        parties=str(data.get("parties", "")),
        provinces=str(data.get("provinces", "")),
        fallback=name(data.get("fallback_person_id")),
        words=tuple(TARGET_WORD_LABELS[key] for key in WORD_FIELDS if data.get(key)),
    )


def _same_target(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two snapshot targets name the same kind of person (or portfolio)."""
    keys = ("kind", "person_id", "portfolio_id")
    return tuple(a.get(k) for k in keys) == tuple(b.get(k) for k in keys)


def _words_diffs(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[TargetWordsDiff]:
    """The own words that changed, for targets at the same place naming the same person."""
    diffs = []
    for position, (before, after) in enumerate(zip(old, new, strict=False), start=1):
        if not _same_target(before, after):
            continue
        for key in WORD_FIELDS:
            was, now = str(before.get(key) or ""), str(after.get(key) or "")
            if was != now:
                diffs.append(
                    TargetWordsDiff(position, TARGET_WORD_LABELS[key], text_diff(was, now))
                )
    return diffs


def _list_diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Items of two lists in order, each marked "", "removed" or "added"."""
    keys_old = [tuple(sorted(item.items())) for item in old]
    keys_new = [tuple(sorted(item.items())) for item in new]
    out: list[tuple[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(("", item) for item in new[j1:j2])
            continue
        out.extend(("removed", item) for item in old[i1:i2])
        out.extend(("added", item) for item in new[j1:j2])
    return out


def _short_value(name: str, value: Any) -> Any:
    """A short field's value for display (dates back to datetimes)."""
    if name in _DATETIMES and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def diff_snapshots(session: Session, old: dict[str, Any], new: dict[str, Any]) -> list[FieldDiff]:
    """Per changed field, how it changed from ``old`` to ``new``."""
    names = _names(session, [old, new])
    diffs = []
    for name in changed_fields(old, new):
        diff = FieldDiff(name, field_label(name))
        before, after = old.get(name), new.get(name)
        if name == "targets":
            items = _list_diff(before or [], after or [])
            diff.targets = [_target_line(change, item, names) for change, item in items]
            diff.target_words = _words_diffs(before or [], after or [])
        elif name == "referral_codes":
            items = _list_diff(before or [], after or [])
            diff.codes = [CodeLine(c, str(i["code"]), str(i.get("label", ""))) for c, i in items]
        elif name in LONG_TEXTS:
            diff.html = text_diff(str(before or ""), str(after or ""))
        else:
            diff.old, diff.new = _short_value(name, before), _short_value(name, after)
        diffs.append(diff)
    return diffs


class UnknownVersion(LookupError):
    """A version number the campaign doesn't have."""


def compare(session: Session, campaign: Campaign, a: int, b: int) -> Comparison:
    """Versions ``a`` (older side) and ``b`` of ``campaign`` and how they differ."""
    old, new = find_version(session, campaign.id, a), find_version(session, campaign.id, b)
    if old is None or new is None:
        raise UnknownVersion(a if old is None else b)
    return Comparison(old, new, diff_snapshots(session, old.snapshot, new.snapshot))
