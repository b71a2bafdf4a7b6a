"""an index for a partner's dashboard: its own contacts, not the campaign's history

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 09:35:00

The partner's private dashboard counts the events carrying its referral code; without
this index it reads every event of the campaign, so its cost grew with the whole
campaign instead of with the partner's own contacts.
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

INDEX = "ix_contact_events_campaign_id_referral_created_at"


def upgrade() -> None:
    op.create_index(INDEX, "contact_events", ["campaign_id", "referral", "created_at"])
    op.execute("ANALYZE")


def downgrade() -> None:
    op.drop_index(INDEX, table_name="contact_events")
