"""consent records, the organization's identity, bounced mail

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 12:10:00

A supporter's consent to follow-up email is kept as a record of the exact words shown,
its language, the organization that asked, the action and its source, with a key for
the one-click unsubscribe link. Each campaign names its organization (legal name,
mailing address, contact, privacy notice). A message that bounced after the SMTP
hand-off records when; an MP's address that bounces is counted for the leads.
Plain add_column on campaigns keeps its content-revision triggers (migration 0015);
email_messages has no trigger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callmp.db import UtcDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

ORGANIZATION = (
    ("org_legal_name", sa.String(length=200)),
    ("org_mailing_address", sa.Text()),
    ("org_contact", sa.String(length=254)),
    ("privacy_notice_en", sa.Text()),
    ("privacy_notice_fr", sa.Text()),
)
CONSENT_INDEXES = {
    "ix_consent_records_campaign_id_withdrawn_at": ["campaign_id", "withdrawn_at"],
    "ix_consent_records_email_hmac": ["email_hmac"],
    "ix_consent_records_phone_hmac": ["phone_hmac"],
    "ix_consent_records_purged_at_created_at": ["purged_at", "created_at"],
    "ix_consent_records_submission_id": ["submission_id"],
    "ix_consent_records_signature_id": ["signature_id"],
    "ix_consent_records_call_request_id": ["call_request_id"],
}


def _foreign(column: str, table: str, key: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{table}.{key}"],
        name=op.f(f"fk_consent_records_{column}_{table}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    for name, kind in ORGANIZATION:
        op.add_column("campaigns", sa.Column(name, kind, nullable=False, server_default=""))
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unsubscribe_key", sa.String(length=43), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("referral", sa.String(length=64), nullable=False),
        sa.Column("share_source", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_hmac", sa.String(length=64), nullable=False),
        sa.Column("phone_hmac", sa.String(length=64), nullable=False),
        sa.Column("postal_code", sa.String(length=7), nullable=False),
        sa.Column("fed_num", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("call_request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime(), nullable=True),
        sa.Column("withdrawn_via", sa.String(length=16), nullable=False),
        sa.Column("purged_at", UtcDateTime(), nullable=True),
        _foreign("campaign_id", "campaigns", "id", "CASCADE"),
        _foreign("fed_num", "ridings", "fed_num", None),
        _foreign("submission_id", "email_submissions", "id", "SET NULL"),
        _foreign("signature_id", "petition_signatures", "id", "SET NULL"),
        _foreign("call_request_id", "call_requests", "id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("unsubscribe_key", name=op.f("uq_consent_records_unsubscribe_key")),
    )
    for name, columns in CONSENT_INDEXES.items():
        op.create_index(name, "consent_records", columns)
    op.create_table(
        "bounced_addresses",
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("bounces", sa.Integer(), nullable=False),
        sa.Column("last_reason", sa.String(length=300), nullable=False),
        sa.Column("last_bounce_at", UtcDateTime(), nullable=True),
        sa.Column("flagged_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_bounced_addresses_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_bounced_addresses")),
    )
    op.create_index("ix_bounced_addresses_person_id", "bounced_addresses", ["person_id"])
    op.add_column("email_messages", sa.Column("bounced_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("email_messages", "bounced_at")
    op.drop_table("bounced_addresses")
    op.drop_table("consent_records")
    for name, _kind in reversed(ORGANIZATION):
        op.drop_column("campaigns", name)
