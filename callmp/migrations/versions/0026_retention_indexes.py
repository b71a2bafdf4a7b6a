"""retention purges that read only what is due

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 12:50:00

The retention purge runs with every mail sweep; without these it read every call request
and every withdrawn consent ever made. A call request records when its phone number and
transcript were purged (``purged_at``, read through its index with ``created_at``), a
withdrawn consent's proof is found by its withdrawal date, and the IP-hash purge reads a
partial index of the hashes not yet cleared.
Plain add_column keeps the tables' triggers, if any.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callmp.db import UtcDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

#: Tables whose IP hashes the retention purge clears, each with a partial index of the
#: hashes not yet cleared: the purge reads the retention period, not the history.
UNSWEPT = ("email_submissions", "petition_signatures", "call_requests")


def upgrade() -> None:
    op.add_column("call_requests", sa.Column("purged_at", UtcDateTime(), nullable=True))
    op.create_index(
        "ix_call_requests_purged_at_created_at", "call_requests", ["purged_at", "created_at"]
    )
    op.create_index("ix_consent_records_withdrawn_at", "consent_records", ["withdrawn_at"])
    for table in UNSWEPT:
        op.create_index(
            f"ix_{table}_created_at_unswept_ip",
            table,
            ["created_at"],
            sqlite_where=sa.text("ip_hmac != ''"),
            postgresql_where=sa.text("ip_hmac != ''"),
        )
    op.execute("ANALYZE")


def downgrade() -> None:
    for table in UNSWEPT:
        op.drop_index(f"ix_{table}_created_at_unswept_ip", table_name=table)
    op.drop_index("ix_consent_records_withdrawn_at", table_name="consent_records")
    op.drop_index("ix_call_requests_purged_at_created_at", table_name="call_requests")
    op.drop_column("call_requests", "purged_at")
