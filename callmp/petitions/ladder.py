"""The action ladder: a signer who goes on to call or write, in the same flow.

Domain code: no Flask. The web layer finds the signature from what the supporter's own
session (or, inside a partner's frame, the signed flow state) remembers of their signing,
never from an address anyone could share; each step is stamped the first time only.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from callmp.models import PetitionSignature


class Step(enum.StrEnum):
    """The next steps after signing."""

    call = "call"  # a call request or a direct call reported
    write = "write"  # a letter sent


def record_step(
    session: Session, campaign_id: int, public_id: str, step: Step, now: datetime
) -> bool:
    """Stamp ``step`` on the signature (first time only); True when this stamped it."""
    column = PetitionSignature.called_at if step == Step.call else PetitionSignature.wrote_at
    moved = session.execute(
        update(PetitionSignature)
        .where(
            PetitionSignature.public_id == public_id,
            PetitionSignature.campaign_id == campaign_id,
            column.is_(None),
        )
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]
