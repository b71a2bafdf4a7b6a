"""call requests remember when a timed-out create may be retried

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-05 21:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_requests") as batch:
        batch.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_requests") as batch:
        batch.drop_column("retry_at")
