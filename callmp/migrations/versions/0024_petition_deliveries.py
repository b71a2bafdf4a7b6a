"""petition deliveries: each round of a petition's emails to its targets, and its recipients

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 11:50:00

A round is unique per campaign and ``round_key``, so two workers that find the same
threshold or date reached record one round. Each recipient row points at the message
that carries its counts (unique), so email_messages itself is not altered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callmp.db import UtcDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

DELIVERIES = "petition_deliveries"
RECIPIENTS = "petition_delivery_recipients"


def upgrade() -> None:
    op.create_table(
        DELIVERIES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("round_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("total_signatures", sa.Integer(), nullable=False),
        sa.Column("new_signatures", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "total_signatures >= 0", name=op.f("ck_petition_deliveries_total_signatures")
        ),
        sa.CheckConstraint(
            "new_signatures >= 0", name=op.f("ck_petition_deliveries_new_signatures")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_petition_deliveries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_petition_deliveries_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_deliveries")),
        sa.UniqueConstraint(
            "campaign_id", "round_key", name=op.f("uq_petition_deliveries_campaign_id_round_key")
        ),
    )
    op.create_index(
        "ix_petition_deliveries_campaign_id_created_at", DELIVERIES, ["campaign_id", "created_at"]
    )
    op.create_table(
        RECIPIENTS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("fed_num", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("signatures", sa.Integer(), nullable=False),
        sa.Column("new_signatures", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("email_message_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "signatures >= 0", name=op.f("ck_petition_delivery_recipients_signatures")
        ),
        sa.CheckConstraint(
            "new_signatures >= 0", name=op.f("ck_petition_delivery_recipients_new_signatures")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            [f"{DELIVERIES}.id"],
            name=op.f("fk_petition_delivery_recipients_delivery_id_petition_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_petition_delivery_recipients_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["targets.id"],
            name=op.f("fk_petition_delivery_recipients_target_id_targets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_petition_delivery_recipients_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["fed_num"],
            ["ridings.fed_num"],
            name=op.f("fk_petition_delivery_recipients_fed_num_ridings"),
        ),
        sa.ForeignKeyConstraint(
            ["email_message_id"],
            ["email_messages.id"],
            name=op.f("fk_petition_delivery_recipients_email_message_id_email_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_delivery_recipients")),
        sa.UniqueConstraint(
            "delivery_id",
            "recipient_key",
            name=op.f("uq_petition_delivery_recipients_delivery_id_recipient_key"),
        ),
        sa.UniqueConstraint(
            "email_message_id",
            name=op.f("uq_petition_delivery_recipients_email_message_id"),
        ),
    )
    op.create_index(
        "ix_petition_delivery_recipients_campaign_id_recipient_key",
        RECIPIENTS,
        ["campaign_id", "recipient_key", "delivery_id"],
    )
    op.create_index("ix_petition_delivery_recipients_person_id", RECIPIENTS, ["person_id"])


def downgrade() -> None:
    op.drop_table(RECIPIENTS)
    op.drop_table(DELIVERIES)
