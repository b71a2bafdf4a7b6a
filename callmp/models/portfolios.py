"""Ministerial portfolios: who holds each one now, and the ministerial office to contact.

A campaign may target a portfolio rather than a person, so a cabinet shuffle applied by a
data refresh retargets it with no edit. The portfolio's office (the minister's office, not
the member's Hill office) is a contact of its own: a ``Person`` row without a riding that
holds the office's email and its ``Office`` rows, each with its own source and date, so the
corrections, the contact pages, the call plan and the counted events work on it as on any
office.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmp.db import Base
from callmp.models.people import Person

#: Sources that are not official publications start with this (e.g. "demo:unverified"):
#: staff pages say "not from an official source" for them.
UNOFFICIAL_PREFIX = "demo:"


def is_unofficial(source: str) -> bool:
    """True when ``source`` is marked as not from an official source (e.g. the demo's)."""
    return source.startswith(UNOFFICIAL_PREFIX)


class Portfolio(Base):
    """A minister's portfolio, keyed by a slug of its English title."""

    __tablename__ = "portfolios"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title_en: Mapped[str] = mapped_column(String(300))
    # Empty when no French export or known title gave it: shown as missing, never made up.
    title_fr: Mapped[str] = mapped_column(String(300), default="")
    title_fr_source: Mapped[str] = mapped_column(String(80), default="")
    # The House's order of precedence (the Prime Minister is 1); lists follow it.
    precedence: Mapped[int] = mapped_column(Integer, default=0)
    # Who holds it now (None: vacant), since when, and where that came from, as of when.
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    holder_since: Mapped[date | None]
    holder_source: Mapped[str] = mapped_column(String(80), default="")
    holder_as_of: Mapped[date | None]
    # The ministerial office: a contact of its own (its email and offices, each sourced).
    office_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )

    holder: Mapped[Person | None] = relationship(foreign_keys=[holder_id])
    office_person: Mapped[Person | None] = relationship(foreign_keys=[office_person_id])

    def title(self, locale: str) -> str:
        """The portfolio's title in ``locale`` (English when the French one is missing)."""
        return (self.title_fr if locale == "fr" else self.title_en) or self.title_en
