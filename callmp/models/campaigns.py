"""Campaigns and the targets they ask supporters to contact."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmp.db import Base, UtcDateTime, utcnow
from callmp.i18n import french_spacing
from callmp.models.people import Person
from callmp.models.portfolios import Portfolio


class CampaignStatus(enum.StrEnum):
    """Life cycle of a campaign: only published ones are shown to supporters."""

    draft = "draft"
    published = "published"
    archived = "archived"


class Campaign(Base):
    """A call-and-email campaign with its texts in English and French."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("goal IS NULL OR goal > 0", name="goal_positive"),
        CheckConstraint(
            "office_policy IN ('hill', 'constituency', 'open_first')", name="office_policy"
        ),
        CheckConstraint(
            "petition_goal IS NULL OR petition_goal > 0", name="petition_goal_positive"
        ),
        CheckConstraint("petition_delivery IN ('hand', 'every', 'date')", name="petition_delivery"),
        CheckConstraint(
            "petition_delivery_every IS NULL OR petition_delivery_every > 0",
            name="petition_delivery_every_positive",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[CampaignStatus] = mapped_column(
        Enum(CampaignStatus, native_enum=False, length=20, validate_strings=True),
        default=CampaignStatus.draft,
        index=True,
    )
    title_en: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200))
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_fr: Mapped[str] = mapped_column(Text, default="")
    # The look of its public pages (callmp.campaigns.branding): "" for CallMP's own.
    organization_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    accent_color: Mapped[str] = mapped_column(String(7), default="", server_default="")
    # Uploaded images by key (callmp.campaigns.images): "" for none.
    logo_image: Mapped[str] = mapped_column(String(80), default="", server_default="")
    header_image: Mapped[str] = mapped_column(String(80), default="", server_default="")
    share_image: Mapped[str] = mapped_column(String(80), default="", server_default="")
    talking_points_en: Mapped[str] = mapped_column(Text, default="")
    talking_points_fr: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    goal: Mapped[int | None] = mapped_column(Integer)
    # The languages the campaign's texts are written in ("en fr", "en" or "fr").
    languages: Mapped[str] = mapped_column(String(10), default="en fr")
    # Click-to-call: what the voice says first, which office to ring, from which number.
    call_intro_en: Mapped[str] = mapped_column(Text, default="")
    call_intro_fr: Mapped[str] = mapped_column(Text, default="")
    office_policy: Mapped[str] = mapped_column(String(20), default="hill")
    phone_number: Mapped[str] = mapped_column(String(20), default="")
    bridged_calls: Mapped[bool] = mapped_column(Boolean, default=True)
    direct_calls: Mapped[bool] = mapped_column(Boolean, default=True)
    # Email: the letter's template, the address it comes from, and how it is sent.
    emails: Mapped[bool] = mapped_column(Boolean, default=True)
    email_subject_en: Mapped[str] = mapped_column(String(200), default="")
    email_subject_fr: Mapped[str] = mapped_column(String(200), default="")
    email_body_en: Mapped[str] = mapped_column(Text, default="")
    email_body_fr: Mapped[str] = mapped_column(Text, default="")
    email_from_address: Mapped[str] = mapped_column(String(254), default="")
    email_confirm: Mapped[bool] = mapped_column(Boolean, default=True)
    email_personal_line_required: Mapped[bool] = mapped_column(Boolean, default=False)
    email_block_identical: Mapped[bool] = mapped_column(Boolean, default=False)
    email_mailto: Mapped[bool] = mapped_column(Boolean, default=False)
    # The petition ("add your name"): its words, goal and deadline, whether signatures
    # are confirmed by email, whether consenting signers' first names and cities are
    # shown, and how each target receives it: by hand, every N new signatures, or on a date.
    petitions: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    petition_title_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    petition_title_fr: Mapped[str] = mapped_column(String(200), default="", server_default="")
    petition_text_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    petition_text_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    petition_goal: Mapped[int | None] = mapped_column(Integer)
    petition_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    petition_confirm: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    petition_show_signers: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    petition_delivery: Mapped[str] = mapped_column(
        String(10), default="hand", server_default="hand"
    )
    petition_delivery_every: Mapped[int | None] = mapped_column(Integer)
    petition_delivery_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The organization that asks supporters' consent and answers privacy requests (CASL
    # identification; PIPEDA, BC PIPA, Quebec's Law 25): shown beside every opt-in and
    # on the campaign's privacy notice.
    org_legal_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    org_mailing_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    org_contact: Mapped[str] = mapped_column(String(254), default="", server_default="")
    privacy_notice_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    privacy_notice_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    targets: Mapped[list[Target]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Target.position"
    )
    referral_codes: Mapped[list[ReferralCode]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="ReferralCode.code"
    )

    def text(self, field: str, locale: str) -> str:
        """A text field (``title``, ``email_body`` ...) in ``locale``, else the English one.

        French text gets its no-break spaces (``french_spacing``) however the lead typed it.
        """
        if locale == "fr" and (french := getattr(self, f"{field}_fr")):
            return french_spacing(french)
        value: str = getattr(self, f"{field}_en")
        return value


