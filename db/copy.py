"""Moving up: copy a SQLite deployment into a PostgreSQL database (``manage.py copy-to URL``, issue 8 §3).

The steps, each with its reason:

1. Connect to the target first: a bad URL stops here, before anything is read or written.
2. Take a consistent snapshot of the SQLite file with SQLite's online backup API into a private temp
   folder — the app may keep writing meanwhile; the copy is of one moment. The snapshot (never the
   live file) is then brought to the newest schema revision, so an older deployment copies too.
3. Migrate the target to the newest revision (db.migrate.upgrade, what the app does at start).
4. In ONE transaction on the target, holding the app's write lock (app processes already pointed at
   the target wait): refuse if the target holds data, unless ``replace``; copy every table in
   foreign-key order with COPY, ids kept; reset every serial sequence past the largest id.
   A failure rolls everything back: the target is as it was.
5. Count the rows of every table on both sides and report them (a mismatch is an error).

Re-running (decided): a target that holds data is refused. "Holds data" means a row in any table but
``targets``, whose one row the baseline migration seeds (the source's rows replace it). With
``replace`` the target's tables are emptied (TRUNCATE) inside the copy's transaction, so either the
new copy or the old content survives. audit_log refuses TRUNCATE by trigger on PostgreSQL; for
``replace`` its user triggers are disabled inside that transaction (ALTER TABLE … DISABLE TRIGGER
USER, which needs the table's owner) and enabled again before COMMIT — the command says so on its
output. Nothing else ever disables them.

The settings rows are copied as they are, 'mode' (demo/production) among them: the target opens in
the source's mode. Evidence files live on disk, not in the database (docs/database.md).

The SQL here is PostgreSQL's on purpose (COPY, TRUNCATE, setval, ALTER TABLE … TRIGGER): this module
only ever writes to PostgreSQL, and reads SQLite.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import sqlalchemy as sa

from db import migrate
from db.connection import redacted
from db.postgres import WRITE_LOCK_KEY, libpq_url

BATCH_ROWS = 10_000  # rows read from the snapshot per fetch while streaming one table's COPY
CONNECT_TIMEOUT_S = 10
SEEDED_BY_MIGRATIONS = frozenset({"targets"})  # tables a freshly migrated database already has rows in
NOT_COPIED = frozenset({"alembic_version", "_sqlite_migrations"})  # each side keeps its own migration record
APPEND_ONLY = "audit_log"  # refuses UPDATE/DELETE/TRUNCATE by trigger (db/migrations/versions/0001_baseline.py)


class CopyError(Exception):
    """The copy cannot be made or was refused; the message says why (never with a password)."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class CopyReport:
    counts: list[TableCount]
    mode: str | None  # the settings row 'mode' copied (demo / production), None if the source had none
    replaced: bool

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.counts)


def copy_to(source: str, url: str, *, replace: bool = False, say: Callable[[str], None] = lambda _: None) -> CopyReport:
    """Copy the SQLite database file ``source`` into the PostgreSQL database at ``url``; returns the counts.

    ``say`` receives progress lines for the operator. Raises CopyError with a clear message when the
    URL is not a reachable PostgreSQL database, the source is not a SQLite database, the target holds
    data and ``replace`` is false, or the schemas differ; the target is then unchanged.
    """
    if not migrate.is_postgres(url):
        raise CopyError(f"not a PostgreSQL URL: {redacted(url)!r} (expected postgresql+psycopg://user:password@host:port/dbname)")
    _check_sqlite_file(source)
    shown = redacted(url)
    target = _connect(url)
    try:
        with tempfile.TemporaryDirectory(prefix="zibo-copy-") as folder:  # mode 0700: the snapshot holds password hashes
            snapshot = str(Path(folder) / "snapshot.db")
            taken_at = _snapshot(source, snapshot)
            say(f"snapshot of {source} taken at {taken_at} (UTC)")
            migrate.upgrade(snapshot)
            try:
                migrate.upgrade(url)
            except Exception as exc:
                raise CopyError(f"cannot migrate {shown}: {_scrub(str(exc), url)}") from exc
            say(f"target {shown} is at schema revision {migrate.head()}")
            snap = sqlite3.connect(snapshot)
            try:
                tables, columns = _schema(url, snap)
                mode = _mode(snap)
                try:
                    _copy(snap, target, tables, columns, replace, say)
                except psycopg.Error as exc:  # the transaction was rolled back
                    raise CopyError(f"copy into {shown} failed, nothing was changed: {_scrub(str(exc), url)}") from exc
                counts = [TableCount(t, _count(snap, t), _count_pg(target, t)) for t in tables]
            finally:
                snap.close()
    except psycopg.Error as exc:
        raise CopyError(f"{shown}: {_scrub(str(exc), url)}") from exc
    finally:
        target.close()
    return CopyReport(counts, mode, replace)


def format_counts(report: CopyReport) -> str:
    """The row counts as a plain text table: table, source, target, ok."""
    width = max([len("table"), *(len(c.table) for c in report.counts)])
    lines = [f"{'table':<{width}}  {'source':>9}  {'target':>9}  ok"]
    lines += [f"{c.table:<{width}}  {c.source:>9,}  {c.target:>9,}  {'ok' if c.ok else 'MISMATCH'}"
              for c in report.counts]
    return "\n".join(lines)


def _check_sqlite_file(path: str) -> None:
    file = Path(path)
    if not file.is_file():
        raise CopyError(f"no SQLite database at {path}")
    with file.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise CopyError(f"{path} is not a SQLite database")


