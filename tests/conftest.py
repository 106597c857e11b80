"""Shared fixtures: a fresh database per test, and identities of the demo data set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def fresh_db(tmp_path, monkeypatch):
    """A new, migrated and demo-seeded database in a temp dir, set as the app's database."""
    from bootstrap import ensure_ready

    path = str(tmp_path / "test.db")
    monkeypatch.setenv("ZB_DB_PATH", path)
    monkeypatch.setenv("ZB_DEMO", "1")
    db = ensure_ready(path)
    yield db
    from db.connection import forget_connections

    forget_connections()


def identity_of(db, username: str):
    from db.identity import Identity

    row = next(db.query("SELECT * FROM users WHERE username = ?", [username]))
    return Identity(row["id"], row["username"], row["role"], row["display_name"], row["enterprise_id"],
                    row["provider_id"])


@pytest.fixture
def ent1(fresh_db):
    return identity_of(fresh_db, "ent1")


@pytest.fixture
def ent1b(fresh_db):
    return identity_of(fresh_db, "ent1b")


@pytest.fixture
def ent2(fresh_db):
    return identity_of(fresh_db, "ent2")


os.environ["ZB_DEMO"] = "1"  # the tests run on the demo data set, explicitly (production is the default)