class TargetKind(enum.StrEnum):
    """Whom a target stands for: the supporter's own MP, a fixed person, or whoever holds a
    minister's portfolio now."""

    own_mp = "own_mp"
    person = "person"
    portfolio = "portfolio"


class Target(Base):
    """One step of a campaign: the supporter's MP, or a fixed person such as a minister."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("campaign_id", "position"),
        CheckConstraint(
            "(kind = 'own_mp' AND person_id IS NULL AND portfolio_id IS NULL)"
            " OR (kind = 'person' AND person_id IS NOT NULL AND portfolio_id IS NULL)"
            " OR (kind = 'portfolio' AND person_id IS NULL AND portfolio_id IS NOT NULL)",
            name="kind_person",
        ),
        CheckConstraint("gender IN ('', 'f', 'm')", name="gender"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[TargetKind] = mapped_column(
        Enum(TargetKind, native_enum=False, length=20, validate_strings=True)
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), index=True
    )
    # Portfolio targets: the portfolio, whose holder is looked up when a page is made.
    portfolio_id: Mapped[int | None] = mapped_column(
        ForeignKey("portfolios.id", ondelete="RESTRICT"), index=True
    )
    role_en: Mapped[str] = mapped_column(String(200), default="")
    role_fr: Mapped[str] = mapped_column(String(200), default="")
    # Own-MP targets only: reach the MP only when their party and province are listed
    # (parties separated by "|" as a name can hold a space, provinces by spaces; empty means
    # any), else (or when the seat is vacant) the fallback.
    parties: Mapped[str] = mapped_column(String(300), default="")
    provinces: Mapped[str] = mapped_column(String(100), default="")
    fallback_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), index=True
    )
    # The target's own words, each falling back to the campaign's text when empty.
    talking_points_en: Mapped[str] = mapped_column(Text, default="")
    talking_points_fr: Mapped[str] = mapped_column(Text, default="")
    email_subject_en: Mapped[str] = mapped_column(String(200), default="")
    email_subject_fr: Mapped[str] = mapped_column(String(200), default="")
    email_body_en: Mapped[str] = mapped_column(Text, default="")
    email_body_fr: Mapped[str] = mapped_column(Text, default="")
    # How letters and scripts address the person ("Minister Metlege Diab", "Madame la
    # Ministre"; empty: a neutral default), and their grammatical gender for French forms
    # ("f", "m"; empty: unknown, so wording that needs none).
    address_en: Mapped[str] = mapped_column(String(200), default="")
    address_fr: Mapped[str] = mapped_column(String(200), default="")
    gender: Mapped[str] = mapped_column(String(1), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="targets")
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    fallback_person: Mapped[Person | None] = relationship(foreign_keys=[fallback_person_id])
    portfolio: Mapped[Portfolio | None] = relationship()

    def role(self, locale: str) -> str:
        """How the supporter is told who this is, e.g. "the Minister of Immigration"."""
        role = (self.role_fr if locale == "fr" else self.role_en) or self.role_en
        if not role and self.portfolio is not None:
            return self.portfolio.title(locale)
        return role

    def words(self, field: str, locale: str) -> str:
        """The target's own text (``talking_points``, ``email_subject`` ...), else the campaign's.

        In ``locale`` first (the target's, then the campaign's), then in English, as
        ``Campaign.text`` falls back.
        """
        languages = ("fr", "en") if locale == "fr" else ("en",)
        for language in languages:
            for owner in (self, self.campaign):
                value: str = getattr(owner, f"{field}_{language}")
                if value:
                    return french_spacing(value) if language == "fr" else value
        return ""


class ReferralCode(Base):
    """A named share link (``?ref=code``) so organizers can see which partner brought whom."""

    __tablename__ = "referral_codes"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="referral_codes")


class ContentState(Base):
    """One row: ``revision`` goes up with any change to campaigns, targets, ridings, people,
    offices or corrections (database triggers, migration 0015), in the same transaction.
    Per-process caches of what supporters see are kept for one revision."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)


class CampaignImage(Base):
    """An image a lead uploaded (logo, header, share image), kept by its content's key.

    Never changed or deleted while versions may name it: restoring a version brings its
    images back. In the database, so every web process serves it without a shared folder.
    """

    __tablename__ = "campaign_images"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
