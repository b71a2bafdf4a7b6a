"""The action ladder in the web layer: credit a call or a letter to this flow's signature."""

from __future__ import annotations

from callmp.db import utcnow
from callmp.models import Campaign
from callmp.petitions import ladder
from callmp.views.context import db, signature_for


def note_step(campaign: Campaign, step: ladder.Step) -> None:
    """Stamp ``step`` on the signature this visitor's flow made (from the session or the
    signed flow state, never from a link), in the request's transaction."""
    public_id = signature_for(campaign.slug)
    if public_id:
        ladder.record_step(db(), campaign.id, public_id, step, utcnow())
