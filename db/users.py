"""Accounts, sign-in throttling, server-side sign-in sessions and the cookie hand-off codes."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accounts.passwords import hash_password, verify_password
from db import audit
from db.connection import now, write_txn
from db.identity import ROLES, Identity, SessionEnded
from questionnaires.model import Text

SESSION_MAX_HOURS = 12
HANDOFF_SECONDS = 60

# Throttling: the first FREE failures of a scope cost nothing; after that each attempt waits
# 2^(failures - FREE) seconds after the previous failure, capped at MAX_DELAY. A growing delay,
# never a permanent lock, so an attacker cannot lock a user out for long by guessing.
FREE_FAILURES = {"user": 5, "addr": 30}  # one address may be a whole factory behind NAT
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)  # counters of scopes quiet this long are dropped (guessed usernames pile up)

# A fixed scrypt hash with the production cost: unknown users cost the same KDF as known ones.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


class UserError(ValueError):
    """A user-management request that cannot be carried out; ``text`` says why in both languages."""

    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def idle_minutes() -> int:
    """Inactivity limit in minutes ($ZB_SESSION_IDLE_MINUTES, default 30)."""
    return int(os.environ.get("ZB_SESSION_IDLE_MINUTES", "30"))


def _check_binding(db, role: str, enterprise_id, provider_id) -> None:
    if role not in ROLES:
        raise UserError(Text("角色无效。", "Unknown role."))
    if role == "enterprise" and not enterprise_id:
        raise UserError(Text("企业用户必须绑定一家企业。", "An enterprise user must be bound to an enterprise."))
    if role == "provider" and not provider_id:
        raise UserError(Text("服务商用户必须绑定一家服务商。", "A provider user must be bound to a provider."))
    if role == "enterprise" and not db.execute("SELECT 1 FROM enterprises WHERE id = ?", [enterprise_id]).fetchone():
        raise UserError(Text("所选企业不存在。", "No such enterprise."))
    if role == "provider" and not db.execute("SELECT 1 FROM providers WHERE id = ?", [provider_id]).fetchone():
        raise UserError(Text("所选服务商不存在。", "No such provider."))


def create_user(db, username: str, password: str, role: str, display_name: str = "",
                enterprise_id: int | None = None, provider_id: int | None = None,
                must_change_password: bool = False, is_demo: bool = False) -> int:
    """Create an account; an enterprise user needs an enterprise, a provider user a provider."""
    username = username.strip()
    if not username:
        raise UserError(Text("用户名不能为空。", "The username is empty."))
    _check_binding(db, role, enterprise_id, provider_id)
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise UserError(Text(f"用户名“{username}”已存在。", f"User {username!r} already exists."))
    cur = db.execute(
        "INSERT INTO users (username, password_hash, role, display_name, enterprise_id, provider_id, "
        "must_change_password, is_demo, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
        [username, hash_password(password), role, display_name or username,
         enterprise_id if role == "enterprise" else None, provider_id if role == "provider" else None,
         int(must_change_password), int(is_demo), now()],
    )
    return cur.fetchall()[0][0]


def create_account(db, actor: Identity | None, username: str, password: str, role: str, display_name: str = "",
                   enterprise_id: int | None = None, provider_id: int | None = None) -> int:
    """An admin creates an account (password to be changed at first sign-in); audited."""
    with write_txn(db):
        ensure_live(db, actor)
        new_id = create_user(db, username, password, role, display_name, enterprise_id=enterprise_id,
                             provider_id=provider_id, must_change_password=True)
        audit.record(db, actor, "create_user", "user", new_id, new={"username": username.strip(), "role": role})
    return new_id


def has_users(db, role: str | None = None) -> bool:
    """Whether any user (of ``role``, if given) exists — start-up checks, before anyone signs in."""
    if role is None:
        return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None
    return db.execute("SELECT 1 FROM users WHERE role = ? LIMIT 1", [role]).fetchone() is not None


def user_id_by_username(db, username: str) -> int:
    """The id of a user (command line and admin tools); UserError naming the user if there is none."""
    return _user_id(db, username)


def _user_id(db, username: str) -> int:
    row = db.execute("SELECT id FROM users WHERE username = ?", [username.strip()]).fetchone()
    if row is None:
        raise UserError(Text(f"没有用户“{username}”。", f"No user {username!r}."))
    return row[0]


def _revoke_all(db, user_id: int, keep: str | None = None) -> None:
    db.execute("UPDATE auth_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL "
               "AND token_hash IS DISTINCT FROM ?", [now(), user_id, keep])


def set_password(db, username: str, password: str, must_change: bool = False, actor: Identity | None = None) -> None:
    """Reset a password, clear the throttle and revoke every open session of the user (audited)."""
    with write_txn(db):
        ensure_live(db, actor)
        uid = _user_id(db, username)
        db.execute("UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?",
                   [hash_password(password), int(must_change), uid])
        db.execute("DELETE FROM login_throttle WHERE scope = 'user' AND key = ?", [_norm(username)])
        _revoke_all(db, uid)
        audit.record(db, actor, "reset_password", "user", uid, new={"must_change_password": must_change})


def issue_one_time_password(db, actor: Identity | None, username: str) -> str:
    """Give the user a new random password that must be changed at first sign-in; returns it (show it once)."""
    password = secrets.token_urlsafe(9)  # 12 characters, letters, digits, - and _
    while password.isalpha() or password.isdigit():
        password = secrets.token_urlsafe(9)
    set_password(db, username, password, must_change=True, actor=actor)
    return password


def set_active(db, actor: Identity | None, user_id: int, active: bool) -> None:
    """Deactivate (ending all sessions) or reactivate an account (audited). An admin cannot deactivate themself."""
    with write_txn(db):
        ensure_live(db, actor)
        row = db.execute("SELECT active FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise UserError(Text("用户不存在。", "No such user."))
        if not active and actor is not None and actor.user_id == user_id:
            raise UserError(Text("不能停用自己的账号。", "You cannot deactivate your own account."))
        db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id])
        if not active:
            _revoke_all(db, user_id)
        audit.record(db, actor, "activate" if active else "deactivate", "user", user_id,
                     old={"active": bool(row[0])}, new={"active": active})


def set_binding(db, actor: Identity | None, user_id: int, enterprise_id: int | None, provider_id: int | None) -> None:
    """Bind an enterprise user to another enterprise, or a provider user to another provider (audited).

    The user's open sessions end, so no page keeps showing the old organisation's data.
    """
    with write_txn(db):
        ensure_live(db, actor)
        row = db.execute("SELECT role, enterprise_id, provider_id FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise UserError(Text("用户不存在。", "No such user."))
        role = row[0]
        if role not in ("enterprise", "provider"):
            raise UserError(Text("只有企业用户和服务商用户有绑定。", "Only enterprise and provider users are bound."))
        _check_binding(db, role, enterprise_id, provider_id)
        new_ent = enterprise_id if role == "enterprise" else None
        new_prov = provider_id if role == "provider" else None
        db.execute("UPDATE users SET enterprise_id = ?, provider_id = ? WHERE id = ?", [new_ent, new_prov, user_id])
        _revoke_all(db, user_id)
        audit.record(db, actor, "rebind", "user", user_id, old={"enterprise_id": row[1], "provider_id": row[2]},
                     new={"enterprise_id": new_ent, "provider_id": new_prov})


def list_users(db) -> list[dict]:
    return list(db.query(
        "SELECT u.id, u.username, u.display_name, u.role, u.active, u.is_demo, u.enterprise_id, u.provider_id, "
        "e.name AS enterprise, p.name AS provider, u.created_at FROM users u "
        "LEFT JOIN enterprises e ON e.id = u.enterprise_id "
        "LEFT JOIN providers p ON p.id = u.provider_id ORDER BY u.role, u.username"))


def _identity(row, session: str | None = None) -> Identity:
    return Identity(user_id=row["id"], username=row["username"], role=row["role"],
                    display_name=row["display_name"] or row["username"],
                    enterprise_id=row["enterprise_id"], provider_id=row["provider_id"], session=session,
                    must_change_password=bool(row["must_change_password"]))


# --- throttled sign-in -------------------------------------------------------------------------


@dataclass
class LoginResult:
    identity: Identity | None = None
    error: str | None = None  # "bad_credentials" or "throttled"
    retry_at: datetime | None = None  # UTC, when throttled

    @property
    def must_change_password(self) -> bool:
        return bool(self.identity and self.identity.must_change_password)


def _norm(username: str) -> str:
    return username.strip().lower()[:200]


def _delay(scope: str, failures: int) -> timedelta:
    over = failures - FREE_FAILURES[scope]
    if over < 0:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** min(over, 20)))


def _scopes(username: str, address: str | None) -> list[tuple[str, str]]:
    scopes = [("user", _norm(username))]
    if address:
        scopes.append(("addr", address))
    return scopes


def _reserve_attempt(db, scopes: list[tuple[str, str]]) -> datetime | None:
    """Count this attempt as a failure up front, atomically; returns a retry time if it must wait instead.

    Counting before the password check (and un-counting on success) is what makes 50 parallel
    guesses unable to slip past the limit: each one takes the write lock, sees the count the
    previous one left, and only the allowed ones go on to the KDF.
    """
    t = _utcnow()
    with write_txn(db):
        db.execute("DELETE FROM login_throttle WHERE last_failure_at < ?", [_ts(t - FORGET_AFTER)])
        retry = None
        for scope, key in scopes:
            row = db.execute("SELECT failures, last_failure_at FROM login_throttle WHERE scope = ? AND key = ?",
                             [scope, key]).fetchone()
            if row:
                allowed_at = _parse(row[1]) + _delay(scope, row[0])
                if allowed_at > t:
                    retry = max(retry or allowed_at, allowed_at)
        if retry is not None:
            return retry
        for scope, key in scopes:
            db.execute("INSERT INTO login_throttle (scope, key, failures, last_failure_at) VALUES (?,?,1,?) "
                       "ON CONFLICT (scope, key) DO UPDATE SET failures = login_throttle.failures + 1, "
                       "last_failure_at = excluded.last_failure_at", [scope, key, _ts(t)])
    return None


def _release_attempt(db, scopes: list[tuple[str, str]]) -> None:
    """A successful sign-in: clear the account's count, take back this attempt from the address."""
    with write_txn(db):
        for scope, key in scopes:
            if scope == "user":
                db.execute("DELETE FROM login_throttle WHERE scope = ? AND key = ?", [scope, key])
            else:
                db.execute("UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END "
                           "WHERE scope = ? AND key = ?", [scope, key])


