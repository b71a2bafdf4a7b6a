"""Campaign leads create and edit campaigns: check every field, then save it as a version.

Domain code: no Flask. Input arrives as the strings and booleans a form holds
(``CampaignInput``); ``clean`` turns them into column values or raises ``CampaignInvalid``
listing every refused field with an untranslated message. Saving goes through
``versions`` so each save that changes something is a version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.campaigns import branding, fields, images, status, versions
from callmp.campaigns.edit_checks import (
    TEXT_MAX,
    TITLE_MAX,
    Checker,
    Cleaned,
    check_organization,
    check_petition,
    e164,
    text,
)
from callmp.campaigns.fields import (
    BOOLEANS,
    INPUT_FIELDS,
    CampaignInput,
    CampaignInvalid,
    FieldError,
)
from callmp.directory.email_addresses import AddressError, clean_address
from callmp.directory.office_hours import OfficePolicy
from callmp.i18n import N_
from callmp.letters.compose import BODY_MAX
from callmp.models import Campaign, CampaignStatus, ReferralCode, User
from callmp.templating import PLACEHOLDERS, one_line, unknown_placeholders

LANGUAGES = ("en fr", "en", "fr")
SLUG, SLUG_MIN, SLUG_MAX = fields.SLUG, fields.SLUG_MIN, fields.SLUG_MAX
SUBJECT_MAX = TITLE_MAX
LABEL_MAX = 200
NEEDED_WHILE_PUBLISHED = N_("A published campaign needs this.")

#: Texts whose placeholders are filled for each target, and their length limits.
FILLED_TEXTS = {
    "call_intro_en": TEXT_MAX,
    "call_intro_fr": TEXT_MAX,
    "talking_points_en": TEXT_MAX,
    "talking_points_fr": TEXT_MAX,
    "email_subject_en": SUBJECT_MAX,
    "email_subject_fr": SUBJECT_MAX,
    "email_body_en": BODY_MAX,
    "email_body_fr": BODY_MAX,
}


def placeholder_error(name: str, unknown: list[str]) -> FieldError:
    """The message naming unknown placeholders and listing the allowed ones."""
    allowed = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
    names = ", ".join(f"{{{key}}}" for key in unknown)
    message = fields.UNKNOWN_PLACEHOLDER if len(unknown) == 1 else fields.UNKNOWN_PLACEHOLDERS
    return FieldError(name, message, {"names": names, "allowed": allowed})


def _check_slug(check: Checker, session: Session, campaign_id: int | None) -> None:
    slug = one_line(check.data.slug).lower()
    check.set("slug", slug)
    if not fields.is_slug(slug):
        check.refuse("slug", fields.BAD_SLUG)
        return
    taken = session.scalars(select(Campaign.id).where(Campaign.slug == slug)).first()
    if taken is not None and taken != campaign_id:
        check.refuse("slug", fields.SLUG_TAKEN, slug=slug)


def _check_texts(check: Checker) -> None:
    data = check.data
    languages = data.languages if data.languages in LANGUAGES else ""
    check.set("languages", languages)
    if not languages:
        check.refuse("languages", fields.BAD_LANGUAGES)
    for name in ("title_en", "title_fr"):
        check.set(name, check.bounded(name, one_line(getattr(data, name)), TITLE_MAX))
    if not check.cleaned.columns["title_en"] and not check.cleaned.columns["title_fr"]:
        first = (languages or "en").split()[0]
        check.refuse(f"title_{first}", fields.TITLE_NEEDED)
    for name in ("summary_en", "summary_fr"):
        check.set(name, check.bounded(name, text(getattr(data, name)), TEXT_MAX))
    for name, maximum in FILLED_TEXTS.items():
        raw = getattr(data, name)
        value = one_line(raw) if name.startswith("email_subject") else text(raw)
        check.set(name, check.bounded(name, value, maximum))
        unknown = unknown_placeholders(value)
        if unknown:
            check.errors.append(placeholder_error(name, unknown))


def _check_settings(check: Checker) -> None:
    data = check.data
    for name in BOOLEANS:
        check.set(name, bool(getattr(data, name)))
    starts, ends = check.moment("starts_at"), check.moment("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        check.refuse("ends_at", fields.ENDS_BEFORE_START)
    check.whole("goal")
    phone = one_line(data.phone_number)
    try:
        check.set("phone_number", e164(phone) if phone else "")
    except ValueError:
        check.refuse("phone_number", fields.BAD_PHONE)
    if data.office_policy in set(OfficePolicy):
        check.set("office_policy", data.office_policy)
    else:
        check.refuse("office_policy", fields.BAD_POLICY)
    address = one_line(data.email_from_address)
    try:
        normalized = clean_address(address) if address else ""
    except AddressError:
        check.refuse("email_from_address", fields.BAD_EMAIL)
    else:
        check.set("email_from_address", check.bounded("email_from_address", normalized, 254))


def _check_brand(check: Checker, session: Session) -> None:
    name = one_line(check.data.organization_name)
    check.set("organization_name", check.bounded("organization_name", name, TITLE_MAX))
    colour, error, params = branding.check_accent(one_line(check.data.accent_color))
    check.set("accent_color", colour)
    if error:
        check.refuse("accent_color", error, **params)
    for name in images.IMAGE_FIELDS:
        key = one_line(getattr(check.data, name))
        check.set(name, key)
        # The key comes back from a hidden field: only an image stored here is accepted.
        if key and not (images.parse_key(key) and images.exists(session, key)):
            check.set(name, "")
            check.refuse(f"{name}_upload", images.UNKNOWN_IMAGE)


def _check_referrals(check: Checker, accept_code: Callable[[str], str]) -> None:
    seen: set[str] = set()
    for number, raw in enumerate(text(check.data.referral_codes).split("\n"), start=1):
        line = one_line(raw)
        if not line:
            continue
        code, _sep, label = line.partition(" ")
        where = {"line": str(number), "code": code}
        if accept_code(code) != code:
            check.refuse("referral_codes", fields.BAD_CODE, **where)
        elif code.lower() in seen:
            check.refuse("referral_codes", fields.DUPLICATE_CODE, **where)
        elif len(label) > LABEL_MAX:
            check.refuse("referral_codes", fields.LONG_LABEL, n=str(LABEL_MAX), **where)
        else:
            seen.add(code.lower())
            check.cleaned.referral_codes.append((code, label))


def clean(
    session: Session,
    data: CampaignInput,
    campaign_id: int | None,
    accept_code: Callable[[str], str],
) -> Cleaned:
    """Checked values for a campaign (``campaign_id`` None: a new one); else CampaignInvalid.

    ``accept_code`` is the share links' own referral-code check: the code it returns
    unchanged is accepted.
    """
    check = _check(session, data, campaign_id, accept_code)
    if check.errors:
        raise CampaignInvalid(check.errors)
    return check.cleaned


def _check(
    session: Session,
    data: CampaignInput,
    campaign_id: int | None,
    accept_code: Callable[[str], str],
) -> Checker:
    """Every check of ``data``: the values it keeps and every error, all at once."""
    check = Checker(data)
    _check_slug(check, session, campaign_id)
    _check_texts(check)
    _check_settings(check)
    _check_brand(check, session)
    check_petition(check)
    check_organization(check)
    _check_referrals(check, accept_code)
    return check


class _WouldBe:
    """A campaign as it would read with ``columns`` saved (for the completeness check)."""

    def __init__(self, campaign: Campaign, columns: dict[str, Any]) -> None:
        self._campaign, self._columns = campaign, columns

    def __getattr__(self, name: str) -> Any:
        if name in self._columns:
            return self._columns[name]
        return getattr(self._campaign, name)


def _published_gaps(campaign: Campaign, columns: dict[str, Any]) -> list[FieldError]:
    """What a published campaign would lack with ``columns``: one error for the whole
    campaign and one beside each field the form has."""
    if campaign.status != CampaignStatus.published:
        return []
    gaps = status.missing(_WouldBe(campaign, columns))  # type: ignore[arg-type]
    if not gaps:
        return []
    beside = [FieldError(gap, NEEDED_WHILE_PUBLISHED) for gap in gaps if gap in INPUT_FIELDS]
    return [FieldError("", fields.STILL_PUBLISHED, missing=tuple(gaps)), *beside]


def _apply(session: Session, campaign: Campaign, cleaned: Cleaned) -> None:
    """Set the columns and bring the referral codes in line (kept codes keep their rows)."""
    for name, value in cleaned.columns.items():
        setattr(campaign, name, value)
    wanted = dict(cleaned.referral_codes)
    for ref in list(campaign.referral_codes):
        if ref.code in wanted:
            ref.label = wanted.pop(ref.code)
        else:
            campaign.referral_codes.remove(ref)
    session.flush()  # a removed code's row goes before a code differing only in case comes
    for code, label in wanted.items():
        campaign.referral_codes.append(ReferralCode(code=code, label=label))


def create(session: Session, cleaned: Cleaned, actor: User | None) -> Campaign:
    """A new draft campaign from checked values, kept as its version 1."""
    campaign = Campaign(status=CampaignStatus.draft, title_en="", title_fr="", slug="")
    session.add(campaign)
    _apply(session, campaign, cleaned)
    versions.record_version(session, campaign, actor)
    return campaign


def update(session: Session, campaign: Campaign, cleaned: Cleaned, actor: User | None) -> None:
    """Save checked values as a new version (none if nothing changed).

    A published campaign must stay complete: when the change leaves a gap,
    CampaignInvalid is raised and the caller rolls the session back.
    """
    with versions.saving(session, campaign, actor):
        _apply(session, campaign, cleaned)
        gaps = _published_gaps(campaign, {})
        if gaps:
            raise CampaignInvalid(gaps)


def save(
    session: Session,
    campaign: Campaign | None,
    data: CampaignInput,
    actor: User | None,
    accept_code: Callable[[str], str],
) -> Campaign:
    """Check ``data`` and save it: a new draft when ``campaign`` is None, else a new version.

    Raises CampaignInvalid (the caller rolls back) listing every refused field.
    """
    check = _check(session, data, campaign.id if campaign else None, accept_code)
    # A published campaign's gaps are reported with the other errors, not after them.
    gaps = _published_gaps(campaign, check.cleaned.columns) if campaign is not None else []
    if check.errors:
        named = {error.name for error in check.errors}
        raise CampaignInvalid(
            check.errors + [gap for gap in gaps if not gap.name or gap.name not in named]
        )
    cleaned = check.cleaned
    if campaign is None:
        return create(session, cleaned, actor)
    update(session, campaign, cleaned, actor)
    return campaign
