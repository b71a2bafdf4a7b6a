"""composite indexes for the hot queries, so that their cost does not grow with a campaign

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:10:00

Each limit count, duplicate check and sweeper query now reads a range bounded by what it
filters on (one address and the last hour, one sender and campaign and the last day ...)
instead of every row sharing its first column. Single-column indexes that a new composite
index starts with, or that no query used alone any more, are dropped. ANALYZE then gives
the planner statistics that include the new indexes.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: (table, index, columns) created by this revision.
NEW = [
    (
        "email_submissions",
        "ix_email_submissions_email_hmac_campaign_id_created_at",
        ["email_hmac", "campaign_id", "created_at"],
    ),
    ("email_submissions", "ix_email_submissions_ip_hmac_created_at", ["ip_hmac", "created_at"]),
    (
        "email_submissions",
        "ix_email_submissions_campaign_id_fingerprint_status",
        ["campaign_id", "fingerprint", "status"],
    ),
    ("email_submissions", "ix_email_submissions_status_created_at", ["status", "created_at"]),
    (
        "email_submissions",
        "ix_email_submissions_purged_at_created_at",
        ["purged_at", "created_at"],
    ),
    ("email_messages", "ix_email_messages_target_id", ["target_id"]),
    ("call_requests", "ix_call_requests_phone_hmac_created_at", ["phone_hmac", "created_at"]),
    ("call_requests", "ix_call_requests_ip_hmac_created_at", ["ip_hmac", "created_at"]),
    ("call_requests", "ix_call_requests_status_created_at", ["status", "created_at"]),
    ("contact_events", "ix_contact_events_target_id", ["target_id"]),
    ("report_limits", "ix_report_limits_hour", ["hour"]),
]

#: (table, index, columns) made redundant by the new ones, dropped.
OLD = [
    ("email_submissions", "ix_email_submissions_campaign_id", ["campaign_id"]),
    ("email_submissions", "ix_email_submissions_email_hmac", ["email_hmac"]),
    ("email_submissions", "ix_email_submissions_ip_hmac", ["ip_hmac"]),
    ("email_submissions", "ix_email_submissions_fingerprint", ["fingerprint"]),
    ("email_submissions", "ix_email_submissions_created_at", ["created_at"]),
    ("call_requests", "ix_call_requests_phone_hmac", ["phone_hmac"]),
    ("call_requests", "ix_call_requests_ip_hmac", ["ip_hmac"]),
    ("call_requests", "ix_call_requests_created_at", ["created_at"]),
]


def upgrade() -> None:
    for table, name, columns in NEW:
        op.create_index(name, table, columns)
    for table, name, _ in OLD:
        op.drop_index(name, table_name=table)
    op.execute("ANALYZE")


def downgrade() -> None:
    for table, name, columns in OLD:
        op.create_index(name, table, columns)
    for table, name, _ in NEW:
        op.drop_index(name, table_name=table)
