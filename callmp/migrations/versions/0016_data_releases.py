"""what data is loaded and how old it is; corrections marked by refreshes; language sources

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 08:10:00

``data_releases`` records each load of the directory data (the shipped files, then every
refresh applied), with the date of the data itself, so staff pages can say how old it is.
A refresh marks each lead's correction with what the new data says about it, and a
member's preferred language keeps the page it was read from. Columns are added with plain
ALTER TABLE (no batch copy), which keeps the content-revision triggers of 0015 in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_label", sa.String(length=254), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_releases")),
    )
    op.add_column(
        "people",
        sa.Column(
            "preferred_language_source", sa.String(length=80), nullable=False, server_default=""
        ),
    )
    op.add_column(
        "contact_corrections",
        sa.Column("data_verdict", sa.String(length=10), nullable=False, server_default=""),
    )
    op.add_column("contact_corrections", sa.Column("data_checked_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_corrections") as batch:
        batch.drop_column("data_checked_on")
        batch.drop_column("data_verdict")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("preferred_language_source")
    op.drop_table("data_releases")
