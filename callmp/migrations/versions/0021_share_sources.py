"""share sources: which share button brought a contact; a campaign's look

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 09:20:00

A share link carries ``src`` (facebook, x, bluesky, whatsapp, email, link) next to the
referral code; the call request or letter remembers it and each contact event records
it, so the dashboard shows which channel (and which partner) brought supporters. The
index covers the "brought by shares" table: it reads only the events shares brought.
The campaign gains its organization's name and an accent colour (part of its versions).
Plain add_column (not batch mode) keeps the triggers on contact_events (migration 0006)
and on campaigns (the content revision, migration 0015).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLES = ("contact_events", "call_requests", "email_submissions")
BRAND = {"organization_name": 200, "accent_color": 7}


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("share_source", sa.String(length=16), nullable=False, server_default=""),
        )
    for name, length in BRAND.items():
        op.add_column(
            "campaigns",
            sa.Column(name, sa.String(length=length), nullable=False, server_default=""),
        )
    op.create_index(
        "ix_contact_events_share",
        "contact_events",
        ["campaign_id", "share_source", "referral", "channel", "outcome"],
    )


def downgrade() -> None:
    op.drop_index("ix_contact_events_share", table_name="contact_events")
    # Not batch mode: rebuilding contact_events on SQLite would drop its counts triggers
    # (SQLite 3.35+ drops a column in place).
    for table in TABLES:
        op.drop_column(table, "share_source")
    for name in BRAND:
        op.drop_column("campaigns", name)
