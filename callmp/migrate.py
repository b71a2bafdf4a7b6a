"""Run the Alembic migrations that ship inside the package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at our migrations and ``engine``'s URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    """Run ``run`` on an Alembic config bound to one connection of ``engine``.

    On SQLite, a migration that changes a table rebuilds it (copy, DROP, rename). With
    foreign keys on, SQLite's DROP TABLE first deletes every row, so other tables' ON
    DELETE SET NULL or CASCADE would rewrite or remove the rows pointing at it (and the
    running totals with them), and RESTRICT refuses the DROP. Foreign keys are therefore
    off while migrations run (the pragma only takes outside a transaction), then checked.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config = alembic_config(engine)
                config.attributes["connection"] = connection
                run(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to ``revision``."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back down to ``revision`` (each migration undoes its own change)."""
    _migrate(engine, lambda config: command.downgrade(config, revision))


def revisions(engine: Engine) -> tuple[set[str], set[str]]:
    """The database's current revisions and the shipped migrations' heads."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, heads
