"""the worker's scheduled checks of the data against the House of Commons

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:40:00

``data_checks`` keeps each run of the scheduled check (what it found, whether it failed,
how many admins were told), so staff pages can say when the data was last compared with
the House's files and what was found, without anything being applied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("refusals", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_checks")),
    )


def downgrade() -> None:
    op.drop_table("data_checks")
