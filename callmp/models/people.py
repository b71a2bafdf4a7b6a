"""Ridings, the people campaigns target (MPs and others), their offices and corrections."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    case,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmp.db import Base, UtcDateTime, utcnow


def riding_name_fr(name_current_fr: str, name_fr: str) -> str:
    """A riding's French display name: its current French name, else the official 2023
    French name (not every renamed riding has a known French form)."""
    return name_current_fr or name_fr


class Riding(Base):
    """A federal electoral district (2023 Representation Order), keyed by FED number."""

    __tablename__ = "ridings"
    __table_args__ = (CheckConstraint("fed_num BETWEEN 10000 AND 62999", name="fed_num_range"),)

    fed_num: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_current: Mapped[str] = mapped_column(String(200))
    # The French form of a 2026 name; empty where none is known (data/README.md).
    name_current_fr: Mapped[str] = mapped_column(String(200), default="")
    province_code: Mapped[int] = mapped_column(SmallInteger)
    province_abbr: Mapped[str] = mapped_column(String(2), index=True)
    province_en: Mapped[str] = mapped_column(String(60))
    province_fr: Mapped[str] = mapped_column(String(60))
    time_zone: Mapped[str] = mapped_column(String(40))
    time_zone_note: Mapped[str] = mapped_column(String(300), default="")
    previous_member: Mapped[str] = mapped_column(String(200), default="")

    member: Mapped[Person | None] = relationship(back_populates="riding", uselist=False)

    def name(self, locale: str) -> str:
        """The riding's display name in ``locale``: its current name, or in French the
        official 2023 French name where the current one has no known French form."""
        if locale == "fr":
            return riding_name_fr(self.name_current_fr, self.name_fr)
        return self.name_current

    def province(self, locale: str) -> str:
        """The province's name in ``locale``."""
        return self.province_fr if locale == "fr" else self.province_en


class Person(Base):
    """Someone a campaign can target: a sitting MP (with a riding) or a custom contact."""

    __tablename__ = "people"
    __table_args__ = (CheckConstraint("gender IN ('', 'f', 'm')", name="gender"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ourcommons_person_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    fed_num: Mapped[int | None] = mapped_column(
        ForeignKey("ridings.fed_num", ondelete="SET NULL"), unique=True
    )
    honorific: Mapped[str] = mapped_column(String(40), default="")
    full_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    party: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    email_source: Mapped[str] = mapped_column(String(80), default="")
    email_derived: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_url: Mapped[str] = mapped_column(String(500), default="")
    profile_url: Mapped[str] = mapped_column(String(500), default="")
    preferred_language: Mapped[str] = mapped_column(String(20), default="")
    # Where the preferred language came from (an official page and its date, e.g.
    # "hoc_profile_2025-08-09"); empty with an empty language means unknown.
    preferred_language_source: Mapped[str] = mapped_column(String(80), default="")
    # Custom people: how letters and scripts address them wherever a campaign reaches them
    # (a target may say otherwise), and their grammatical gender for French forms.
    address_en: Mapped[str] = mapped_column(String(200), default="")
    address_fr: Mapped[str] = mapped_column(String(200), default="")
    gender: Mapped[str] = mapped_column(String(1), default="")
    source: Mapped[str] = mapped_column(String(80), default="")
    as_of: Mapped[date | None]

    riding: Mapped[Riding | None] = relationship(back_populates="member")
    offices: Mapped[list[Office]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        # Parliament Hill first (policy asks go to Ottawa), then the riding's main office.
        order_by=lambda: (
            case(
                (Office.kind == OfficeKind.hill, 0),
                (Office.kind == OfficeKind.constituency, 1),
                else_=2,
            ),
            Office.position,
        ),
    )
    # Active corrections of the email (office corrections hang on their office).
    email_corrections: Mapped[list[ContactCorrection]] = relationship(
        primaryjoin="and_(ContactCorrection.person_id == Person.id, "
        "ContactCorrection.office_id.is_(None), ContactCorrection.active)",
        viewonly=True,
        order_by="ContactCorrection.id",
    )

    def correction(self, field: str) -> ContactCorrection | None:
        """The active correction of ``field`` ("email"), if a lead made one."""
        return next((c for c in self.email_corrections if c.field == field), None)


class OfficeKind(enum.StrEnum):
    """Where an office is: on Parliament Hill, in the riding, or elsewhere (ministers)."""

    hill = "hill"
    constituency = "constituency"
    other = "other"


class Office(Base):
    """One office of a person, with where its contact data came from and as of when."""

    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("person_id", "kind", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OfficeKind] = mapped_column(
        Enum(OfficeKind, native_enum=False, length=20, validate_strings=True)
    )
    position: Mapped[int] = mapped_column(SmallInteger, default=1)
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    label_en: Mapped[str] = mapped_column(String(120), default="")
    label_fr: Mapped[str] = mapped_column(String(120), default="")
    street: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    province_abbr: Mapped[str] = mapped_column(String(2), default="")
    postal_code: Mapped[str] = mapped_column(String(7), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    phone_raw: Mapped[str] = mapped_column(String(40), default="")
    toll_free: Mapped[str] = mapped_column(String(20), default="")
    fax: Mapped[str] = mapped_column(String(20), default="")
    time_zone: Mapped[str] = mapped_column(String(40), default="America/Toronto")
    # Opening hours as written by a lead, e.g. "Mon-Thu 09:00-17:00; Fri 09:00-12:00";
    # empty means the usual weekday 9 to 5 (see callmp.directory.office_hours).
    hours: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(80), default="")
    as_of: Mapped[date | None]
    issues: Mapped[str] = mapped_column(String(500), default="")

    person: Mapped[Person] = relationship(back_populates="offices")
    # Active corrections of this office's phone or hours (see callmp.directory.corrections).
    corrections: Mapped[list[ContactCorrection]] = relationship(
        primaryjoin="and_(ContactCorrection.office_id == Office.id, ContactCorrection.active)",
        viewonly=True,
        order_by="ContactCorrection.id",
    )

    def correction(self, field: str) -> ContactCorrection | None:
        """The active correction of ``field`` ("phone" or "hours"), if a lead made one."""
        return next((c for c in self.corrections if c.field == field), None)

    def label(self, locale: str) -> str:
        """The office's label in ``locale``."""
        return self.label_fr if locale == "fr" else self.label_en


class ContactCorrection(Base):
    """A campaign lead's correction of a person's email or an office's phone or hours.

    The imported data is overwritten by the corrected value, and a re-import leaves
    corrected fields alone; ``shipped_value`` keeps what the shipped data says, so a lead
    can see when the data has caught up.
    """

    __tablename__ = "contact_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(20))  # "phone", "email" or "hours"
    value: Mapped[str] = mapped_column(String(500), default="")
    shipped_value: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once undone/replaced
    # What the last data refresh said about the corrected value: "agrees" when the
    # official data now gives the same value, "disagrees" when it gives another, empty
    # before any refresh looked; and the date of the data that refresh read.
    data_verdict: Mapped[str] = mapped_column(String(10), default="")
    data_checked_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_label: Mapped[str] = mapped_column(String(254), default="")
