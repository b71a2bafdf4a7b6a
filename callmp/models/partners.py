"""Partner organizations of a campaign: who they are, their code, where they embed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base, UtcDateTime, utcnow


class Partner(Base):
    """A member organization that brings supporters to a campaign.

    Its contacts carry its referral ``code`` (as a ``?ref=`` link or the embed's option);
    ``origins`` lists the sites allowed to frame the campaign and call its JSON APIs from
    a browser (one ``https://host[:port]`` per line); ``dashboard_key`` is the secret in
    the partner's private dashboard link (not in the campaign's versions: it is a key).
    """

    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    origins: Mapped[str] = mapped_column(Text, default="")
    dashboard_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    def origin_list(self) -> list[str]:
        """The allowed origins, one per non-empty line."""
        return [line.strip() for line in self.origins.splitlines() if line.strip()]
