"""Provider review of submitted assessments: rounds, item decisions, return for revision, verification.

Every function takes the signed-in identity and filters by it (db.enterprises.visible_enterprise_filter):
a provider reads and acts on its assigned enterprises only, the bureau and admins read all, an
enterprise reads the review of its own assessments. Only providers act.

One review round per submission (``assessments.round_no``). Every write to a round carries the
revision the reviewer last saw (``expected_rev``, 0 = no round yet); a colleague's save in between
makes it fail with ReviewConflict and nothing is written (optimistic locking). Every action is
audited inside the same transaction, after the session check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from db import audit
from db.assessments import _answers, _visible, split_answers, store_result
from db.connection import now, write_txn
from db.enterprises import visible_enterprise_filter
from db.identity import AccessDenied, Identity
from db.users import ensure_live

ACTIONS = ("confirm", "adjust")
MAX_REASON = 500
MAX_COMMENT = 1000


class ReviewConflict(Exception):
    """Someone saved this review since the reviewer loaded it; nothing was written."""

    def __init__(self, current_rev: int):
        super().__init__(f"review changed meanwhile (now revision {current_rev})")
        self.current_rev = current_rev


class ReviewRefused(Exception):
    """The action is not possible in the assessment's state; ``key`` names the i18n message."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class ReviewState:
    """The review of the assessment's current round: the round row (None before the first save) and its items."""

    assessment: dict
    round: dict | None
    items: dict[str, dict] = field(default_factory=dict)

    @property
    def rev(self) -> int:
        return self.round["rev"] if self.round else 0

    def adjustments(self) -> dict[str, Any]:
        """Item id -> verified value, for every item the reviewer adjusted."""
        return {k: v["verified_value"] for k, v in self.items.items() if v["action"] == "adjust"}


def _decode(row: dict) -> dict:
    row["verified_value"] = None if row.get("verified_value") is None else json.loads(row["verified_value"])
    return row


def _round_row(db, assessment_id: int, round_no: int) -> dict | None:
    return next(db.query(
        "SELECT r.*, u.display_name AS reviewer_name FROM review_rounds r LEFT JOIN users u ON u.id = r.reviewer_id "
        "WHERE r.assessment_id = ? AND r.round_no = ?", [assessment_id, round_no]), None)


def _items(db, round_id: int) -> dict[str, dict]:
    return {r["item_id"]: _decode(r) for r in db.query(
        "SELECT i.*, u.display_name AS reviewer_name FROM review_items i LEFT JOIN users u ON u.id = i.reviewer_id "
        "WHERE i.round_id = ? ORDER BY i.item_id", [round_id])}


def review_state(db, identity: Identity, assessment_id: int) -> ReviewState:
    """The current round's review of an assessment the identity may see (NotFound otherwise)."""
    row = _visible(db, identity, assessment_id)
    rnd = _round_row(db, assessment_id, row["round_no"] or 1)
    return ReviewState(row, rnd, _items(db, rnd["id"]) if rnd else {})


def rounds(db, identity: Identity, assessment_id: int) -> list[dict]:
    """Every review round of an assessment the identity may see, oldest first, each with its ``items``."""
    _visible(db, identity, assessment_id)
    found = list(db.query(
        "SELECT r.*, u.display_name AS reviewer_name FROM review_rounds r LEFT JOIN users u ON u.id = r.reviewer_id "
        "WHERE r.assessment_id = ? ORDER BY r.round_no", [assessment_id]))
    for r in found:
        r["items"] = _items(db, r["id"])
    return found


def last_closed_round(db, identity: Identity, assessment_id: int) -> dict | None:
    """The round that settled the assessment's present state (with ``items``): what the enterprise is told.

    That is the current round once it is returned or verified; after a resubmission the earlier
    round's requests are done with, and None is returned until the provider acts again.
    """
    row = _visible(db, identity, assessment_id)
    rnd = _round_row(db, assessment_id, row["round_no"] or 1)
    if rnd is None or rnd["status"] not in ("returned", "verified"):
        return None
    rnd["items"] = _items(db, rnd["id"])
    return rnd


def _reviewable(db, identity: Identity, assessment_id: int) -> dict:
    row = _visible(db, identity, assessment_id)  # a provider sees only assigned enterprises
    if identity.role != "provider":
        raise AccessDenied("only the assigned service provider reviews assessments")
    if row["status"] != "submitted":
        raise ReviewRefused("rv_not_awaiting")
    return row


def _lock(db, identity: Identity, row: dict, expected_rev: int) -> dict:
    """The current round, created if new, after checking and bumping its revision (inside the transaction)."""
    round_no = row["round_no"] or 1
    rnd = _round_row(db, row["id"], round_no)
    current = rnd["rev"] if rnd else 0
    if current != expected_rev:
        raise ReviewConflict(current)
    t = now()
    if rnd is None:
        db.execute("INSERT INTO review_rounds (assessment_id, round_no, status, opened_at, reviewer_id, rev) "
                   "VALUES (?,?,?,?,?,0)", [row["id"], round_no, "open", t, identity.user_id])
        rnd = _round_row(db, row["id"], round_no)
        audit.record(db, identity, "review_open", "assessment", row["id"], new={"round": round_no})
    cur = db.execute("UPDATE review_rounds SET rev = rev + 1, reviewer_id = ? WHERE id = ? AND rev = ?",
                     [identity.user_id, rnd["id"], current])
    if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; kept as a guard
        raise ReviewConflict(current)
    rnd["rev"] = current + 1
    return rnd


