"""The one migration history of both engines (Alembic, db/migrations/), applied at first start.

A database is named by a location: a file path (SQLite, the embedded default) or a URL
``postgresql+psycopg://user:password@host:port/dbname`` (PostgreSQL). SQLite databases made before
Alembic carry sqlite-utils' ``_sqlite_migrations`` table; they are first brought to the last of
those migrations (db/legacy_sqlite_migrations.py, m070) and stamped with the baseline revision,
which creates exactly that schema on a new database of either engine.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001_baseline"
MIGRATION_LOCK_KEY = 0x7A6962_6F  # pg_advisory_lock key: one migrator at a time across processes


def is_postgres(location: str) -> bool:
    """Whether a database location is a PostgreSQL URL (else it is a SQLite file path)."""
    return location.startswith(("postgresql:", "postgresql+", "postgres:"))


def sqlalchemy_url(location: str) -> str:
    """The SQLAlchemy URL of a location (psycopg 3 as PostgreSQL's driver)."""
    if is_postgres(location):
        scheme, _, rest = location.partition("://")
        return "postgresql+psycopg://" + rest
    return "sqlite:///" + str(Path(location).resolve())


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision of the history in this code."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def current(location: str) -> str | None:
    """The revision a database is at (None when Alembic never ran on it)."""
    engine = sa.create_engine(sqlalchemy_url(location), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(location: str) -> None:
    """Bring a database (new or old, either engine) to the newest revision."""
    engine = sa.create_engine(sqlalchemy_url(location), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # Several app processes may start at once; the first migrates, the others wait and find it done.
                connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()
            try:
                config = _config(connection)
                if connection.dialect.name == "sqlite" and _is_legacy_sqlite(connection):
                    connection.commit()
                    _finish_legacy_sqlite(location)
                    command.stamp(config, BASELINE)
                    connection.commit()
                command.upgrade(config, "head")
                connection.commit()
            finally:
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                    connection.commit()
    finally:
        engine.dispose()


def _is_legacy_sqlite(connection: sa.Connection) -> bool:
    tables = set(sa.inspect(connection).get_table_names())
    return "_sqlite_migrations" in tables and "alembic_version" not in tables


def _finish_legacy_sqlite(path: str) -> None:
    """Apply the sqlite-utils migrations an old database has not had yet (up to m070)."""
    import sqlite3

    import sqlite_utils

    from db.legacy_sqlite_migrations import migrations

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrations.apply(sqlite_utils.Database(conn))
    finally:
        conn.close()