def authenticate(db, username: str, password: str, address: str | None = None) -> LoginResult:
    """Check a password under throttling per account and per client address.

    An unknown user, an inactive user and a wrong password get the same answer after the same
    KDF work; a throttled attempt runs no password check at all and says when to retry.
    """
    scopes = _scopes(username, address)
    retry = _reserve_attempt(db, scopes)
    if retry is not None:
        return LoginResult(error="throttled", retry_at=retry)
    row = next(db.query("SELECT * FROM users WHERE username = ?", [username.strip()]), None)
    stored = row["password_hash"] if row is not None and row["active"] else _DUMMY_HASH
    ok = verify_password(password, stored) and stored is not _DUMMY_HASH
    if not ok:
        return LoginResult(error="bad_credentials")
    _release_attempt(db, scopes)
    return LoginResult(identity=_identity(row))


def change_password(db, identity: Identity, old: str, new: str) -> bool:
    """Change one's own password; ends every other session of the user. False if ``old`` is wrong.

    Raises SessionEnded if the session this change comes from is no longer live.
    """
    row = next(db.query("SELECT password_hash FROM users WHERE id = ?", [identity.user_id]), None)
    if row is None or not verify_password(old, row["password_hash"]):
        return False
    new_hash = hash_password(new)
    with write_txn(db):
        ensure_live(db, identity, allow_must_change=True)
        db.execute("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
                   [new_hash, identity.user_id])
        _revoke_all(db, identity.user_id, keep=identity.session)
        audit.record(db, identity, "change_password", "user", identity.user_id)
    return True


