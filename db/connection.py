"""SQLite connections: one per thread, WAL, foreign keys, busy timeout, immediate write locks.

Streamlit runs every rerun in a new thread, and a sqlite3 connection refuses to be used
from another thread, so connections are never shared across threads (engineering.md §5).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB_PATH = REPO_ROOT / "data" / "zibo.db"
DEMO_DB_PATH = REPO_ROOT / "data" / "zibo-demo.db"
BUSY_TIMEOUT_MS = 10_000

_local = threading.local()
_bootstrapped: set[str] = set()
_bootstrap_lock = threading.Lock()


def database_path() -> str:
    """The database file: $ZB_DB_PATH, else data/zibo.db (data/zibo-demo.db when ZB_DEMO=1) in the repository."""
    demo = os.environ.get("ZB_DEMO", "").strip().lower() in ("1", "true", "yes", "on")
    return str(Path(os.environ.get("ZB_DB_PATH") or (DEMO_DB_PATH if demo else DEFAULT_DB_PATH)).resolve())


def now() -> str:
    """Current UTC time as ISO-8601 text with seconds precision, the format stored everywhere."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _open(path: str) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FULL: with WAL, NORMAL survives a process crash but a power loss can roll back the last
    # transactions already acknowledged to the user; FULL syncs the WAL at every commit.
    db.execute("PRAGMA synchronous = FULL")
    return db


def get_db(path: str | None = None) -> sqlite_utils.Database:
    """This thread's connection to the database, created and migrated on first use."""
    path = path or database_path()
    bootstrap(path)
    cache = getattr(_local, "dbs", None)
    if cache is None:
        cache = _local.dbs = {}
    db = cache.get(path)
    if db is None:
        db = cache[path] = _open(path)
    return db


def bootstrap(path: str) -> None:
    """Create the directory and database, switch to WAL and apply migrations (once per process)."""
    if path in _bootstrapped:
        return
    with _bootstrap_lock:
        if path in _bootstrapped:
            return
        from db.schema import migrations

        _create_private(path)
        db = _open(path)
        try:
            db.enable_wal()
            migrations.apply(db)
        finally:
            db.conn.close()
        _bootstrapped.add(path)


def _create_private(path: str) -> None:
    """Create the database folder (0700) and file (0600) for the service user only, if they are new.

    Existing folders and files keep the modes the operator gave them; SQLite's -wal and -shm
    files copy the database file's mode.
    """
    folder = Path(path).parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    if not Path(path).exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)


@contextlib.contextmanager
def write_txn(db: sqlite_utils.Database):
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred BEGIN that reads first and writes later fails with "database is locked"
    under concurrent writers without waiting for busy_timeout; IMMEDIATE waits.
    """
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def forget_connections() -> None:
    """Close this thread's connections (tests that delete database files use it)."""
    for db in getattr(_local, "dbs", {}).values():
        db.conn.close()
    _local.dbs = {}
