"""Campaign leads add, change and remove a campaign's partners. Domain code, no Flask.

Each function checks what the lead typed, writes the partner and an audit entry, and
flushes; the caller commits. The dashboard key is drawn here, never typed: replacing it
is the way to cut off an old private link.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callmp import audit
from callmp.audit import Summary
from callmp.i18n import N_
from callmp.models import Campaign, Partner, User
from callmp.partners.origins import OriginError, normalise_origin

NAME_MAX = 200
ORIGINS_MAX = 20
#: Bytes of randomness in a dashboard key (43 URL-safe characters).
KEY_BYTES = 32

NO_NAME = N_("Give the partner's name.")
LONG_NAME = N_("Keep the name under %(n)s characters.")
BAD_CODE = N_(
    "Use 1 to 64 letters, digits, dots, dashes or underscores, as in a ?ref= link: "
    "“%(code)s” is not one."
)
NO_CODE = N_("Give the referral code the partner's links and embed carry.")
TAKEN_CODE = N_("Another partner of this campaign already has the code “%(code)s”.")
BAD_ORIGIN = N_(
    "Line %(line)s: “%(text)s” is not a site address like https://partner.example "
    "(a scheme and a host, maybe a port; no path)."
)
MANY_ORIGINS = N_("List at most %(n)s sites.")


@dataclass(frozen=True)
class PartnerInput:
    """What the lead typed in the partner form."""

    name: str
    code: str
    origins: str


@dataclass
class PartnerInvalid(ValueError):
    """Refused input: per form field, a msgid and its values."""

    errors: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Cleaned:
    name: str
    code: str
    origins: str  # normalised, one per line


def _origins(text: str, errors: dict[str, tuple[str, dict[str, str]]]) -> str:
    """The allowed origins normalised and deduplicated, one per line (errors noted)."""
    found: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            origin = normalise_origin(line)
        except OriginError:
            errors.setdefault("origins", (BAD_ORIGIN, {"line": str(number), "text": line[:80]}))
            continue
        if origin not in found:
            found.append(origin)
    if len(found) > ORIGINS_MAX:
        errors.setdefault("origins", (MANY_ORIGINS, {"n": str(ORIGINS_MAX)}))
    return "\n".join(found)


def _check(
    session: Session,
    campaign_id: int,
    data: PartnerInput,
    accept_code: Callable[[str], str],
    partner_id: int | None,
) -> _Cleaned:
    """``data`` cleaned, or PartnerInvalid with every refused field."""
    errors: dict[str, tuple[str, dict[str, str]]] = {}
    name = " ".join(data.name.split())
    if not name:
        errors["name"] = (NO_NAME, {})
    elif len(name) > NAME_MAX:
        errors["name"] = (LONG_NAME, {"n": str(NAME_MAX)})
    raw_code = data.code.strip()
    code = accept_code(raw_code)
    if not raw_code:
        errors["code"] = (NO_CODE, {})
    elif code != raw_code:
        errors["code"] = (BAD_CODE, {"code": raw_code[:80]})
    else:
        taken = session.scalar(
            select(Partner.id).where(
                Partner.campaign_id == campaign_id,
                Partner.code == code,
                Partner.id != (partner_id or 0),
            )
        )
        if taken is not None:
            errors["code"] = (TAKEN_CODE, {"code": code})
    origins = _origins(data.origins, errors)
    if errors:
        raise PartnerInvalid(errors)
    return _Cleaned(name, code, origins)


def _flush_or_taken(session: Session, code: str) -> None:
    """Write, or report the code as taken when another lead saved it since the check (the
    unique key decides; the transaction is rolled back, nothing of this save is kept)."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise PartnerInvalid({"code": (TAKEN_CODE, {"code": code})}) from None


def new_key() -> str:
    """A fresh secret for a private dashboard link."""
    return secrets.token_urlsafe(KEY_BYTES)


def _summary(message: str, partner: Partner) -> Summary:
    # The key is a secret: it never goes in the log, only the name and the code.
    return Summary(message, {"name": partner.name, "code": partner.code})


def create(
    session: Session,
    campaign: Campaign,
    data: PartnerInput,
    actor: User,
    accept_code: Callable[[str], str],
) -> Partner:
    """Add a partner to ``campaign`` with a new dashboard key."""
    cleaned = _check(session, campaign.id, data, accept_code, None)
    partner = Partner(
        campaign_id=campaign.id,
        name=cleaned.name,
        code=cleaned.code,
        origins=cleaned.origins,
        dashboard_key=new_key(),
    )
    session.add(partner)
    _flush_or_taken(session, cleaned.code)
    summary = _summary(N_("Partner “%(name)s” added (code %(code)s)."), partner)
    _record(session, actor, "partner.create", summary, campaign, partner)
    return partner


def update(
    session: Session,
    campaign: Campaign,
    partner: Partner,
    data: PartnerInput,
    actor: User,
    accept_code: Callable[[str], str],
) -> Partner:
    """Change a partner's name, code or allowed sites (its key stays)."""
    cleaned = _check(session, campaign.id, data, accept_code, partner.id)
    partner.name, partner.code, partner.origins = cleaned.name, cleaned.code, cleaned.origins
    _flush_or_taken(session, cleaned.code)
    summary = _summary(N_("Partner “%(name)s” edited (code %(code)s)."), partner)
    _record(session, actor, "partner.update", summary, campaign, partner)
    return partner


def replace_key(session: Session, campaign: Campaign, partner: Partner, actor: User) -> Partner:
    """Draw a new dashboard key: the old private link stops working."""
    partner.dashboard_key = new_key()
    session.flush()
    summary = _summary(N_("New private link for partner “%(name)s” (code %(code)s)."), partner)
    _record(session, actor, "partner.new_key", summary, campaign, partner)
    return partner


def delete(session: Session, campaign: Campaign, partner: Partner, actor: User) -> None:
    """Remove a partner: its link and its sites go; its contacts keep their code."""
    summary = _summary(N_("Partner “%(name)s” removed (code %(code)s)."), partner)
    _record(session, actor, "partner.delete", summary, campaign, partner)
    session.delete(partner)
    session.flush()


def _record(
    session: Session,
    actor: User,
    action: str,
    summary: Summary,
    campaign: Campaign,
    partner: Partner,
) -> None:
    audit.record(
        session,
        actor,
        action,
        summary,
        campaign=campaign,
        object_type="partner",
        object_id=partner.id,
    )


def of_campaign(session: Session, campaign_id: int) -> list[Partner]:
    """The campaign's partners by name."""
    query = select(Partner).where(Partner.campaign_id == campaign_id)
    return list(session.scalars(query.order_by(Partner.name, Partner.id)))


def find(session: Session, campaign_id: int, partner_id: int) -> Partner | None:
    """The partner ``partner_id`` of the campaign, if it is one of its partners."""
    partner = session.get(Partner, partner_id)
    return partner if partner is not None and partner.campaign_id == campaign_id else None


def by_key(session: Session, key: str) -> Partner | None:
    """The partner whose private link carries ``key``, or None.

    The unique index finds the row; the comparison of the whole key then takes the same
    time whatever it holds, so a near miss teaches nothing.
    """
    if not key or len(key) > 64:
        return None
    partner = session.scalar(select(Partner).where(Partner.dashboard_key == key))
    if partner is None or not hmac.compare_digest(partner.dashboard_key.encode(), key.encode()):
        return None
    return partner