def _connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
    except psycopg.Error as exc:
        raise CopyError(f"cannot connect to {redacted(url)}: {_scrub(str(exc), url)}") from exc


def _scrub(message: str, url: str) -> str:
    """A driver's message without the URL's password, should it ever quote it."""
    password = psycopg.conninfo.conninfo_to_dict(libpq_url(url)).get("password")
    message = message.strip()
    return message.replace(password, "***") if password else message


def _snapshot(source: str, snapshot: str) -> str:
    """Copy the live database into ``snapshot`` in one step of the online backup API; returns the time."""
    from db.connection import now

    src = sqlite3.connect(source)
    dst = sqlite3.connect(snapshot)
    try:
        taken_at = now()
        src.backup(dst)  # pages=-1: one step under one read lock, so one consistent moment
    finally:
        dst.close()
        src.close()
    return taken_at


def _schema(url: str, snap: sqlite3.Connection) -> tuple[list[str], dict[str, list[str]]]:
    """The tables to copy in foreign-key order and their columns; refuses schemas that differ."""
    engine = sa.create_engine(migrate.sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        ordered = [t for t, _ in inspector.get_sorted_table_and_fkc_names() if t and t not in NOT_COPIED]
        columns = {t: [c["name"] for c in inspector.get_columns(t)] for t in ordered}
    finally:
        engine.dispose()
    source_tables = {r[0] for r in snap.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                "AND name NOT LIKE 'sqlite_%'")} - NOT_COPIED
    if source_tables != set(ordered):
        only_source = sorted(source_tables - set(ordered))
        only_target = sorted(set(ordered) - source_tables)
        raise CopyError(f"the schemas differ: only in the source {only_source}, only in the target {only_target}")
    for table in ordered:
        source_columns = [r[1] for r in snap.execute(f'PRAGMA table_info("{table}")')]
        if set(source_columns) != set(columns[table]):
            raise CopyError(f"the columns of {table} differ: source {sorted(source_columns)}, "
                            f"target {sorted(columns[table])}")
    return ordered, columns


def _mode(snap: sqlite3.Connection) -> str | None:
    row = snap.execute("SELECT value FROM settings WHERE key = 'mode'").fetchone()
    return row[0] if row else None


def _copy(snap: sqlite3.Connection, target: psycopg.Connection, tables: list[str], columns: dict[str, list[str]],
          replace: bool, say: Callable[[str], None]) -> None:
    with target.transaction():
        target.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
        present = {t: _count_pg(target, t) for t in tables}
        holding = {t: n for t, n in present.items() if n and t not in SEEDED_BY_MIGRATIONS}
        if holding and not replace:
            listed = ", ".join(f"{t} {n:,}" for t, n in holding.items())
            raise CopyError(f"the target already holds data ({listed}); nothing was changed. "
                            "Re-run with --replace to empty it and copy again, or name an empty database.")
        if replace:
            say(f"--replace: emptying every table of the target in the copy's transaction; the append-only "
                f"triggers of {APPEND_ONLY} are disabled for this transaction only (ALTER TABLE {APPEND_ONLY} "
                "DISABLE TRIGGER USER) and enabled again before it commits")
            try:
                target.execute(f"ALTER TABLE {APPEND_ONLY} DISABLE TRIGGER USER")
            except psycopg.errors.InsufficientPrivilege as exc:
                raise CopyError(f"--replace needs the owner of the target's tables ({exc.diag.message_primary}); "
                                "nothing was changed. Connect as the user that owns them.") from exc
            target.execute("TRUNCATE " + ", ".join(_quoted(t) for t in tables))
        else:
            for table in SEEDED_BY_MIGRATIONS & set(tables):
                target.execute(f"DELETE FROM {_quoted(table)}")
        for table in tables:
            n = _copy_table(snap, target, table, columns[table])
            say(f"copied {table}: {n:,} rows")
        _reset_sequences(target)
        if replace:
            target.execute(f"ALTER TABLE {APPEND_ONLY} ENABLE TRIGGER USER")


def _copy_table(snap: sqlite3.Connection, target: psycopg.Connection, table: str, columns: list[str]) -> int:
    names = ", ".join(_quoted(c) for c in columns)
    rows = snap.execute(f"SELECT {names} FROM {_quoted(table)}")
    n = 0
    with target.cursor() as cursor, cursor.copy(f"COPY {_quoted(table)} ({names}) FROM STDIN") as copy:
        while batch := rows.fetchmany(BATCH_ROWS):
            for row in batch:
                copy.write_row(row)
            n += len(batch)
    return n


def _reset_sequences(target: psycopg.Connection) -> None:
    """Every serial column's sequence set so that the next insert gets max(id) + 1 (1 on an empty table)."""
    serials = target.execute(
        "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_default LIKE 'nextval(%%'").fetchall()
    for table, column, sequence in serials:
        if sequence:
            target.execute(f"SELECT setval(%s, COALESCE((SELECT MAX({_quoted(column)}) FROM {_quoted(table)}), 0) + 1, "
                           "false)", [sequence])


def _count(snap: sqlite3.Connection, table: str) -> int:
    return snap.execute(f"SELECT COUNT(*) FROM {_quoted(table)}").fetchone()[0]


def _count_pg(target: psycopg.Connection, table: str) -> int:
    return target.execute(f"SELECT COUNT(*) FROM {_quoted(table)}").fetchone()[0]


def _quoted(name: str) -> str:
    """An identifier from the schema, double-quoted (names come from the catalogue, not from input)."""
    return '"' + name.replace('"', '""') + '"'
