"""The migration history: Alembic's baseline makes exactly the schema the legacy sqlite-utils migrations left,
an old SQLite database is carried over with its data, and a database at head is left alone."""

import inspect
import sqlite3

import pytest
import sqlite_utils

import db.legacy_sqlite_migrations as legacy
from db import migrate

pytestmark = pytest.mark.sqlite_only


def test_every_legacy_migration_function_is_registered_in_name_order():
    defined = [name for name, obj in inspect.getmembers(legacy, inspect.isfunction)
               if name.startswith("m0") and obj.__module__ == legacy.__name__]
    registered = [m.name for m in legacy.migrations._migrations]
    assert sorted(defined) == sorted(registered)
    assert registered == sorted(registered)


def _legacy_database(path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    legacy.migrations.apply(sqlite_utils.Database(conn))
    conn.close()


def _shape(path) -> dict:
    """Tables → (columns: name, type, default, pk position; indexes: unique, columns, partial; foreign keys)."""
    c = sqlite3.connect(path)
    out = {}
    for (table,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                              "AND name NOT IN ('_sqlite_migrations', 'alembic_version')"):
        columns = sorted((r[1], r[2].upper().replace("FLOAT", "REAL"), str(r[4]).strip("'"), r[5])
                         for r in c.execute(f"PRAGMA table_info('{table}')"))
        indexes = sorted((r[2], tuple(x[2] for x in c.execute(f"PRAGMA index_info('{r[1]}')")), r[4])
                         for r in c.execute(f"PRAGMA index_list('{table}')"))
        keys = sorted((r[2], r[3], r[4], r[6]) for r in c.execute(f"PRAGMA foreign_key_list('{table}')"))
        out[table] = (columns, indexes, keys)
    triggers = sorted(r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    c.close()
    return {"tables": out, "triggers": triggers}


def test_baseline_makes_the_legacy_schema(tmp_path):
    old, new = tmp_path / "legacy.db", tmp_path / "alembic.db"
    _legacy_database(old)
    migrate.upgrade(str(new))
    assert _shape(new) == _shape(old)
    assert migrate.current(str(new)) == migrate.head()


def test_a_legacy_database_is_finished_stamped_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    # A database of an earlier release: migrated up to m040 only, with an enterprise in it.
    names = [m.name for m in legacy.migrations._migrations]
    for m in legacy.migrations._migrations[: names.index("m040_roster_and_targets") + 1]:
        m.fn(db)
    done = names[: names.index("m040_roster_and_targets") + 1]
    db["_sqlite_migrations"].insert_all([{"migration_set": "zibo", "name": n, "applied_at": "2026-01-01"} for n in done],
                                        pk="id")
    db.execute("INSERT INTO enterprises (credit_code, name, district, created_at) VALUES ('X', '甲', 'zhangdian', 't')")
    conn.close()
    migrate.upgrade(str(path))
    assert migrate.current(str(path)) == migrate.head()
    c = sqlite3.connect(path)
    assert c.execute("SELECT name FROM enterprises").fetchall() == [("甲",)]
    assert "evidence_files" in {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    c.close()
    migrate.upgrade(str(path))  # a second start changes nothing
    assert migrate.current(str(path)) == migrate.head()
