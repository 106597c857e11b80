"""Online backup and restore of either engine (``manage.py backup FILE``, ``manage.py restore FILE TARGET``).

SQLite: SQLite's online backup API copies the live file in one step under one read lock — with WAL
the app's writers carry on meanwhile — into FILE (mode 0600, journal mode DELETE: one self-contained
file), checked with PRAGMA quick_check. PostgreSQL: ``pg_dump -Fc`` (Debian's postgresql-client)
inside a REPEATABLE READ transaction whose snapshot it shares (``--snapshot``), so the row counts
printed with the backup are exactly those in the dump. Either way FILE must not exist yet: a backup
never overwrites anything.

Restore goes into a NEW place, never over the running database: a SQLite file path that does not
exist yet, or an existing PostgreSQL database without tables (``pg_restore --single-transaction``).
The operator then points the app at it (docs/database.md, "Backup and restore").

Passwords never reach a command line (``ps`` shows those): pg_dump and pg_restore get the URL
without its password and the password in PGPASSWORD.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from db.connection import now, redacted
from db.migrate import is_postgres
from db.postgres import libpq_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format archive
CONNECT_TIMEOUT_S = 10


class BackupError(Exception):
    """A backup or restore cannot be made; the message says why (never with a password)."""


@dataclass(frozen=True)
class BackupReport:
    file: str
    engine: str  # 'sqlite' or 'postgresql'
    taken_at: str  # UTC, ISO-8601
    counts: dict[str, int]  # rows per table in the backup, read in the backup's own snapshot


def backup(location: str, file: str) -> BackupReport:
    """Back up the database at ``location`` (file path or URL) into the new file ``file``, online."""
    target = Path(file)
    if target.exists():
        raise BackupError(f"{file} exists already; a backup never overwrites a file")
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent} for the backup")
    if is_postgres(location):
        return _pg_backup(location, target)
    return _sqlite_backup(location, target)


def restore(file: str, location: str) -> dict[str, int]:
    """Restore the backup ``file`` into a new database at ``location``; returns its rows per table."""
    with Path(file).open("rb") as f:
        head = f.read(16)
    if is_postgres(location):
        if not head.startswith(PG_DUMP_MAGIC):
            raise BackupError(f"{file} is not a pg_dump archive (-Fc); a SQLite backup is restored to a file path, "
                              "or moved to PostgreSQL with manage.py copy-to")
        return _pg_restore(Path(file), location)
    if head != SQLITE_MAGIC:
        raise BackupError(f"{file} is not a SQLite database; a pg_dump archive is restored into a PostgreSQL URL")
    return _sqlite_restore(Path(file), Path(location))


def table_counts(location: str) -> dict[str, int]:
    """Rows per table (every table of the schema, alembic_version included) of a database."""
    if is_postgres(location):
        with _pg_connect(location) as conn:
            return _pg_counts(conn)
    if not Path(location).is_file():
        raise BackupError(f"no SQLite database at {location}")
    conn = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
    try:
        return _sqlite_counts(conn)
    finally:
        conn.close()


# -- SQLite ------------------------------------------------------------------------------------------

def _sqlite_backup(path: str, target: Path) -> BackupReport:
    if not Path(path).is_file():
        raise BackupError(f"no SQLite database at {path}")
    if target.resolve() == Path(path).resolve():
        raise BackupError("the backup file cannot be the database itself")
    part = _private_temp(target.parent, target.name)
    try:
        src = sqlite3.connect(path)
        dst = sqlite3.connect(part)
        try:
            taken_at = now()
            src.backup(dst)  # pages=-1: the whole database in one step, one consistent moment
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            _check_sqlite(dst, str(target))
            counts = _sqlite_counts(dst)
        finally:
            dst.close()
            src.close()
        _publish(part, target)
    finally:
        part.unlink(missing_ok=True)
    return BackupReport(str(target), "sqlite", taken_at, counts)


def _sqlite_restore(file: Path, location: Path) -> dict[str, int]:
    if any(Path(f"{location}{suffix}").exists() for suffix in ("", "-wal", "-shm")):
        raise BackupError(f"{location} exists already; restore into a new file (stop the app, then move it in place)")
    conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        _check_sqlite(conn, str(file))
    finally:
        conn.close()
    if not location.parent.exists():
        location.parent.mkdir(parents=True, mode=0o700)
        os.chmod(location.parent, 0o700)  # mkdir's mode is filtered by the umask
    part = _private_temp(location.parent, location.name)
    try:
        with file.open("rb") as src, part.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        _publish(part, location)
    finally:
        part.unlink(missing_ok=True)
    return table_counts(str(location))


def _check_sqlite(conn: sqlite3.Connection, name: str) -> None:
    problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise BackupError(f"{name} fails SQLite's quick_check: {'; '.join(problems[:5])}")


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _private_temp(folder: Path, name: str) -> Path:
    """A new empty file (mode 0600) beside the final one, for writing before it is put in place."""
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    os.close(fd)
    return Path(temp)


def _publish(part: Path, final: Path) -> None:
    """Put a finished file in place under its name; refuses if that name appeared meanwhile (no overwrite)."""
    try:
        os.link(part, final)
    except FileExistsError as exc:
        raise BackupError(f"{final} appeared while it was written; nothing was overwritten") from exc
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# -- PostgreSQL ---------------------------------------------------------------------------------------

def _pg_connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
    except psycopg.Error as exc:
        raise BackupError(f"cannot connect to {redacted(url)}: {_scrub(str(exc), url)}") from exc


def _pg_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                         "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _client_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (Debian: apt-get install "
                          "postgresql-client, the same or a newer major version than the server)")
    return tool


def _libpq_args(url: str) -> tuple[str, dict[str, str]]:
    """The URL as a connection string without its password, and an environment holding the password."""
    params = conninfo_to_dict(libpq_url(url))
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    return make_conninfo(**params), env


def _run(command: list[str], env: dict[str, str], url: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({redacted(url)}): {_scrub(done.stderr, url)}")


def _pg_backup(url: str, target: Path) -> BackupReport:
    pg_dump = _client_tool("pg_dump")
    dsn, env = _libpq_args(url)
    part = _private_temp(target.parent, target.name)
    try:
        with _pg_connect(url) as conn:
            # The counts and the dump read the same snapshot: pg_dump joins this transaction's.
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
                taken_at = now()
                counts = _pg_counts(conn)
                _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={part}", f"--dbname={dsn}"],
                     env, url)
        _publish(part, target)
    finally:
        part.unlink(missing_ok=True)
    return BackupReport(str(target), "postgresql", taken_at, counts)


def _pg_restore(file: Path, url: str) -> dict[str, int]:
    pg_restore = _client_tool("pg_restore")
    with _pg_connect(url) as conn:
        present = _pg_counts(conn)
    if present:
        raise BackupError(f"{redacted(url)} already has tables ({', '.join(sorted(present)[:5])}…); restore into a "
                          "new, empty database (createdb)")
    dsn, env = _libpq_args(url)
    # --no-owner: the restoring user owns what it creates (the app's user, which the app needs).
    _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={dsn}", str(file)], env, url)
    return table_counts(url)


def _scrub(message: str, url: str) -> str:
    password = conninfo_to_dict(libpq_url(url)).get("password")
    message = message.strip()
    return message.replace(password, "***") if password else message
