"""self-reports are limited per IP and per page's client, counted in the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_limits",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "hour", name=op.f("pk_report_limits")),
    )


def downgrade() -> None:
    op.drop_table("report_limits")
