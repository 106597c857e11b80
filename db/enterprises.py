"""Enterprises, provider organisations and assignments, filtered by the signed-in identity."""

from __future__ import annotations

from db.connection import now
from db.identity import AccessDenied, Identity, NotFound
from reference import credit_code_problem, normalise_credit_code


def visible_enterprise_filter(identity: Identity) -> tuple[str, list]:
    """SQL condition (on alias ``e``) selecting the enterprises this identity may see."""
    if identity.role == "enterprise":
        return "e.id = ?", [identity.enterprise_id or -1]
    if identity.role == "provider":
        return ("e.id IN (SELECT enterprise_id FROM assignments WHERE provider_id = ?)",
                [identity.provider_id or -1])
    if identity.role in ("bureau", "admin"):
        return "1 = 1", []
    return "0 = 1", []


def can_see_enterprise(db, identity: Identity, enterprise_id: int) -> bool:
    where, params = visible_enterprise_filter(identity)
    return db.execute(f"SELECT 1 FROM enterprises e WHERE e.id = ? AND {where}",
                      [enterprise_id, *params]).fetchone() is not None


def list_enterprises(db, identity: Identity) -> list[dict]:
    """Enterprises the identity may see, with their assigned providers."""
    where, params = visible_enterprise_filter(identity)
    return list(db.query(
        f"SELECT e.*, (SELECT group_concat(p.name, '、') FROM assignments a JOIN providers p ON p.id = a.provider_id "
        f"WHERE a.enterprise_id = e.id) AS providers FROM enterprises e WHERE {where} ORDER BY e.name", params))


def get_enterprise(db, identity: Identity, enterprise_id: int) -> dict:
    where, params = visible_enterprise_filter(identity)
    row = next(db.query(f"SELECT e.* FROM enterprises e WHERE e.id = ? AND {where}", [enterprise_id, *params]), None)
    if row is None:
        raise NotFound(f"enterprise {enterprise_id}")
    return row


def create_enterprise(db, credit_code: str, name: str, district: str, industry_code: str | None,
                      above_scale: bool = True, is_demo: bool = False) -> int:
    code = normalise_credit_code(credit_code)
    problem = credit_code_problem(code)
    if problem:
        raise ValueError(f"credit code {credit_code!r}: {problem}")
    cur = db.execute(
        "INSERT INTO enterprises (credit_code, name, district, industry_code, above_scale, is_demo, created_at) "
        "VALUES (?,?,?,?,?,?,?)", [code, name, district, industry_code, int(above_scale), int(is_demo), now()])
    return cur.lastrowid


def create_provider(db, name: str, is_demo: bool = False) -> int:
    return db.execute("INSERT INTO providers (name, is_demo, created_at) VALUES (?,?,?)",
                      [name, int(is_demo), now()]).lastrowid


def assign(db, identity: Identity | None, provider_id: int, enterprise_id: int) -> None:
    """Assign a provider to an enterprise (bureau or admin; None = system/demo seeding)."""
    if identity is not None and identity.role not in ("bureau", "admin"):
        raise AccessDenied("only the bureau assigns providers")
    db.execute("INSERT OR IGNORE INTO assignments (provider_id, enterprise_id, assigned_at) VALUES (?,?,?)",
               [provider_id, enterprise_id, now()])
