"""The audit log: who did what, when, from which value to which, and why."""

from __future__ import annotations

import json

from db.connection import now


def record(db, identity, action: str, entity: str, entity_id, old=None, new=None, reason: str | None = None):
    """Append one audit entry (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, old, new, reason) VALUES (?,?,?,?,?,?,?,?)",
        [now(), identity.user_id if identity else None, action, entity, str(entity_id),
         None if old is None else json.dumps(old, ensure_ascii=False),
         None if new is None else json.dumps(new, ensure_ascii=False), reason],
    )


def entries(db, entity: str, entity_id) -> list[dict]:
    """Audit entries of one record, oldest first."""
    return list(db.query("SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id",
                         [entity, str(entity_id)]))
