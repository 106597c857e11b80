"""The settings table: one text value per key (the database's mode, whether the demo data is in)."""

from __future__ import annotations


def get_setting(db, key: str) -> str | None:
    """The value stored under ``key``, or None."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def add_setting(db, key: str, value: str) -> None:
    """Store a new key (inside the caller's write transaction); a key is written once."""
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", [key, value])
