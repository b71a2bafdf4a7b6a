"""partner organizations of a campaign: code, allowed origins, private dashboard key

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:10:00

A partner embeds the campaign on its own site and sees its own numbers: its contacts
carry its referral code, its origins may frame the campaign and call the JSON APIs from a
browser, and a secret key opens its dashboard. Partners changing what may frame a page
bumps the content revision like any content supporters see (cached pages carry the
frame-ancestors of their campaign).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

BUMP = "UPDATE content_state SET revision = revision + 1"

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("origins", sa.Text(), nullable=False),
        sa.Column("dashboard_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_partners_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("campaign_id", "code", name=op.f("uq_partners_campaign_id_code")),
        sa.UniqueConstraint("dashboard_key", name=op.f("uq_partners_dashboard_key")),
    )
    op.create_index(op.f("ix_partners_campaign_id"), "partners", ["campaign_id"])
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER partners_revision_{event.lower()} AFTER {event} ON partners"
                f" BEGIN {BUMP}; END"
            )
    else:
        op.execute(
            "CREATE TRIGGER partners_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            " ON partners FOR EACH STATEMENT EXECUTE FUNCTION content_revision()"
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_partners_campaign_id"), table_name="partners")
    op.drop_table("partners")
