"""PostgreSQL connections behind the same small interface the data layer uses on SQLite.

The functions of ``db/`` call ``db.execute(sql, params)``, ``db.query(sql, params)`` and
``db.conn.executemany(sql, rows)`` with ``?`` placeholders, as on a sqlite-utils ``Database``.
``PgDatabase`` offers exactly that over a psycopg 3 connection, so one set of queries serves both
engines (docs/database.md says why this shape and not SQLAlchemy's execution layer): placeholders
are rewritten once per statement text (``?`` → ``%s``, a literal ``%`` → ``%%``, quoted text
untouched), Python booleans are sent as 0/1 like SQLite stores them, and NUMERIC results (what
PostgreSQL's AVG and SUM of BIGINT return) come back as float/int as SQLite gives them.

Connections come from one psycopg_pool per database URL and process. A thread keeps its
connection until ``release_thread_connection()`` (app.py calls it at the end of every Streamlit
run) or until the thread ends (the holder's finaliser puts the connection back).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

dialect = "postgresql"
# Connections one app process may hold at once (one per running script thread); PostgreSQL's max_connections
# must cover processes × POOL_MAX (docs/database.md).
POOL_MAX = int(os.environ.get("ZB_DB_POOL_MAX", "60"))
POOL_TIMEOUT_S = 10.0  # a page run waits at most this long for a connection (as a writer for the write lock)


class _BoolAsInteger(Dumper):
    """True/False as 1/0: the schema keeps flags in INTEGER columns on both engines."""

    oid = psycopg.postgres.types["int4"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _NumericAsNumber(Loader):
    """NUMERIC (AVG of integers, SUM of BIGINT) as int when whole, else float — what SQLite returns."""

    def load(self, data) -> int | float:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else float(text)


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """SQLite-style ``?`` placeholders to psycopg's ``%s``; a literal ``%`` becomes ``%%``.

    Text inside single quotes, double-quoted identifiers and ``--`` comments is copied as it is.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' or "" inside a quoted part
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _configure(conn: psycopg.Connection) -> None:
    conn.adapters.register_dumper(bool, _BoolAsInteger)
    conn.adapters.register_loader("numeric", _NumericAsNumber)


class _Cursor:
    """The part of a DB-API cursor the data layer reads: fetchone, fetchall, iteration, rowcount."""

    def __init__(self, cursor: psycopg.Cursor):
        self._cursor = cursor

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self):
        return self._cursor.description

    def execute(self, sql: str, params: Sequence | None = None) -> _Cursor:
        self._cursor.execute(translate(sql), _params(params))
        return self

    def close(self) -> None:
        self._cursor.close()


def _params(params):
    if params is None:
        return None
    return params if isinstance(params, dict) else list(params)


class PgDatabase:
    """One pooled psycopg connection with the sqlite-utils-like surface the data layer uses."""

    dialect = dialect

    def __init__(self, raw: psycopg.Connection, url: str):
        self.raw = raw
        self.url = url

    @property
    def conn(self) -> PgDatabase:
        # Call sites written for sqlite-utils use db.conn.execute / executemany / cursor.
        return self

    def execute(self, sql: str, params: Sequence | dict | None = None) -> _Cursor:
        cursor = self.raw.cursor()
        cursor.execute(translate(sql), _params(params))
        return _Cursor(cursor)

    def executemany(self, sql: str, rows) -> None:
        rows = list(rows)
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(translate(sql), rows)

    def query(self, sql: str, params: Sequence | dict | None = None) -> Iterator[dict[str, Any]]:
        with self.raw.cursor(row_factory=dict_row) as cursor:
            cursor.execute(translate(sql), _params(params))
            if cursor.description:
                yield from cursor.fetchall()

    def cursor(self) -> _Cursor:
        """A server-side cursor (rows come ``fetchmany`` at a time, as SQLite's cursor streams them).

        WITH HOLD because connections run in autocommit: the result is kept by the server, not the app."""
        return _Cursor(self.raw.cursor(name=f"zb_stream_{next(_cursor_names)}", withhold=True))

    def close(self) -> None:
        self.raw.close()


_cursor_names = itertools.count(1)
_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()
_local = threading.local()