# --- sessions -----------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(db, identity: Identity) -> str:
    """Start a sign-in session; returns the random token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    t = _utcnow()
    db.execute("INSERT INTO auth_sessions (token_hash, user_id, created_at, last_seen_at, expires_at) "
               "VALUES (?,?,?,?,?)",
               [token_hash(token), identity.user_id, _ts(t), _ts(t), _ts(t + timedelta(hours=SESSION_MAX_HOURS))])
    return token


_SESSION_SQL = ("SELECT s.token_hash, s.last_seen_at, s.expires_at, s.revoked_at, u.* FROM auth_sessions s "
                "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?")


def _live_row(db, hashed: str, idle: int):
    row = next(db.query(_SESSION_SQL, [hashed]), None)
    if row is None or row["revoked_at"] or not row["active"]:
        return None
    t = _utcnow()
    if _parse(row["expires_at"]) <= t or t - _parse(row["last_seen_at"]) > timedelta(minutes=idle):
        return None
    return row


def resume_session(db, token: str | None, idle_minutes: int) -> Identity | None:
    """The identity behind a token, if the session is neither revoked, expired nor idle too long.

    A successful call counts as activity (at most one write a minute).
    """
    if not token:
        return None
    hashed = token_hash(token)
    row = _live_row(db, hashed, idle_minutes)
    if row is None:
        return None
    t = _utcnow()
    if t - _parse(row["last_seen_at"]) > timedelta(minutes=1):
        db.execute("UPDATE auth_sessions SET last_seen_at = ? WHERE token_hash = ?", [_ts(t), hashed])
    return _identity(row, session=hashed)


def ensure_live(db, identity: Identity | None, allow_must_change: bool = False) -> None:
    """Raise SessionEnded unless the identity's session is live right now; call inside the write transaction.

    Identities without a session (command line, seeding, tests) are trusted callers. A user who
    still has to change the password may write nothing but the new password.
    """
    if identity is None or identity.session is None:
        return
    row = _live_row(db, identity.session, idle_minutes())
    if row is None or row["id"] != identity.user_id:
        raise SessionEnded("session ended")
    if row["must_change_password"] and not allow_must_change:
        raise SessionEnded("password change pending")
    t = _utcnow()
    if t - _parse(row["last_seen_at"]) > timedelta(minutes=1):
        db.execute("UPDATE auth_sessions SET last_seen_at = ? WHERE token_hash = ?", [_ts(t), identity.session])


def revoke_session(db, token: str | None) -> None:
    if token:
        db.execute("UPDATE auth_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                   [now(), token_hash(token)])


def issue_handoff(db, token: str) -> str:
    """A one-time code, valid HANDOFF_SECONDS, that /auth/complete exchanges for this session's cookie."""
    code = secrets.token_urlsafe(32)
    t = _utcnow()
    with write_txn(db):
        db.execute("DELETE FROM auth_handoffs WHERE expires_at < ?", [_ts(t)])
        db.execute("INSERT INTO auth_handoffs (code_hash, token_hash, expires_at) VALUES (?,?,?)",
                   [token_hash(code), token_hash(token), _ts(t + timedelta(seconds=HANDOFF_SECONDS))])
    return code