def _clean(text: str | None, limit: int, what: str) -> str | None:
    text = " ".join(str(text).split()) if text is not None else ""
    if len(text) > limit:
        raise ValueError(f"{what} longer than {limit} characters")
    return text or None


def save_item(db, identity: Identity, assessment_id: int, item_id: str, *, action: str | None,
              verified_value: Any = None, reason: str | None = None, comment: str | None = None,
              expected_rev: int) -> int:
    """Record the reviewer's decision on one item: confirm, adjust (value + mandatory reason) or only comment.

    The caller has checked that ``verified_value`` fits the question (review/verification.py). Returns the
    round's new revision; raises ReviewConflict when the round changed since ``expected_rev``.
    """
    if action not in (None, *ACTIONS):
        raise ValueError(f"unknown review action {action!r}")
    reason = _clean(reason, MAX_REASON, "reason")
    comment = _clean(comment, MAX_COMMENT, "comment")
    if action == "adjust" and not reason:
        raise ReviewRefused("rv_reason_needed")
    if action != "adjust":
        verified_value, reason = None, None
    with write_txn(db):
        ensure_live(db, identity)
        row = _reviewable(db, identity, assessment_id)
        rnd = _lock(db, identity, row, expected_rev)
        old = _items(db, rnd["id"]).get(item_id)
        new = {"action": action, "verified_value": verified_value, "reason": reason, "comment": comment}
        db.execute(
            "INSERT INTO review_items (round_id, item_id, action, verified_value, reason, comment, revisit, "
            "reviewer_id, at) VALUES (?,?,?,?,?,?,0,?,?) ON CONFLICT (round_id, item_id) DO UPDATE SET "
            "action = excluded.action, verified_value = excluded.verified_value, reason = excluded.reason, "
            "comment = excluded.comment, reviewer_id = excluded.reviewer_id, at = excluded.at",
            [rnd["id"], item_id, action, None if verified_value is None else json.dumps(verified_value,
                                                                                         ensure_ascii=False),
             reason, comment, identity.user_id, now()])
        audit.record(db, identity, "review_item", "assessment", assessment_id,
                     old=None if old is None else {k: old[k] for k in new},
                     new={"item": item_id, "round": rnd["round_no"], **new}, reason=reason)
        return rnd["rev"]


def save_overall_comment(db, identity: Identity, assessment_id: int, comment: str | None, *,
                         expected_rev: int) -> int:
    """The reviewer's overall comment on the current round (audited); returns the new revision."""
    comment = _clean(comment, MAX_COMMENT, "comment")
    with write_txn(db):
        ensure_live(db, identity)
        row = _reviewable(db, identity, assessment_id)
        rnd = _lock(db, identity, row, expected_rev)
        db.execute("UPDATE review_rounds SET overall_comment = ? WHERE id = ?", [comment, rnd["id"]])
        audit.record(db, identity, "review_comment", "assessment", assessment_id,
                     old={"comment": rnd.get("overall_comment")}, new={"round": rnd["round_no"], "comment": comment})
        return rnd["rev"]


def return_for_revision(db, identity: Identity, assessment_id: int, revisit: list[str], *,
                        overall_comment: str | None, expected_rev: int) -> None:
    """Send the assessment back to the enterprise, naming the items to revisit (at least one).

    The round is closed as 'returned' and kept; the assessment becomes 'returned' (open for
    editing again). Refused while the enterprise has another open assessment of the same
    questionnaire (only one may be open at a time).
    """
    revisit = sorted(set(revisit))
    if not revisit:
        raise ReviewRefused("rv_revisit_needed")
    comment = _clean(overall_comment, MAX_COMMENT, "comment")
    with write_txn(db):
        ensure_live(db, identity)
        row = _reviewable(db, identity, assessment_id)
        other = db.execute("SELECT 1 FROM assessments WHERE enterprise_id = ? AND questionnaire_id = ? AND id != ? "
                           "AND status IN ('draft', 'returned')",
                           [row["enterprise_id"], row["questionnaire_id"], assessment_id]).fetchone()
        if other:
            raise ReviewRefused("rv_other_open")
        rnd = _lock(db, identity, row, expected_rev)
        t = now()
        for item in revisit:
            db.execute("INSERT INTO review_items (round_id, item_id, revisit, reviewer_id, at) VALUES (?,?,1,?,?) "
                       "ON CONFLICT (round_id, item_id) DO UPDATE SET revisit = 1",
                       [rnd["id"], item, identity.user_id, t])
        db.execute("UPDATE review_rounds SET status = 'returned', closed_at = ?, overall_comment = ? WHERE id = ?",
                   [t, comment, rnd["id"]])
        db.execute("UPDATE assessments SET status = 'returned', returned_at = ?, updated_at = ? WHERE id = ?",
                   [t, t, assessment_id])
        audit.record(db, identity, "return", "assessment", assessment_id, old={"status": "submitted"},
                     new={"status": "returned", "round": rnd["round_no"], "revisit": revisit}, reason=comment)


