"""a revision number of what supporters' pages show, and each call's plan kept with it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 05:40:00

``content_state`` holds one row whose ``revision`` goes up, by trigger, in the same
transaction as any change to campaigns, targets, ridings, people, offices or contact
corrections, whoever makes it (the editor, a data import, a correction, SQL by hand).
Web processes keep the running campaigns and what they render per process and check this
one number per request, so an edit is seen by every process at once.

``call_requests.plan`` keeps the call's plan (targets, offices in order, words), worked out
when the call is requested, so the call's webhooks read it with the call instead of
rebuilding it; older calls without one have theirs built on first use, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: The tables whose rows supporters' pages and calls are made of.
WATCHED = ("campaigns", "targets", "ridings", "people", "offices", "contact_corrections")
BUMP = "UPDATE content_state SET revision = revision + 1"


def upgrade() -> None:
    op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO content_state (id, revision) VALUES (1, 1)")
    with op.batch_alter_table("call_requests") as batch:
        batch.add_column(sa.Column("plan", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table}"
                    f" BEGIN {BUMP}; END"
                )
        return
    op.execute(
        "CREATE FUNCTION content_revision() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n  {BUMP};\n  RETURN NULL;\nEND $$"
    )
    for table in WATCHED:
        op.execute(
            f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION content_revision()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
    else:
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        op.execute("DROP FUNCTION IF EXISTS content_revision()")
    with op.batch_alter_table("call_requests") as batch:
        batch.drop_column("plan")
    op.drop_table("content_state")
