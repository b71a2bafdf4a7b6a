"""running totals of contact events (per office, per half hour, per referral code), kept
by triggers; a (campaign, id) index on the events for exports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BUCKET = 1800  # seconds: half an hour, exact for every Canadian time zone

# (table, key columns, the event's values for them, extra sums) of each running total.
# NULL keys are stored as 0 (NULL never equals NULL in a primary key).
_TOTALS = [
    (
        "counts_by_office",
        ["campaign_id", "target_id", "person_id", "office_id", "channel", "outcome"],
        [
            "{e}.campaign_id",
            "coalesce({e}.target_id, 0)",
            "coalesce({e}.person_id, 0)",
            "coalesce({e}.office_id, 0)",
            "{e}.channel",
            "{e}.outcome",
        ],
        True,
    ),
    (
        "counts_by_time",
        ["campaign_id", "bucket", "channel", "outcome"],
        ["{e}.campaign_id", "{bucket}", "{e}.channel", "{e}.outcome"],
        False,
    ),
    (
        "counts_by_referral",
        ["campaign_id", "referral", "channel", "outcome"],
        ["{e}.campaign_id", "coalesce({e}.referral, '')", "{e}.channel", "{e}.outcome"],
        False,
    ),
]

_BUCKET_SQL = {
    "sqlite": f"CAST(strftime('%s', {{e}}.created_at) AS INTEGER) / {BUCKET}",
    "postgresql": f"CAST(floor(extract(epoch FROM {{e}}.created_at) / {BUCKET}) AS INTEGER)",
}


def _values(values: list[str], event: str, dialect: str) -> list[str]:
    """The SQL for the key values of ``event`` (NEW or OLD)."""
    bucket = _BUCKET_SQL[dialect].format(e=event)
    return [v.format(e=event, bucket=bucket) for v in values]


def _add(dialect: str) -> list[str]:
    """Statements that add NEW to every running total."""
    statements = []
    for table, keys, values, with_duration in _TOTALS:
        columns = [*keys, "n"]
        row = [*_values(values, "NEW", dialect), "1"]
        update = f"n = {table}.n + 1"
        if with_duration:
            columns.append("duration_s")
            row.append("coalesce(NEW.duration_s, 0)")
            update += f", duration_s = {table}.duration_s + coalesce(NEW.duration_s, 0)"
        statements.append(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(row)})"
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update};"
        )
    return statements


def _remove(dialect: str) -> list[str]:
    """Statements that take OLD out of every running total."""
    statements = []
    for table, keys, values, with_duration in _TOTALS:
        match = " AND ".join(
            f"{k} = {v}" for k, v in zip(keys, _values(values, "OLD", dialect), strict=True)
        )
        update = "n = n - 1"
        if with_duration:
            update += ", duration_s = duration_s - coalesce(OLD.duration_s, 0)"
        statements.append(f"UPDATE {table} SET {update} WHERE {match};")
    return statements


_WATCHED = "campaign_id, target_id, person_id, office_id, channel, outcome, duration_s, referral"


def _create_triggers(dialect: str) -> None:
    """Triggers that keep the running totals in step with contact_events."""
    if dialect == "sqlite":
        add, remove = "\n".join(_add(dialect)), "\n".join(_remove(dialect))
        op.execute(
            "CREATE TRIGGER contact_events_count_insert AFTER INSERT ON contact_events"
            f" BEGIN\n{add}\nEND"
        )
        op.execute(
            "CREATE TRIGGER contact_events_count_delete AFTER DELETE ON contact_events"
            f" BEGIN\n{remove}\nEND"
        )
        op.execute(
            f"CREATE TRIGGER contact_events_count_update AFTER UPDATE OF {_WATCHED}, created_at"
            f" ON contact_events BEGIN\n{remove}\n{add}\nEND"
        )
        return
    add, remove = "\n    ".join(_add(dialect)), "\n    ".join(_remove(dialect))
    op.execute(
        "CREATE FUNCTION contact_events_count() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
        f"    {remove}\n"
        "  END IF;\n"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
        f"    {add}\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER contact_events_count AFTER INSERT OR DELETE OR UPDATE OF"
        f" {_WATCHED}, created_at ON contact_events"
        " FOR EACH ROW EXECUTE FUNCTION contact_events_count()"
    )


def _backfill(dialect: str) -> None:
    """Count the events that exist already."""
    for table, keys, values, with_duration in _TOTALS:
        exprs = [v.format(e="e", bucket=_BUCKET_SQL[dialect].format(e="e")) for v in values]
        columns = [*keys, "n"]
        selected = [*exprs, "count(*)"]
        if with_duration:
            columns.append("duration_s")
            selected.append("coalesce(sum(e.duration_s), 0)")
        op.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selected)}"
            f" FROM contact_events AS e GROUP BY {', '.join(exprs)}"
        )


def upgrade() -> None:
    op.create_table(
        "counts_by_office",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("office_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_counts_by_office_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "target_id",
            "person_id",
            "office_id",
            "channel",
            "outcome",
            name=op.f("pk_counts_by_office"),
        ),
    )
    op.create_table(
        "counts_by_time",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_counts_by_time_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "bucket", "channel", "outcome", name=op.f("pk_counts_by_time")
        ),
    )
    op.create_table(
        "counts_by_referral",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("referral", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_counts_by_referral_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "referral", "channel", "outcome", name=op.f("pk_counts_by_referral")
        ),
    )
    op.drop_index("ix_contact_events_campaign_id", table_name="contact_events")
    op.create_index("ix_contact_events_campaign_id_id", "contact_events", ["campaign_id", "id"])
    dialect = op.get_bind().dialect.name
    _backfill(dialect)
    _create_triggers(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contact_events_count_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS contact_events_count ON contact_events")
        op.execute("DROP FUNCTION IF EXISTS contact_events_count()")
    op.drop_index("ix_contact_events_campaign_id_id", table_name="contact_events")
    op.create_index("ix_contact_events_campaign_id", "contact_events", ["campaign_id"])
    op.drop_table("counts_by_referral")
    op.drop_table("counts_by_time")
    op.drop_table("counts_by_office")
