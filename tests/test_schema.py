"""The migration history: every migration function in db/schema.py is registered, in name order."""

import inspect

import db.legacy_sqlite_migrations as schema


def test_every_migration_function_is_registered_in_name_order():
    defined = [name for name, obj in inspect.getmembers(schema, inspect.isfunction)
               if name.startswith("m0") and obj.__module__ == schema.__name__]
    registered = [m.name for m in schema.migrations._migrations]
    assert sorted(defined) == sorted(registered)
    assert registered == sorted(registered)
