"""petitions: a campaign's "add your name", its signatures, and mail that is not a letter

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 11:45:00

A campaign may carry a petition (its words, goal, deadline, confirmation, public list of
signers, delivery schedule), edited and versioned with the rest of the campaign. Each
signature is one row, unique per campaign and keyed hash of the address, so a person
counts once however many processes take them at once. The email queue now also carries
a signature's confirmation (``signature_id``) and a petition's delivery to a target,
neither of which belongs to a letter, so ``submission_id`` may be empty.
Plain add_column on campaigns keeps its content-revision triggers (migration 0015);
email_messages has no trigger, so batch mode may rebuild it on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callmp.db import UtcDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TEXTS = {"petition_title_en": 200, "petition_title_fr": 200}
SIGNATURES = "petition_signatures"


def _campaign_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("petitions", sa.Boolean(), nullable=False, server_default="0"),
        *(
            sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            for name, length in TEXTS.items()
        ),
        sa.Column("petition_text_en", sa.Text(), nullable=False, server_default=""),
        sa.Column("petition_text_fr", sa.Text(), nullable=False, server_default=""),
        sa.Column("petition_goal", sa.Integer(), nullable=True),
        sa.Column("petition_ends_at", UtcDateTime(), nullable=True),
        sa.Column("petition_confirm", sa.Boolean(), nullable=False, server_default="1"),
        sa.Column("petition_show_signers", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("petition_delivery", sa.String(length=10), nullable=False, server_default="hand"),
        sa.Column("petition_delivery_every", sa.Integer(), nullable=True),
        sa.Column("petition_delivery_at", UtcDateTime(), nullable=True),
    ]


CHECKS = {
    "petition_goal_positive": "petition_goal IS NULL OR petition_goal > 0",
    "petition_delivery": "petition_delivery IN ('hand', 'every', 'date')",
    "petition_delivery_every_positive": (
        "petition_delivery_every IS NULL OR petition_delivery_every > 0"
    ),
}

INDEXES = {
    "ix_petition_signatures_campaign_id_status_fed_num": ["campaign_id", "status", "fed_num"],
    "ix_petition_signatures_campaign_id_status_created_at": [
        "campaign_id",
        "status",
        "created_at",
    ],
    "ix_petition_signatures_campaign_id_status_referral": [
        "campaign_id",
        "status",
        "referral",
        "share_source",
    ],
    "ix_petition_signatures_ip_hmac_created_at": ["ip_hmac", "created_at"],
    "ix_petition_signatures_status_created_at": ["status", "created_at"],
    "ix_petition_signatures_purged_at_created_at": ["purged_at", "created_at"],
    "ix_petition_signatures_person_id": ["person_id"],
}


def upgrade() -> None:
    for column in _campaign_columns():
        op.add_column("campaigns", column)
    # SQLite cannot add a CHECK to a table in place (a rebuild would drop the table's
    # triggers): there the domain code's checks stand alone; PostgreSQL holds them too.
    if op.get_bind().dialect.name != "sqlite":
        for name, condition in CHECKS.items():
            op.create_check_constraint(op.f(f"ck_campaigns_{name}"), "campaigns", condition)
    op.create_table(
        SIGNATURES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("fed_num", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("referral", sa.String(length=64), nullable=False),
        sa.Column("share_source", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_hmac", sa.String(length=64), nullable=False),
        sa.Column("ip_hmac", sa.String(length=64), nullable=False),
        sa.Column("postal_code", sa.String(length=7), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("show_publicly", sa.Boolean(), nullable=False),
        sa.Column("share_with_target", sa.Boolean(), nullable=False),
        sa.Column("consent_followup", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
        sa.Column("called_at", UtcDateTime(), nullable=True),
        sa.Column("wrote_at", UtcDateTime(), nullable=True),
        sa.Column("purged_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_petition_signatures_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fed_num"], ["ridings.fed_num"], name=op.f("fk_petition_signatures_fed_num_ridings")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_petition_signatures_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_signatures")),
        sa.UniqueConstraint("public_id", name=op.f("uq_petition_signatures_public_id")),
        sa.UniqueConstraint(
            "campaign_id", "email_hmac", name=op.f("uq_petition_signatures_campaign_id_email_hmac")
        ),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, SIGNATURES, columns)
    with op.batch_alter_table("email_messages") as batch:
        batch.alter_column("submission_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("signature_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_email_messages_signature_id_petition_signatures",
            SIGNATURES,
            ["signature_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_email_messages_signature_id", ["signature_id"])


def downgrade() -> None:
    op.execute("DELETE FROM email_messages WHERE submission_id IS NULL")
    with op.batch_alter_table("email_messages") as batch:
        batch.drop_index("ix_email_messages_signature_id")
        batch.drop_constraint(
            "fk_email_messages_signature_id_petition_signatures", type_="foreignkey"
        )
        batch.drop_column("signature_id")
        batch.alter_column("submission_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table(SIGNATURES)
    if op.get_bind().dialect.name != "sqlite":
        for name in CHECKS:
            op.drop_constraint(op.f(f"ck_campaigns_{name}"), "campaigns", type_="check")
    for column in reversed(_campaign_columns()):
        op.drop_column("campaigns", column.name)
