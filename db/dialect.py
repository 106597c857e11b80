"""The engine-specific SQL of the data layer, in one place.

Everything else in db/ is written once in the common subset of SQLite (≥ 3.35) and PostgreSQL
(≥ 13): ``?`` placeholders (db/postgres.py rewrites them), ``INSERT … ON CONFLICT``, ``RETURNING``,
window functions, ``CASE`` instead of boolean arithmetic. What the two engines spell differently
is produced here from the connection's engine.
"""

from __future__ import annotations

from db.connection import is_postgres


def string_agg(db, expression: str, separator: str) -> str:
    """An aggregate joining ``expression`` over a group with ``separator`` (a constant), ordered by it."""
    quoted = "'" + separator.replace("'", "''") + "'"
    if is_postgres(db):
        return f"string_agg({expression}, {quoted} ORDER BY {expression})"
    # SQLite's group_concat has no ORDER BY before 3.44; the order of a sorted subquery is kept.
    return f"group_concat({expression}, {quoted})"
