"""PostgreSQL databases for the tests: a template made once per session, a copy per test.

ZB_TEST_DATABASE_URL names a server database the tests may create databases from
(scripts/pg_throwaway.sh starts a throwaway cluster and prints it).
"""

from __future__ import annotations

import itertools
import os

import psycopg

from db.postgres import close_pools, libpq_url

_serial = itertools.count(1)


def server_url() -> str:
    return os.environ["ZB_TEST_DATABASE_URL"]


def url_of(name: str) -> str:
    base, _, _ = server_url().rpartition("/")
    return f"{base}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(libpq_url(server_url()), autocommit=True) as conn:
        conn.execute(sql)


def create_template() -> str:
    """A migrated, demo-seeded database to copy; returns its name."""
    from startup.bootstrap import ensure_ready

    name = f"zbt_template_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name}")
    previous = os.environ.get("ZB_DEMO")
    os.environ["ZB_DEMO"] = "1"
    try:
        ensure_ready(url_of(name))
    finally:
        if previous is None:
            os.environ.pop("ZB_DEMO", None)
        else:
            os.environ["ZB_DEMO"] = previous
    close_pools()  # CREATE DATABASE … TEMPLATE needs the template without connections
    return name


def create_from(template: str) -> str:
    """A new database copied from the template; returns its URL."""
    name = f"zbt_{os.getpid()}_{next(_serial)}"
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return url_of(name)


def create_empty() -> str:
    """A new, empty database (the app creates its tables at first start); returns its URL."""
    name = f"zbt_{os.getpid()}_{next(_serial)}"
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name}")
    return url_of(name)


def create_seeded() -> str:
    """A new database migrated and seeded with the demo data by the app's own start-up; returns its URL."""
    from startup.bootstrap import ensure_ready

    url = create_empty()
    previous = os.environ.get("ZB_DEMO")
    os.environ["ZB_DEMO"] = "1"
    try:
        ensure_ready(url)
    finally:
        if previous is None:
            os.environ.pop("ZB_DEMO", None)
        else:
            os.environ["ZB_DEMO"] = previous
    return url


def drop(name_or_url: str) -> None:
    """Close this process's pools and drop the database (WITH FORCE: a leftover connection of a test)."""
    close_pools()
    name = name_or_url.rpartition("/")[2]
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
