"""Accounts, sign-in throttling and server-side sign-in sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from db.connection import now, write_txn
from db.identity import ROLES, Identity
from passwords import hash_password, verify_password

MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
SESSION_MAX_HOURS = 12


class UserError(ValueError):
    """A user-management request that cannot be carried out (message says why)."""


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_user(db, username: str, password: str, role: str, display_name: str = "",
                enterprise_id: int | None = None, provider_id: int | None = None,
                must_change_password: bool = False, is_demo: bool = False) -> int:
    """Create an account; an enterprise user needs an enterprise, a provider user a provider."""
    username = username.strip()
    if not username:
        raise UserError("username is empty")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "enterprise" and not enterprise_id:
        raise UserError("an enterprise user must be bound to an enterprise")
    if role == "provider" and not provider_id:
        raise UserError("a provider user must be bound to a provider organisation")
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise UserError(f"user {username!r} already exists")
    cur = db.execute(
        "INSERT INTO users (username, password_hash, role, display_name, enterprise_id, provider_id, "
        "must_change_password, is_demo, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        [username, hash_password(password), role, display_name or username,
         enterprise_id if role == "enterprise" else None, provider_id if role == "provider" else None,
         int(must_change_password), int(is_demo), now()],
    )
    return cur.lastrowid


def set_password(db, username: str, password: str, must_change: bool = False) -> None:
    """Reset a password, clear the lockout and revoke every open session of the user."""
    row = db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()
    if row is None:
        raise UserError(f"no user {username!r}")
    with write_txn(db):
        db.execute("UPDATE users SET password_hash = ?, must_change_password = ?, failed_logins = 0, "
                   "locked_until = NULL WHERE id = ?", [hash_password(password), int(must_change), row[0]])
        db.execute("UPDATE auth_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                   [now(), row[0]])


def list_users(db) -> list[dict]:
    return list(db.query(
        "SELECT u.id, u.username, u.display_name, u.role, u.active, u.is_demo, e.name AS enterprise, "
        "p.name AS provider, u.created_at FROM users u LEFT JOIN enterprises e ON e.id = u.enterprise_id "
        "LEFT JOIN providers p ON p.id = u.provider_id ORDER BY u.role, u.username"))


def _identity(row) -> Identity:
    return Identity(user_id=row["id"], username=row["username"], role=row["role"],
                    display_name=row["display_name"] or row["username"],
                    enterprise_id=row["enterprise_id"], provider_id=row["provider_id"])


class LoginResult:
    def __init__(self, identity: Identity | None = None, error: str | None = None,
                 locked_until: str | None = None, must_change_password: bool = False):
        self.identity, self.error, self.locked_until = identity, error, locked_until
        self.must_change_password = must_change_password


def authenticate(db, username: str, password: str) -> LoginResult:
    """Check a password; after MAX_FAILED_LOGINS failures the account is locked for a while.

    The same error is given for an unknown user and a wrong password.
    """
    row = next(db.query("SELECT * FROM users WHERE username = ?", [username.strip()]), None)
    if row is None or not row["active"]:
        verify_password(password, "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")  # same cost either way
        return LoginResult(error="bad_credentials")
    if row["locked_until"] and _parse(row["locked_until"]) > _utcnow():
        return LoginResult(error="locked", locked_until=row["locked_until"])
    if not verify_password(password, row["password_hash"]):
        failed = (row["failed_logins"] or 0) + 1
        locked = _ts(_utcnow() + timedelta(minutes=LOCKOUT_MINUTES)) if failed >= MAX_FAILED_LOGINS else None
        db.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
                   [0 if locked else failed, locked, row["id"]])
        return LoginResult(error="locked" if locked else "bad_credentials", locked_until=locked)
    db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", [row["id"]])
    return LoginResult(identity=_identity(row), must_change_password=bool(row["must_change_password"]))


def change_password(db, identity: Identity, old: str, new: str) -> bool:
    row = next(db.query("SELECT password_hash FROM users WHERE id = ?", [identity.user_id]), None)
    if row is None or not verify_password(old, row["password_hash"]):
        return False
    db.execute("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
               [hash_password(new), identity.user_id])
    return True


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(db, identity: Identity) -> str:
    """Start a sign-in session; returns the random token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    t = _utcnow()
    db.execute("INSERT INTO auth_sessions (token_hash, user_id, created_at, last_seen_at, expires_at) "
               "VALUES (?,?,?,?,?)",
               [_token_hash(token), identity.user_id, _ts(t), _ts(t), _ts(t + timedelta(hours=SESSION_MAX_HOURS))])
    return token


def resume_session(db, token: str | None, idle_minutes: int) -> Identity | None:
    """The identity behind a token, if the session is neither revoked, expired nor idle too long.

    A successful call counts as activity (at most one write a minute).
    """
    if not token:
        return None
    row = next(db.query(
        "SELECT s.token_hash, s.last_seen_at, s.expires_at, s.revoked_at, u.* FROM auth_sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", [_token_hash(token)]), None)
    if row is None or row["revoked_at"] or not row["active"]:
        return None
    t = _utcnow()
    last_seen = _parse(row["last_seen_at"])
    if _parse(row["expires_at"]) <= t or t - last_seen > timedelta(minutes=idle_minutes):
        return None
    if t - last_seen > timedelta(minutes=1):
        db.execute("UPDATE auth_sessions SET last_seen_at = ? WHERE token_hash = ?", [_ts(t), row["token_hash"]])
    return _identity(row)


def revoke_session(db, token: str | None) -> None:
    if token:
        db.execute("UPDATE auth_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                   [now(), _token_hash(token)])


LANGUAGES = ("zh", "en")


def get_language(db, identity: Identity) -> str | None:
    """The signed-in user's chosen interface language (None until they choose one)."""
    row = db.execute("SELECT language FROM users WHERE id = ?", [identity.user_id]).fetchone()
    return row[0] if row and row[0] in LANGUAGES else None


def set_language(db, identity: Identity, language: str) -> None:
    """Remember the signed-in user's interface language, for every device they use."""
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}")
    with write_txn(db):
        db.execute("UPDATE users SET language = ? WHERE id = ?", [language, identity.user_id])
