"""Provider organisations, their users and which enterprises each one serves (bureau and admin only).

Decision: an enterprise is served by at most one provider organisation at a time, so assigning
it to another organisation is a reassignment (recorded in the audit log as old → new).
"""

from __future__ import annotations

from db import audit
from db.connection import now, write_txn
from db.identity import AccessDenied, Identity
from db.users import UserError, create_account, ensure_live
from questionnaires.model import Text

MANAGERS = ("bureau", "admin")


def _require_manager(identity: Identity | None) -> None:
    if identity is not None and identity.role not in MANAGERS:
        raise AccessDenied("only the bureau and administrators manage providers")


def list_providers(db, identity: Identity) -> list[dict]:
    """Every provider organisation with its number of users and assigned enterprises."""
    _require_manager(identity)
    return list(db.query(
        "SELECT p.id, p.name, p.is_demo, p.created_at, "
        "(SELECT count(*) FROM users u WHERE u.provider_id = p.id) AS users, "
        "(SELECT count(*) FROM assignments a WHERE a.provider_id = p.id) AS enterprises "
        "FROM providers p ORDER BY p.name"))


def assignment_targets(db) -> tuple[dict[str, dict], list[dict]]:
    """Enterprises keyed by credit code and every provider (id, name), for checking an assignment file.

    No identity: the file is only checked here; writing it goes through assign_many, which requires the
    bureau or an administrator, and the page that uploads it is theirs only."""
    enterprises = {r["credit_code"]: r for r in db.query("SELECT id, name, credit_code FROM enterprises")}
    return enterprises, list(db.query("SELECT id, name FROM providers ORDER BY name"))


def provider_by_name(db, name: str) -> dict | None:
    return next(db.query("SELECT * FROM providers WHERE name = ?", [" ".join((name or "").split())]), None)


def create_provider_org(db, identity: Identity, name: str) -> int:
    """A new provider organisation (name unique, 2–100 characters); audited."""
    _require_manager(identity)
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 100:
        raise UserError(Text("服务商名称应为 2 至 100 个字。", "The provider name must be 2 to 100 characters."))
    with write_txn(db):
        ensure_live(db, identity)
        if provider_by_name(db, name) is not None:
            raise UserError(Text(f"服务商“{name}”已存在。", f"Provider {name!r} already exists."))
        pid = db.execute("INSERT INTO providers (name, created_at) VALUES (?,?) RETURNING id", [name, now()]).fetchall()[0][0]
        audit.record(db, identity, "create_provider", "provider", pid, new={"name": name})
    return pid


def create_provider_user(db, identity: Identity, provider_id: int, username: str, password: str,
                         display_name: str = "") -> int:
    """An account for a provider organisation (password to be changed at first sign-in); audited."""
    _require_manager(identity)
    return create_account(db, identity, username, password, "provider", display_name, provider_id=provider_id)


def provider_users(db, identity: Identity, provider_id: int) -> list[dict]:
    _require_manager(identity)
    return list(db.query("SELECT id, username, display_name, active FROM users WHERE provider_id = ? "
                         "ORDER BY username", [provider_id]))


def assignment_table(db, identity: Identity) -> list[dict]:
    """Every enterprise with the provider organisation serving it (None if none)."""
    _require_manager(identity)
    return list(db.query(
        "SELECT e.id, e.name, e.credit_code, e.district, a.provider_id, p.name AS provider, a.assigned_at "
        "FROM enterprises e LEFT JOIN assignments a ON a.enterprise_id = e.id "
        "LEFT JOIN providers p ON p.id = a.provider_id ORDER BY e.name"))


def _assign_in_txn(db, identity: Identity | None, enterprise_id: int, provider_id: int | None) -> bool:
    """Set the enterprise's provider inside the caller's transaction; audited. False if nothing changed."""
    if not db.execute("SELECT 1 FROM enterprises WHERE id = ?", [enterprise_id]).fetchone():
        raise UserError(Text("所选企业不存在。", "No such enterprise."))
    if provider_id is not None and not db.execute("SELECT 1 FROM providers WHERE id = ?", [provider_id]).fetchone():
        raise UserError(Text("所选服务商不存在。", "No such provider."))
    old = [r[0] for r in db.execute("SELECT provider_id FROM assignments WHERE enterprise_id = ? ORDER BY provider_id",
                                    [enterprise_id]).fetchall()]
    if old == ([provider_id] if provider_id is not None else []):
        return False
    names = dict(db.execute("SELECT id, name FROM providers").fetchall())
    db.execute("DELETE FROM assignments WHERE enterprise_id = ?", [enterprise_id])
    if provider_id is not None:
        db.execute("INSERT INTO assignments (provider_id, enterprise_id, assigned_at) VALUES (?,?,?)",
                   [provider_id, enterprise_id, now()])
    action = "unassign" if provider_id is None else ("reassign" if old else "assign")
    audit.record(db, identity, action, "enterprise", enterprise_id,
                 old={"provider_id": old[0], "provider": names.get(old[0])} if old else None,
                 new={"provider_id": provider_id, "provider": names.get(provider_id)} if provider_id else None)
    return True


def assign_enterprise(db, identity: Identity, enterprise_id: int, provider_id: int | None) -> bool:
    """Assign one enterprise to a provider organisation (None = no provider); a reassignment is
    audited old → new. Returns False if it was already so."""
    _require_manager(identity)
    with write_txn(db):
        ensure_live(db, identity)
        return _assign_in_txn(db, identity, enterprise_id, provider_id)


def assign_many(db, identity: Identity, pairs: list[tuple[int, int]]) -> int:
    """Apply (enterprise id, provider id) pairs in one transaction (all or nothing); returns how many changed."""
    _require_manager(identity)
    with write_txn(db):
        ensure_live(db, identity)
        return sum(_assign_in_txn(db, identity, eid, pid) for eid, pid in pairs)
