"""Migrations build the schema from nothing and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from callmp import migrate
from callmp.db import Base, make_engine


def test_migrations_upgrade_from_empty_and_match_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert inspect(engine).get_table_names() == []
        migrate.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migrating_twice_is_harmless(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0026"
    finally:
        engine.dispose()


def test_upgrade_keeps_existing_campaigns(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO campaigns (slug, status, title_en, title_fr, summary_en,"
                    " summary_fr, talking_points_en, talking_points_fr, created_at)"
                    " VALUES ('old', 'published', 'Old', 'Ancienne', '', '', '', '',"
                    " CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT office_policy, bridged_calls, call_intro_en FROM campaigns")
            ).one()
        assert tuple(row) == ("hill", True, "")
    finally:
        engine.dispose()


def _revision_after(engine: Engine, sql: str) -> tuple[int, int]:
    """content_state's revision before and after running ``sql``."""
    with engine.begin() as connection:
        before = connection.execute(text("SELECT revision FROM content_state")).scalar_one()
        connection.execute(text(sql))
        after = connection.execute(text("SELECT revision FROM content_state")).scalar_one()
    return before, after


def test_0019_keeps_the_targets_revision_triggers_and_adds_the_portfolios(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO campaigns (slug, status, title_en, title_fr, summary_en,"
                    " summary_fr, talking_points_en, talking_points_fr, created_at)"
                    " VALUES ('old', 'published', 'Old', 'Ancienne', '', '', '', '',"
                    " CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO targets (campaign_id, position, kind, role_en, role_fr)"
                    " SELECT id, 1, 'own_mp', '', '' FROM campaigns"
                )
            )
        migrate.upgrade(engine, "0018")
        migrate.upgrade(engine)  # rebuilds targets on SQLite: its triggers must come back
        before, after = _revision_after(engine, "UPDATE targets SET position = position")
        assert after > before
        before, after = _revision_after(
            engine,
            "INSERT INTO portfolios (slug, title_en, title_fr, title_fr_source, precedence,"
            " holder_source) VALUES ('p', 'Minister of P', '', '', 0, '')",
        )
        assert after > before
        migrate.downgrade(engine, "0018")
        before, after = _revision_after(engine, "UPDATE targets SET position = position")
        assert after > before
        assert "portfolios" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0020_partners_bump_the_content_revision(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO campaigns (slug, status, title_en, title_fr, summary_en,"
                    " summary_fr, talking_points_en, talking_points_fr, created_at)"
                    " VALUES ('p', 'published', 'P', 'P', '', '', '', '', CURRENT_TIMESTAMP)"
                )
            )
        before, after = _revision_after(
            engine,
            "INSERT INTO partners (campaign_id, name, code, origins, dashboard_key, created_at)"
            " SELECT id, 'Union', 'union', 'https://union.example', 'k', CURRENT_TIMESTAMP"
            " FROM campaigns",
        )
        assert after > before
        before, after = _revision_after(engine, "UPDATE partners SET origins = ''")
        assert after > before
    finally:
        engine.dispose()


def _referral_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT coalesce(sum(n), 0) FROM counts_by_referral")))


def test_0021_share_sources_keep_the_counts_triggers_both_ways(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    event = (
        "INSERT INTO contact_events (campaign_id, channel, outcome, referral, created_at)"
        " SELECT id, 'direct_call', 'left_voicemail', 'union', CURRENT_TIMESTAMP FROM campaigns"
    )
    try:
        migrate.upgrade(engine, "0020")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO campaigns (slug, status, title_en, title_fr, summary_en,"
                    " summary_fr, talking_points_en, talking_points_fr, created_at)"
                    " VALUES ('s', 'published', 'S', 'S', '', '', '', '', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(text(event))
        migrate.upgrade(engine)
        with engine.begin() as connection:
            (old,) = connection.execute(text("SELECT share_source FROM contact_events")).one()
            connection.execute(
                text(
                    event.replace("referral,", "referral, share_source,", 1).replace(
                        "'union',", "'union', 'email',", 1
                    )
                )
            )
        assert old == ""
        assert _referral_count(engine) == 2  # the trigger still counts new events
        migrate.downgrade(engine, "0020")
        with engine.begin() as connection:
            connection.execute(text(event))
        assert _referral_count(engine) == 3
        assert "share_source" not in {
            c["name"] for c in inspect(engine).get_columns("contact_events")
        }
    finally:
        engine.dispose()
