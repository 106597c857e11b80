"""Shared fixtures: a fresh database per test, and identities of the demo data set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def pytest_addoption(parser):
    parser.addoption("--engine", choices=("sqlite", "postgresql"), default=os.environ.get("ZB_TEST_ENGINE", "sqlite"),
                     help="database engine of the data-layer and page tests (postgresql needs ZB_TEST_DATABASE_URL, "
                          "e.g. from scripts/pg_throwaway.sh)")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: tests of SQLite itself (files, PRAGMAs, the legacy migrations)")


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, run the tests that use a database (fresh_db) and are not about SQLite itself."""
    if config.getoption("--engine") != "postgresql":
        return
    if not os.environ.get("ZB_TEST_DATABASE_URL"):
        raise pytest.UsageError("--engine postgresql needs ZB_TEST_DATABASE_URL (bash scripts/pg_throwaway.sh start DIR)")
    keep, drop = [], []
    for item in items:
        names = getattr(item, "fixturenames", ())
        on_engine = (("fresh_db" in names or "empty_db_location" in names) and not item.get_closest_marker("sqlite_only")
                     and not item.get_closest_marker("browser"))
        (keep if on_engine else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def engine(request) -> str:
    return request.config.getoption("--engine")


@pytest.fixture(scope="session")
def pg_template(engine):
    """PostgreSQL: one migrated, demo-seeded database that each test's database is copied from."""
    if engine != "postgresql":
        yield None
        return
    from tests import pg

    name = pg.create_template()
    yield name
    pg.drop(name)


@pytest.fixture
def empty_db_location(tmp_path, engine):
    """Where a new, empty database is (no tables, no demo data) on the engine under test: a file path or a URL."""
    if engine != "postgresql":
        yield str(tmp_path / "empty.db")
        return
    from tests import pg

    url = pg.create_empty()
    yield url
    from db.connection import forget_connections

    forget_connections()
    pg.drop(url)


@pytest.fixture
def fresh_db(tmp_path, monkeypatch, engine, pg_template):
    """A new, migrated and demo-seeded database (a SQLite file in a temp dir, or a PostgreSQL database
    copied from the session's template), set as the app's database."""
    from startup.bootstrap import ensure_ready

    monkeypatch.setenv("ZB_DEMO", "1")
    if engine == "postgresql":
        from tests import pg

        location = pg.create_from(pg_template)
        monkeypatch.setenv("ZB_DATABASE_URL", location)
    else:
        location = str(tmp_path / "test.db")
        monkeypatch.delenv("ZB_DATABASE_URL", raising=False)
    monkeypatch.setenv("ZB_DB_PATH", str(tmp_path / "test.db"))
    db = ensure_ready(location)
    yield db
    from db.connection import forget_connections

    forget_connections()
    if engine == "postgresql":
        pg.drop(location)


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
