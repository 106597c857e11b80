"""Database connections: SQLite (the embedded default) or PostgreSQL (ZB_DATABASE_URL).

SQLite: one connection per thread, WAL, foreign keys, busy timeout, immediate write locks.
PostgreSQL: pooled connections behind the same interface (db/postgres.py); write transactions
take one advisory lock, so they run one at a time exactly as on SQLite (docs/database.md).

Streamlit runs every rerun in a new thread, and a sqlite3 connection refuses to be used
from another thread, so connections are never shared across threads (engineering.md §5).

Writers queue in two places (docs/performance.md, "Write path under load"): the threads of one
process in a first-come-first-served lock per database file, and the processes sharing the file
in a short jittered retry of BEGIN IMMEDIATE. SQLite's own busy handler polls with sleeps that
grow to 100 ms and serves nobody in order, so under 50 writers some waited past the 10 s busy
timeout and failed with "database is locked" (p99 434 ms, max 10 s before this change).
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlite_utils

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB_PATH = REPO_ROOT / "data" / "zibo.db"
DEMO_DB_PATH = REPO_ROOT / "data" / "zibo-demo.db"
BUSY_TIMEOUT_MS = 10_000
WRITE_WAIT_S = BUSY_TIMEOUT_MS / 1000  # longest a writer waits for the write lock before giving up
# Switches for bench/bench_writers.py --variant (measuring the alternatives); both on in the app.
PROCESS_WRITE_LOCK = True
BEGIN_RETRY = True
RETRY_FIRST_S = 0.0005  # jittered back-off between BEGIN IMMEDIATE attempts: up to 0.5 ms, doubling…
RETRY_CAP_S = 0.008  # …to at most 8 ms, so a freed lock is noticed within a few ms

# What "the database could not do it now" raises on either engine (busy, gone, read-only).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.OperationalError, psycopg.OperationalError)

_local = threading.local()
_bootstrapped: set[str] = set()
_bootstrap_lock = threading.Lock()


def sqlite_file_path() -> str:
    """The SQLite file the app uses when no PostgreSQL URL is set ($ZB_DB_PATH or the default)."""
    demo = os.environ.get("ZB_DEMO", "").strip().lower() in ("1", "true", "yes", "on")
    return str(Path(os.environ.get("ZB_DB_PATH") or (DEMO_DB_PATH if demo else DEFAULT_DB_PATH)).resolve())


def database_path() -> str:
    """The database: $ZB_DATABASE_URL (a postgresql+psycopg:// URL) if set, else a SQLite file —
    $ZB_DB_PATH, else data/zibo.db (data/zibo-demo.db when ZB_DEMO=1) in the repository."""
    url = os.environ.get("ZB_DATABASE_URL", "").strip()
    return url or sqlite_file_path()


def is_postgres(db) -> bool:
    """Whether a connection is a PostgreSQL one (db/postgres.PgDatabase)."""
    return getattr(db, "dialect", "sqlite") == "postgresql"


def redacted(location: str) -> str:
    """A location fit for messages and logs: a URL's password replaced by ***."""
    import re

    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", location)


def location_of(db) -> str:
    """The location (file path or URL) a connection was opened on."""
    if is_postgres(db):
        return db.url
    return db.conn.execute("PRAGMA database_list").fetchone()[2]


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
    if _postgres_location(path):
        from db import postgres

        return postgres.thread_database(path)
    cache = getattr(_local, "dbs", None)
    if cache is None:
        cache = _local.dbs = {}
    db = cache.get(path)
    if db is None:
        db = cache[path] = _open(path)
    return db


def bootstrap(path: str) -> None:
    """Create the database (a SQLite file in WAL mode) and apply the migrations (once per process)."""
    if path in _bootstrapped:
        return
    with _bootstrap_lock:
        if path in _bootstrapped:
            return
        from db import migrate

        if not _postgres_location(path):
            _create_private(path)
            db = _open(path)
            try:
                db.enable_wal()
            finally:
                db.conn.close()
        migrate.upgrade(path)
        _bootstrapped.add(path)


def _postgres_location(path: str) -> bool:
    return path.startswith(("postgresql:", "postgresql+", "postgres:"))


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


class FifoLock:
    """A lock handed to waiting threads in arrival order (threading.Lock lets a releasing thread barge back in)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False
        self.owner: int | None = None

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                self.owner = threading.get_ident()
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if not turn.wait(timeout):
            with self._mutex:
                if not turn.is_set():  # not handed over while timing out
                    self._waiters.remove(turn)
                    return False
        self.owner = threading.get_ident()
        return True

    def release(self) -> None:
        with self._mutex:
            self.owner = None
            if self._waiters:
                self._waiters.popleft().set()  # ownership passes directly; _held stays True
            else:
                self._held = False


_write_locks: dict[str, FifoLock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(db: sqlite_utils.Database) -> FifoLock | None:
    """This process's writer queue for the database file behind ``db`` (None for in-memory databases)."""
    file = db.conn.execute("PRAGMA database_list").fetchone()[2]
    if not file:
        return None
    with _write_locks_guard:
        return _write_locks.setdefault(file, FifoLock())


def _begin_immediate(db: sqlite_utils.Database, deadline: float) -> None:
    """BEGIN IMMEDIATE, retried with jittered back-off while another process holds the write lock."""
    if not BEGIN_RETRY:
        db.conn.execute("BEGIN IMMEDIATE")
        return
    db.conn.execute("PRAGMA busy_timeout = 0")
    try:
        ceiling = RETRY_FIRST_S
        while True:
            try:
                db.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(0, ceiling))
            ceiling = min(ceiling * 2, RETRY_CAP_S)
    finally:
        db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextlib.contextmanager
def write_txn(db: sqlite_utils.Database, assessment: int | None = None):
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    ``assessment``: the transaction writes nothing but that assessment's answers and its row (an
    answer save, the page's write at every click). On PostgreSQL such saves to different assessments
    run side by side (the write lock shared, the assessment's row locked); every other write still
    runs alone. SQLite has one writer at a time whatever is given.

    A deferred BEGIN that reads first and writes later fails with "database is locked"
    under concurrent writers without waiting for busy_timeout; IMMEDIATE waits. Threads of
    this process wait their turn in a FIFO lock first; across processes BEGIN IMMEDIATE is
    retried with short jittered sleeps. Either wait gives up after WRITE_WAIT_S with
    sqlite3.OperationalError("database is locked"), as SQLite itself would.
    """
    if is_postgres(db):
        from db.postgres import write_transaction

        with write_transaction(db, WRITE_WAIT_S, assessment):
            yield db
        return
    deadline = time.monotonic() + WRITE_WAIT_S
    lock = _write_lock(db) if PROCESS_WRITE_LOCK else None
    if lock is not None and lock.owner == threading.get_ident():
        lock = None  # a nested write on another connection of this thread: leave it to SQLite, as before
    if lock is not None and not lock.acquire(WRITE_WAIT_S):
        raise sqlite3.OperationalError("database is locked (this process's writers queued too long)")
    try:
        _begin_immediate(db, deadline)
        try:
            yield db
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")
    finally:
        if lock is not None:
            lock.release()


def release_connections() -> None:
    """Hand this thread's PostgreSQL connections back to the pool (end of a Streamlit run).

    SQLite connections stay: opening one costs microseconds, and Streamlit's script threads end
    after each run, which closes them."""
    from db import postgres

    postgres.release_thread_connection()


def forget_connections() -> None:
    """Close this thread's connections (tests that delete database files use it)."""
    for db in getattr(_local, "dbs", {}).values():
        db.conn.close()
    _local.dbs = {}
    release_connections()
