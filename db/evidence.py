"""Evidence files attached to assessment items: metadata rows here, bytes in evidence/storage.py.

Who may open them: the enterprise's own staff, the provider organisation the enterprise is
assigned to, and the bureau. Decision: administrators manage accounts, not enterprise content,
so they do not open evidence (the issue names provider and bureau only). Only the enterprise's
staff attach or delete, and only while the assessment is open (draft or returned).
"""

from __future__ import annotations

from assessments import filling
from db import audit
from db.assessments import OPEN_STATUSES, ReadOnly
from db.connection import now, write_txn
from db.enterprises import visible_enterprise_filter
from db.identity import AccessDenied, Identity, NotFound
from db.users import ensure_live
from evidence import storage
from evidence.content import check_upload

EVIDENCE_ROLES = ("enterprise", "provider", "bureau")
MAX_FILES_PER_ITEM = 10


def _assessment(db, identity: Identity, assessment_id: int) -> dict:
    """The assessment if the identity may see its evidence; NotFound otherwise (no hint that it exists)."""
    if identity is None or identity.role not in EVIDENCE_ROLES:
        raise NotFound(f"assessment {assessment_id}")
    where, params = visible_enterprise_filter(identity)
    row = next(db.query(f"SELECT a.* FROM assessments a JOIN enterprises e ON e.id = a.enterprise_id "
                        f"WHERE a.id = ? AND {where}", [assessment_id, *params]), None)
    if row is None:
        raise NotFound(f"assessment {assessment_id}")
    return row


def _writable(db, identity: Identity, assessment_id: int) -> dict:
    row = _assessment(db, identity, assessment_id)
    if identity.role != "enterprise" or row["enterprise_id"] != identity.enterprise_id:
        raise AccessDenied("only the enterprise's own staff attach evidence")
    if row["status"] not in OPEN_STATUSES:
        raise ReadOnly(f"assessment {assessment_id} is {row['status']}")
    return row


_COLUMNS = ("f.id, f.assessment_id, f.item_id, f.sha256, f.size, f.kind, f.mime, f.filename, f.uploaded_at, "
            "u.display_name AS uploaded_by_name")


def evidence_for_item(db, identity: Identity, assessment_id: int, item_id: str) -> list[dict]:
    """The files attached to one item, oldest first; NotFound if the identity may not see them."""
    _assessment(db, identity, assessment_id)
    return list(db.query(f"SELECT {_COLUMNS} FROM evidence_files f LEFT JOIN users u ON u.id = f.uploaded_by "
                         "WHERE f.assessment_id = ? AND f.item_id = ? ORDER BY f.id", [assessment_id, item_id]))


def evidence_for_assessment(db, identity: Identity, assessment_id: int) -> dict[str, list[dict]]:
    """Every attached file of an assessment, per item id."""
    _assessment(db, identity, assessment_id)
    out: dict[str, list[dict]] = {}
    for row in db.query(f"SELECT {_COLUMNS} FROM evidence_files f LEFT JOIN users u ON u.id = f.uploaded_by "
                        "WHERE f.assessment_id = ? ORDER BY f.id", [assessment_id]):
        out.setdefault(row["item_id"], []).append(row)
    return out


def _file_row(db, identity: Identity, evidence_id: int) -> dict:
    row = next(db.query("SELECT * FROM evidence_files WHERE id = ?", [evidence_id]), None)
    if row is None:
        raise NotFound(f"evidence {evidence_id}")
    try:
        _assessment(db, identity, row["assessment_id"])
    except NotFound:
        raise NotFound(f"evidence {evidence_id}") from None
    return row


def open_evidence(db, identity: Identity, evidence_id: int) -> tuple[dict, bytes]:
    """(metadata, bytes) of one file the identity may open; NotFound for anyone else."""
    row = _file_row(db, identity, evidence_id)
    return row, storage.load(row["sha256"])


def attach(db, identity: Identity, assessment_id: int, item_id: str, filename: str, data: bytes) -> int:
    """Check and store one uploaded file for an item of an open assessment; returns the new evidence id.

    Raises EvidenceRefused (too large, wrong type by content, bad name: nothing stored),
    NotFound, AccessDenied, ReadOnly, SessionEnded. Audited.
    """
    checked = check_upload(filename, data)  # before any write: a refused file leaves no trace
    sha = storage.digest(data)
    with write_txn(db):
        ensure_live(db, identity)
        row = _writable(db, identity, assessment_id)
        if item_id not in filling.questionnaire_of(row).questions:
            raise NotFound(f"item {item_id}")
        count = db.execute("SELECT count(*) FROM evidence_files WHERE assessment_id = ? AND item_id = ?",
                           [assessment_id, item_id]).fetchone()[0]
        if count >= MAX_FILES_PER_ITEM:
            from evidence.content import EvidenceRefused
            from questionnaires.model import Text

            raise EvidenceRefused(Text(f"每题最多上传 {MAX_FILES_PER_ITEM} 个证明材料，请先删除不需要的文件。",
                                       f"At most {MAX_FILES_PER_ITEM} files per item; delete one first."))
        new_id = db.execute(
            "INSERT INTO evidence_files (assessment_id, item_id, sha256, size, kind, mime, filename, uploaded_by, "
            "uploaded_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
            [assessment_id, item_id, sha, len(data), checked.kind, checked.mime, checked.name,
             identity.user_id, now()]).fetchall()[0][0]
        audit.record(db, identity, "attach_evidence", "assessment", assessment_id,
                     new={"item": item_id, "file": checked.name, "size": len(data), "sha256": sha})
        # Written last, inside the transaction: if it fails, the row is rolled back too.
        storage.store(data)
    return new_id


def delete_evidence(db, identity: Identity, evidence_id: int) -> None:
    """Remove one attachment of an open assessment (enterprise staff only); audited. The bytes go
    when no other attachment shares them."""
    with write_txn(db):
        ensure_live(db, identity)
        row = _file_row(db, identity, evidence_id)
        _writable(db, identity, row["assessment_id"])
        db.execute("DELETE FROM evidence_files WHERE id = ?", [evidence_id])
        audit.record(db, identity, "delete_evidence", "assessment", row["assessment_id"],
                     old={"item": row["item_id"], "file": row["filename"], "size": row["size"],
                          "sha256": row["sha256"]})
        # Inside the transaction: a concurrent upload of the same bytes waits for the write lock.
        if db.execute("SELECT 1 FROM evidence_files WHERE sha256 = ?", [row["sha256"]]).fetchone() is None:
            storage.remove(row["sha256"])


def sweep_orphans(db) -> int:
    """Remove stored files no attachment refers to (e.g. of deleted drafts); returns how many.

    Inside a write transaction: an upload stores its bytes inside its own, so no file is taken
    away between being stored and its row being committed (``manage.py sweep-evidence``)."""
    root = storage.evidence_dir()
    if not root.exists():
        return 0
    removed = 0
    with write_txn(db):
        referenced = {r[0] for r in db.execute("SELECT DISTINCT sha256 FROM evidence_files").fetchall()}
        for path in root.glob("??/*"):
            sha = path.parent.name + path.name
            if len(sha) == 64 and sha not in referenced:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