def redeem_handoff(db, code: str) -> str | None:
    """Exchange a hand-off code (once) for a fresh token of the same session; None if unknown, used or stale.

    The session's token is rotated: the token the sign-in page held stops working, and the
    browser gets a new one that only ever travels in the HttpOnly cookie.
    """
    if not code or len(code) > 128:
        return None
    t = _utcnow()
    with write_txn(db):
        row = db.execute("SELECT token_hash, expires_at FROM auth_handoffs WHERE code_hash = ?",
                         [token_hash(code)]).fetchone()
        if row is None:
            return None
        db.execute("DELETE FROM auth_handoffs WHERE code_hash = ?", [token_hash(code)])
        if _parse(row[1]) <= t or _live_row(db, row[0], idle_minutes()) is None:
            return None
        token = secrets.token_urlsafe(32)
        db.execute("UPDATE auth_sessions SET token_hash = ?, last_seen_at = ? WHERE token_hash = ?",
                   [token_hash(token), _ts(t), row[0]])
    return token


LANGUAGES = ("zh", "en")


def get_language(db, identity: Identity) -> str | None:
    """The signed-in user's chosen interface language (None until they choose one)."""
    row = db.execute("SELECT language FROM users WHERE id = ?", [identity.user_id]).fetchone()
    return row[0] if row and row[0] in LANGUAGES else None


def set_language(db, identity: Identity, language: str) -> None:
    """Remember the signed-in user's interface language, for every device they use."""
    if language not in LANGUAGES:
        raise UserError(Text(f"未知的界面语言：{language}", f"unknown language {language!r}"))
    with write_txn(db):
        ensure_live(db, identity)
        db.execute("UPDATE users SET language = ? WHERE id = ?", [language, identity.user_id])
