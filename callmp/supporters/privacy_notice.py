"""What a campaign's privacy notice says: the organization, the retention periods, its words.

Domain code: no Flask, no config read at import. The periods come from the settings that
drive the purges themselves, so the notice states the numbers the code keeps to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import Campaign, CampaignStatus


@dataclass(frozen=True)
class Retention:
    """How long personal data is kept, in days, as the purges apply it."""

    # Letters and petition signatures: name, address, postal code, city, the letter or
    # comment (``EMAIL_RETENTION_DAYS``, the purge in letters.delivery / petitions.sweep).
    letters_days: int
    # A call's phone number is erased when the call ends (calls.call_requests); what a
    # call left (a transcript) goes after ``CALL_RETENTION_DAYS`` (supporters.retention).
    calls_days: int
    # The keyed hashes of connections' IP addresses (``IP_HASH_RETENTION_DAYS``).
    ip_days: int
    # A withdrawn consent's proof, without name or address (``CONSENT_PROOF_DAYS``).
    consent_proof_days: int


def retention(config: Mapping[str, Any]) -> Retention:
    """The retention periods from the app's settings."""
    return Retention(
        letters_days=int(config["EMAIL_RETENTION_DAYS"]),
        calls_days=int(config["CALL_RETENTION_DAYS"]),
        ip_days=int(config["IP_HASH_RETENTION_DAYS"]),
        consent_proof_days=int(config["CONSENT_PROOF_DAYS"]),
    )


@dataclass(frozen=True)
class Organization:
    """Who answers for a campaign's personal data, as the notice shows it."""

    legal_name: str
    address_lines: list[str]
    contact: str
    contact_is_email: bool


def organization(campaign: Campaign) -> Organization:
    """The campaign's organization (legal name, mailing address lines, contact)."""
    lines = [line.strip() for line in campaign.org_mailing_address.splitlines() if line.strip()]
    contact = campaign.org_contact.strip()
    return Organization(
        legal_name=campaign.org_legal_name.strip() or campaign.organization_name.strip(),
        address_lines=lines,
        contact=contact,
        contact_is_email="@" in contact,
    )


def paragraphs(text: str) -> list[str]:
    """Plain text as paragraphs (split on blank lines), each trimmed; never markup."""
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return [
        " ".join(line.strip() for line in block.splitlines()) for block in blocks if block.strip()
    ]


def own_words(campaign: Campaign, locale: str) -> tuple[list[str], str]:
    """The organization's own words for the notice in ``locale`` (else the other
    language's), and the language they are written in."""
    first, other = ("fr", "en") if locale.startswith("fr") else ("en", "fr")
    for lang in (first, other):
        found = paragraphs(getattr(campaign, f"privacy_notice_{lang}") or "")
        if found:
            return found, lang
    return [], first


def notice_campaign(session: Session, slug: str) -> Campaign | None:
    """The campaign whose notice ``slug`` asks for: published, or archived (its supporters
    still need the notice); never a draft."""
    query = select(Campaign).where(
        Campaign.slug == slug,
        Campaign.status.in_((CampaignStatus.published, CampaignStatus.archived)),
    )
    return session.scalars(query).first()


def published_campaigns(session: Session) -> list[Campaign]:
    """Every published campaign, by title, for the site-wide notice."""
    query = select(Campaign).where(Campaign.status == CampaignStatus.published)
    return list(session.scalars(query.order_by(Campaign.title_en, Campaign.id)))
