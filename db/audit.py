"""The audit log: who did what, when, from which value to which, and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from db.connection import now
from db.identity import AccessDenied

SHANGHAI = ZoneInfo("Asia/Shanghai")


def record(db, identity, action: str, entity: str, entity_id, old=None, new=None, reason: str | None = None):
    """Append one audit entry (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, old, new, reason) VALUES (?,?,?,?,?,?,?,?)",
        [now(), identity.user_id if identity else None, action, entity, str(entity_id),
         None if old is None else json.dumps(old, ensure_ascii=False),
         None if new is None else json.dumps(new, ensure_ascii=False), reason],
    )


_encode = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(x, ensure_ascii=False) gives


def record_many(db, identity, action: str, entity: str, rows) -> None:
    """Append one audit entry per (entity_id, old, new, reason) row, all with one time stamp (inside
    the caller's transaction; one statement for a batch, e.g. a re-scoring's)."""
    t, user_id = now(), identity.user_id if identity else None
    db.conn.executemany(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, old, new, reason) VALUES (?,?,?,?,?,?,?,?)",
        [(t, user_id, action, entity, str(entity_id), None if old is None else _encode(old),
          None if new is None else _encode(new), reason) for entity_id, old, new, reason in rows])


def entries(db, entity: str, entity_id) -> list[dict]:
    """Audit entries of one record, oldest first."""
    return list(db.query("SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id",
                         [entity, str(entity_id)]))


# --- the bureau's audit view (read only: the log has no update or delete function, and the
# database refuses UPDATE and DELETE on it by trigger, migration m070) ------------------------

VIEWERS = ("bureau", "admin")
ENTITIES = ("enterprise", "assessment", "user", "provider", "roster", "target")


@dataclass(frozen=True)
class AuditFilter:
    """What the audit view shows: dates are Asia/Shanghai calendar days, both ends included."""

    date_from: date | None = None
    date_to: date | None = None
    user_id: int | None = None
    action: str | None = None
    entity: str | None = None
    enterprise_id: int | None = None


def _utc_bound(day: date) -> str:
    local = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def query(db, identity, where: AuditFilter, limit: int | None = None) -> list[dict]:
    """Audit entries matching the filter, newest first, with the actor's display name (bureau and admin only)."""
    if identity is None or identity.role not in VIEWERS:
        raise AccessDenied("only the bureau and administrators read the audit log")
    clauses, params = [], []
    if where.date_from is not None:
        clauses.append("l.at >= ?")
        params.append(_utc_bound(where.date_from))
    if where.date_to is not None:
        clauses.append("l.at < ?")
        params.append(_utc_bound(where.date_to + timedelta(days=1)))
    if where.user_id is not None:
        clauses.append("l.user_id = ?")
        params.append(where.user_id)
    if where.action:
        clauses.append("l.action = ?")
        params.append(where.action)
    if where.entity:
        clauses.append("l.entity = ?")
        params.append(where.entity)
    if where.enterprise_id is not None:
        clauses.append("((l.entity = 'enterprise' AND l.entity_id = ?) OR (l.entity = 'assessment' AND l.entity_id IN "
                       "(SELECT CAST(id AS TEXT) FROM assessments WHERE enterprise_id = ?)))")
        params += [str(where.enterprise_id), where.enterprise_id]
    sql = ("SELECT l.id, l.at, l.user_id, u.display_name AS who, u.username, l.action, l.entity, l.entity_id, "
           "l.old, l.new, l.reason FROM audit_log l LEFT JOIN users u ON u.id = l.user_id"
           + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY l.id DESC")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return list(db.query(sql, params))


def actions_in_log(db) -> list[str]:
    """The distinct actions recorded so far (for the filter)."""
    return [r[0] for r in db.execute("SELECT DISTINCT action FROM audit_log ORDER BY action").fetchall()]


def actors_in_log(db) -> list[dict]:
    """The users who appear in the log (for the filter)."""
    return list(db.query("SELECT DISTINCT u.id, u.username, u.display_name FROM audit_log l "
                         "JOIN users u ON u.id = l.user_id ORDER BY u.username"))