def libpq_url(url: str) -> str:
    """A SQLAlchemy-style URL (postgresql+psycopg://…) as libpq takes it (postgresql://…)."""
    scheme, sep, rest = url.partition("://")
    return "postgresql://" + rest if sep and scheme.startswith("postgres") else url


def pool_for(url: str) -> ConnectionPool:
    """This process's connection pool for ``url`` (opened on first use)."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            # check: a connection is tested (one round trip) when handed out, so one the server dropped
            # (a restart, a failover) is replaced instead of failing the user's next click.
            pool = ConnectionPool(libpq_url(url), min_size=1, max_size=POOL_MAX, timeout=POOL_TIMEOUT_S,
                                  kwargs={"autocommit": True}, configure=_configure, open=True,
                                  check=ConnectionPool.check_connection, name="zibo")
            _pools[url] = pool
        return pool


class _Holder:
    """A thread's checked-out connection; put back into the pool when released or when the thread ends."""

    def __init__(self, pool: ConnectionPool, raw: psycopg.Connection):
        self.pool, self.raw = pool, raw

    def give_back(self) -> None:
        raw, self.raw = self.raw, None
        if raw is not None and not self.pool.closed:
            self.pool.putconn(raw)

    def __del__(self):
        try:
            self.give_back()
        except Exception:  # noqa: S110 - interpreter shutdown: no pool to give it back to
            pass


def thread_database(url: str) -> PgDatabase:
    """This thread's connection for ``url``, taken from the pool on first use."""
    holders = getattr(_local, "holders", None)
    if holders is None:
        holders = _local.holders = {}
    holder = holders.get(url)
    if holder is None or holder.raw is None or holder.raw.closed or holder.raw.broken:
        pool = pool_for(url)
        holder = holders[url] = _Holder(pool, pool.getconn())
    return PgDatabase(holder.raw, url)


def release_thread_connection() -> None:
    """Give this thread's connections back to their pools (the end of a Streamlit run)."""
    for holder in getattr(_local, "holders", {}).values():
        holder.give_back()
    _local.holders = {}


def close_pools() -> None:
    """Close every pool of this process (tests that drop databases, the end of a command)."""
    release_thread_connection()
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def connect(url: str) -> PgDatabase:
    """A connection of its own, outside the pool (migrations, copy-to, benchmarks' own threads)."""
    raw = psycopg.connect(libpq_url(url), autocommit=True)
    _configure(raw)
    return PgDatabase(raw, url)


WRITE_LOCK_KEY = 0x7A6962_6E  # pg_advisory_xact_lock key of the write queue


class DatabaseBusy(sqlite3.OperationalError):
    """A writer waited longer than the write wait for its turn (PostgreSQL's lock_timeout).

    A subclass of SQLite's error of the same meaning, so the pages' one handler of "database is
    locked" (ui/question_widgets.db_error_message, ui/errors) serves both engines."""


@contextlib.contextmanager
def write_transaction(db: PgDatabase, wait_s: float, assessment: int | None = None):
    """A write transaction that runs alone, as BEGIN IMMEDIATE does on SQLite.

    Every write of the data layer reads and writes in one transaction written for SQLite's single
    writer (a revision check before the save, an idempotent submit, a throttling count); a
    transaction-level advisory lock gives PostgreSQL the same order, without rewriting each as a
    serialisable retry loop. Readers are never blocked. A nested write_txn becomes a savepoint.

    An answer save names its ``assessment``: it takes the lock in SHARED mode and then the
    assessment's row (FOR UPDATE), so saves to different assessments run side by side while saves
    to one assessment, and every other write (which takes the lock exclusively: a submit, a return,
    a deactivation), still wait for each other. Measured in bench/bench_writers.py (docs/performance.md).
    """
    raw = db.raw
    if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        with raw.transaction():
            yield db
        return
    with raw.transaction():
        raw.execute(f"SET LOCAL lock_timeout = '{int(wait_s * 1000)}ms'")
        try:
            if assessment is None:
                raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
            else:
                raw.execute("SELECT pg_advisory_xact_lock_shared(%s)", [WRITE_LOCK_KEY])
                raw.execute("SELECT id FROM assessments WHERE id = %s FOR UPDATE", [assessment])
        except psycopg.errors.LockNotAvailable as exc:
            raise DatabaseBusy("database is locked (writers queued too long)") from exc
        raw.execute("SET LOCAL lock_timeout = 0")
        yield db
