"""share sources: which share button brought a contact; a campaign's look

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 09:20:00

A share link carries ``src`` (facebook, x, bluesky, whatsapp, email, link) next to the
referral code; the call request or letter remembers it and each contact event records
it, so the dashboard shows which channel (and which partner) brought supporters. The
index covers the "brought by shares" table: it reads only the events shares brought.
The campaign gains its organization's name, an accent colour and uploaded images (logo,
header, share image; part of its versions), the images kept by content in
campaign_images.
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
BRAND = {
    "organization_name": 200,
    "accent_color": 7,
    "logo_image": 80,
    "header_image": 80,
    "share_image": 80,
}


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
    op.create_table(
        "campaign_images",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_campaign_images")),
    )
    op.create_index(
        "ix_contact_events_share",
        "contact_events",
        ["campaign_id", "share_source", "referral", "channel", "outcome"],
    )


def downgrade() -> None:
    op.drop_table("campaign_images")
    op.drop_index("ix_contact_events_share", table_name="contact_events")
    # Not batch mode: rebuilding contact_events on SQLite would drop its counts triggers
    # (SQLite 3.35+ drops a column in place).
    for table in TABLES:
        op.drop_column(table, "share_source")
    for name in BRAND:
        op.drop_column("campaigns", name)
