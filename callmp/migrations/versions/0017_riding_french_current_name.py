"""the French 2026 name of a renamed riding, where one is known

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 08:40:00

16 ridings were renamed in 2026 and the House of Commons gives their new names in English.
``name_current_fr`` holds the French form where the data has one (data/README.md says
how it was found); empty means French pages keep the official 2023 French name. The
column is added with plain ALTER TABLE (no batch copy), which keeps the content-revision
triggers of 0015 in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "ridings",
        sa.Column("name_current_fr", sa.String(length=200), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("ridings") as batch:
        batch.drop_column("name_current_fr")
