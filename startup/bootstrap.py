"""First start: create and migrate the database, record its mode, the first admin, and demo data if asked.

Production is the default. Demo data only when ZB_DEMO=1 is set, and then in its own file
(data/zibo-demo.db unless ZB_DB_PATH says otherwise). The mode is written into the database
(settings 'mode') when it is created and checked at every start, so a production database
never receives demo accounts and a demo database is never opened as production.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
import threading

from db.connection import database_path, get_db, location_of, redacted, write_txn
from db.settings import add_setting, get_setting
from db.users import has_users

_done: dict[str, str] = {}  # path -> mode
_lock = threading.Lock()

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


class DatabaseModeError(RuntimeError):
    """The database was made in the other mode, or a demo database would be served publicly."""


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def demo_requested() -> bool:
    """ZB_DEMO=1 asks for the demo data set (default: production)."""
    return _truthy("ZB_DEMO")


def _database_mode(db) -> str | None:
    return get_setting(db, "mode")


def _record_mode(db, requested: str) -> str:
    """The database's mode: recorded now if new (a database from before modes were recorded counts
    as demo if it holds the demo data set); refuses a mismatch with the requested mode."""
    with write_txn(db):
        mode = _database_mode(db)
        if mode is None:
            seeded = get_setting(db, "demo_seeded") is not None
            mode = "demo" if seeded else ("production" if has_users(db) else requested)
            add_setting(db, "mode", mode)
    if mode != requested:
        path = redacted(location_of(db))
        if mode == "demo":
            raise DatabaseModeError(
                f"{path} is a DEMO database (published demo passwords) and cannot be opened as production. "
                "Start with ZB_DEMO=1 to run the demo, or point ZB_DB_PATH at the production database.")
        raise DatabaseModeError(
            f"{path} is a PRODUCTION database; refusing to open it in demo mode (ZB_DEMO=1) or to add demo "
            "accounts to it. Unset ZB_DEMO, or point ZB_DB_PATH at a demo database (e.g. data/zibo-demo.db).")
    return mode


def ensure_ready(path: str | None = None):
    """Idempotent start-up; returns this thread's database connection."""
    path = path or database_path()
    db = get_db(path)
    if path in _done:
        return db
    with _lock:
        if path not in _done:
            mode = _record_mode(db, "demo" if demo_requested() else "production")
            if mode == "demo":
                from startup.demo import seed_demo

                seed_demo(db)
            _ensure_admin(db)
            _done[path] = mode
    return db


def demo_enabled(path: str | None = None) -> bool:
    """True when this database is the demo one (made with ZB_DEMO=1)."""
    path = path or database_path()
    if path not in _done:
        ensure_ready(path)
    return _done[path] == "demo"


def is_loopback(address: str | None) -> bool:
    """Whether a server.address only listens on this machine ('' / None means every interface)."""
    if not address:
        return False
    if address.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def check_served_address(address: str | None, path: str | None = None) -> None:
    """Refuse to serve a demo database on a non-loopback address unless ZB_ALLOW_DEMO_PUBLIC=1."""
    if demo_enabled(path) and not is_loopback(address) and not _truthy("ZB_ALLOW_DEMO_PUBLIC"):
        raise DatabaseModeError(
            f"refusing to serve a DEMO database (published demo passwords) on address {address or 'every interface'!r}; "
            "use server.address 127.0.0.1, or set ZB_ALLOW_DEMO_PUBLIC=1 if that is really wanted.")


def _ensure_admin(db) -> None:
    """Without any admin (production), create 'admin' with $ZB_ADMIN_PASSWORD or a printed one-time one."""
    if has_users(db, role="admin"):
        return
    from db.users import create_user

    password = os.environ.get("ZB_ADMIN_PASSWORD")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    create_user(db, "admin", password, "admin", "系统管理员", must_change_password=generated)
    if generated:
        print(f"[zibo] created user 'admin' with one-time password: {password} (change it at first sign-in)",
              file=sys.stderr, flush=True)