Compute = Callable[[dict[str, Any], dict[str, str], dict[str, Any]], dict]


def verify(db, identity: Identity, assessment_id: int, compute: Compute, *, overall_comment: str | None,
           expected_rev: int) -> dict:
    """Settle the assessment: store the verified result beside the self result and lock the assessment.

    ``compute(answers, na, adjustments)`` scores the enterprise's answers with the verified values
    substituted. Items the reviewer did not adjust count as confirmed as answered. Returns the
    stored verified result row.
    """
    comment = _clean(overall_comment, MAX_COMMENT, "comment")
    with write_txn(db):
        ensure_live(db, identity)
        row = _reviewable(db, identity, assessment_id)
        rnd = _lock(db, identity, row, expected_rev)
        state = ReviewState(row, rnd, _items(db, rnd["id"]))
        answers, na = split_answers(_answers(db, assessment_id))
        result = compute(answers, na, state.adjustments())
        t = now()
        stored = store_result(db, assessment_id, "verified", row["questionnaire_id"], row["questionnaire_version"],
                              result)
        db.execute("UPDATE review_rounds SET status = 'verified', closed_at = ?, overall_comment = ? WHERE id = ?",
                   [t, comment, rnd["id"]])
        db.execute("UPDATE assessments SET status = 'verified', verified_at = ?, updated_at = ? WHERE id = ?",
                   [t, t, assessment_id])
        audit.record(db, identity, "verify", "assessment", assessment_id, old={"status": "submitted"},
                     new={"status": "verified", "round": rnd["round_no"], "score": result.get("score"),
                          "level": result.get("level"), "outcome": result.get("outcome"),
                          "adjusted": sorted(state.adjustments())}, reason=comment)
        return stored


# --- queue and overview -------------------------------------------------------------------------

REVIEW_STATUSES = ("submitted", "returned", "verified")


def queue(db, identity: Identity, statuses=("submitted",), district: str | None = None,
          industry_code: str | None = None, submitted_before: str | None = None) -> list[dict]:
    """Submitted (and, when asked, returned or verified) assessments the identity may see, oldest first.

    ``submitted_before`` (UTC text) keeps those waiting since before that moment.
    """
    where, params = visible_enterprise_filter(identity)
    statuses = [s for s in statuses if s in REVIEW_STATUSES] or ["submitted"]
    sql = ("SELECT a.id, a.status, a.questionnaire_id, a.questionnaire_version, a.submitted_at, a.returned_at, "
           "a.verified_at, a.round_no, e.id AS enterprise_id, e.name AS enterprise_name, e.district, "
           "e.industry_code, s.score, s.level, s.outcome, v.score AS verified_score, v.level AS verified_level "
           "FROM assessments a JOIN enterprises e ON e.id = a.enterprise_id "
           "LEFT JOIN results s ON s.assessment_id = a.id AND s.kind = 'self' AND s.is_current = 1 "
           "LEFT JOIN results v ON v.assessment_id = a.id AND v.kind = 'verified' AND v.is_current = 1 "
           f"WHERE {where} AND a.status IN ({', '.join('?' * len(statuses))})")
    params = [*params, *statuses]
    if district:
        sql, params = sql + " AND e.district = ?", [*params, district]
    if industry_code:
        sql, params = sql + " AND e.industry_code = ?", [*params, industry_code]
    if submitted_before:
        sql, params = sql + " AND a.submitted_at <= ?", [*params, submitted_before]
    return list(db.query(sql + " ORDER BY a.submitted_at, a.id", params))


def self_and_verified(db, identity: Identity) -> list[dict]:
    """Verified assessments the identity may see with both current results' details decoded."""
    where, params = visible_enterprise_filter(identity)
    rows = list(db.query(
        "SELECT a.id, a.questionnaire_id, a.questionnaire_version, s.detail AS self_detail, "
        "v.detail AS verified_detail FROM assessments a JOIN enterprises e ON e.id = a.enterprise_id "
        "JOIN results s ON s.assessment_id = a.id AND s.kind = 'self' AND s.is_current = 1 "
        "JOIN results v ON v.assessment_id = a.id AND v.kind = 'verified' AND v.is_current = 1 "
        f"WHERE {where} AND a.status = 'verified' ORDER BY a.id", params))
    for r in rows:
        r["self_detail"], r["verified_detail"] = json.loads(r["self_detail"]), json.loads(r["verified_detail"])
    return rows


def status_counts(db, identity: Identity) -> dict[str, int]:
    """Number of assessments per status among those the identity may see."""
    where, params = visible_enterprise_filter(identity)
    return {r["status"]: r["n"] for r in db.query(
        "SELECT a.status, count(*) AS n FROM assessments a JOIN enterprises e ON e.id = a.enterprise_id "
        f"WHERE {where} GROUP BY a.status", params)}
