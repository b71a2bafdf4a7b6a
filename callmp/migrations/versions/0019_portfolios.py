"""ministers' portfolios, and campaign targets that follow whoever holds one

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:30:00

``portfolios`` keeps each minister's portfolio (a slug of its English title), who holds it
now and where that came from, and its ministerial office as a contact of its own. Targets
get ``portfolio_id`` and a third kind in their CHECK constraint.

On SQLite the targets table is rebuilt (batch mode: copy, drop, rename) to change its CHECK
constraint, and dropping a table drops its triggers: the content-revision triggers of 0015
are created again afterwards. Portfolios get the same triggers, since who holds one is
content supporters see (the running-campaign cache must not outlive a shuffle).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BUMP = "UPDATE content_state SET revision = revision + 1"
OLD_CHECK = "(kind = 'own_mp' AND person_id IS NULL) OR (kind = 'person' AND person_id IS NOT NULL)"
NEW_CHECK = (
    "(kind = 'own_mp' AND person_id IS NULL AND portfolio_id IS NULL)"
    " OR (kind = 'person' AND person_id IS NOT NULL AND portfolio_id IS NULL)"
    " OR (kind = 'portfolio' AND person_id IS NULL AND portfolio_id IS NOT NULL)"
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _sqlite_triggers(table: str, create: bool) -> None:
    for event in ("INSERT", "UPDATE", "DELETE"):
        name = f"{table}_revision_{event.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if create:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def upgrade() -> None:
    op.create_table(
        "portfolios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("title_fr", sa.String(length=300), nullable=False),
        sa.Column("title_fr_source", sa.String(length=80), nullable=False),
        sa.Column("precedence", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("holder_since", sa.Date(), nullable=True),
        sa.Column("holder_source", sa.String(length=80), nullable=False),
        sa.Column("holder_as_of", sa.Date(), nullable=True),
        sa.Column("office_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["people.id"],
            name=op.f("fk_portfolios_holder_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["office_person_id"],
            ["people.id"],
            name=op.f("fk_portfolios_office_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolios")),
        sa.UniqueConstraint("slug", name=op.f("uq_portfolios_slug")),
    )
    op.create_index(op.f("ix_portfolios_holder_id"), "portfolios", ["holder_id"])
    op.create_index(op.f("ix_portfolios_office_person_id"), "portfolios", ["office_person_id"])
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("portfolio_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_targets_portfolio_id_portfolios"),
            "portfolios",
            ["portfolio_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(op.f("ix_targets_portfolio_id"), ["portfolio_id"])
        batch.drop_constraint(op.f("ck_targets_kind_person"), type_="check")
        batch.create_check_constraint(op.f("ck_targets_kind_person"), sa.text(NEW_CHECK))
    if _sqlite():
        _sqlite_triggers("targets", create=True)
        _sqlite_triggers("portfolios", create=True)
    else:
        op.execute(
            "CREATE TRIGGER portfolios_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            " ON portfolios FOR EACH STATEMENT EXECUTE FUNCTION content_revision()"
        )


def downgrade() -> None:
    op.execute("DELETE FROM targets WHERE kind = 'portfolio'")
    with op.batch_alter_table("targets") as batch:
        batch.drop_constraint(op.f("ck_targets_kind_person"), type_="check")
        batch.create_check_constraint(op.f("ck_targets_kind_person"), sa.text(OLD_CHECK))
        batch.drop_index(op.f("ix_targets_portfolio_id"))
        batch.drop_constraint(op.f("fk_targets_portfolio_id_portfolios"), type_="foreignkey")
        batch.drop_column("portfolio_id")
    if _sqlite():
        _sqlite_triggers("targets", create=True)
        _sqlite_triggers("portfolios", create=False)
    else:
        op.execute("DROP TRIGGER IF EXISTS portfolios_revision ON portfolios")
    op.drop_table("portfolios")
