"""Migrations build the schema from nothing and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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
            assert MigrationContext.configure(connection).get_current_revision() == "0017"
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
