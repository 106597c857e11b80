"""First start: create and migrate the database, the first admin, and (unless turned off) demo data."""

from __future__ import annotations

import os
import secrets
import sys
import threading

from db.connection import database_path, get_db

_done: set[str] = set()
_lock = threading.Lock()


def demo_enabled() -> bool:
    """Demo data is on unless ZB_DEMO is 0/false/no."""
    return os.environ.get("ZB_DEMO", "1").strip().lower() not in ("0", "false", "no", "off")


def ensure_ready(path: str | None = None):
    """Idempotent start-up; returns this thread's database connection."""
    path = path or database_path()
    db = get_db(path)
    if path in _done:
        return db
    with _lock:
        if path not in _done:
            if demo_enabled():
                from demo import seed_demo

                seed_demo(db)
            _ensure_admin(db)
            _done.add(path)
    return db


def _ensure_admin(db) -> None:
    """Without any admin (demo off), create 'admin' with $ZB_ADMIN_PASSWORD or a printed random one."""
    if db.execute("SELECT 1 FROM users WHERE role = 'admin'").fetchone():
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
