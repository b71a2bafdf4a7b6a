"""targets carry their own words and form of address; custom people a form of address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TEXTS = ("talking_points_en", "talking_points_fr", "email_body_en", "email_body_fr")
_LINES = ("email_subject_en", "email_subject_fr", "address_en", "address_fr")


def upgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        for name in _TEXTS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        for name in _LINES:
            batch.add_column(
                sa.Column(name, sa.String(length=200), nullable=False, server_default="")
            )
        batch.add_column(
            sa.Column("gender", sa.String(length=1), nullable=False, server_default="")
        )
        batch.create_check_constraint(op.f("ck_targets_gender"), "gender IN ('', 'f', 'm')")
    with op.batch_alter_table("people") as batch:
        for name in ("address_en", "address_fr"):
            batch.add_column(
                sa.Column(name, sa.String(length=200), nullable=False, server_default="")
            )
        batch.add_column(
            sa.Column("gender", sa.String(length=1), nullable=False, server_default="")
        )
        batch.create_check_constraint(op.f("ck_people_gender"), "gender IN ('', 'f', 'm')")


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint(op.f("ck_people_gender"), type_="check")
        for name in ("gender", "address_fr", "address_en"):
            batch.drop_column(name)
    with op.batch_alter_table("targets") as batch:
        batch.drop_constraint(op.f("ck_targets_gender"), type_="check")
        batch.drop_column("gender")
        for name in reversed(_LINES):
            batch.drop_column(name)
        for name in reversed(_TEXTS):
            batch.drop_column(name)
