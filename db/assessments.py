"""Assessments and their answers: item-by-item writes with per-item revisions.

Every function takes the signed-in identity and filters by it: an enterprise user reaches
only its own enterprise's assessments, a provider only its assigned enterprises'. Answers
are written one item at a time with the revision the writer last saw; if a colleague has
changed the item since, the write is refused as a conflict instead of overwriting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db import audit
from db.connection import now, write_txn
from db.enterprises import require_complete_profile, visible_enterprise_filter
from db.identity import AccessDenied, Identity, NotFound
from db.stats import refresh_current, refresh_current_many, retire_current, retire_current_many
from db.users import ensure_live
from questionnaires.compiled import layout_for

OPEN_STATUSES = ("draft", "returned")
STATUSES = ("draft", "submitted", "returned", "verified")


@dataclass(frozen=True)
class StoredAnswer:
    item_id: str
    value: Any  # None when cleared or not applicable
    na_reason: str | None
    rev: int
    updated_by: str | None
    updated_at: str


@dataclass(frozen=True)
class SaveOutcome:
    status: str  # "saved", "unchanged", "conflict", "invalid"
    answer: StoredAnswer | None = None
    message: str | None = None


class ReadOnly(Exception):
    """The assessment is submitted or verified and cannot be changed."""


class UnconfirmedSections(Exception):
    """Submission refused: these pre-filled sections (ids, in questionnaire order) are not yet confirmed."""

    def __init__(self, section_ids: list[str]):
        super().__init__("unconfirmed pre-filled sections: " + ", ".join(section_ids))
        self.section_ids = section_ids


class Incomplete(Exception):
    """Submission refused: required items are missing or a check fails."""

    def __init__(self, problems: list):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _visible(db, identity: Identity, assessment_id: int) -> dict:
    where, params = visible_enterprise_filter(identity)
    row = next(db.query(
        f"SELECT a.*, e.name AS enterprise_name FROM assessments a JOIN enterprises e ON e.id = a.enterprise_id "
        f"WHERE a.id = ? AND {where}", [assessment_id, *params]), None)
    if row is None:
        raise NotFound(f"assessment {assessment_id}")
    return row


def get_assessment(db, identity: Identity, assessment_id: int) -> dict:
    """One assessment the identity may see; NotFound otherwise (no hint that it exists)."""
    return _visible(db, identity, assessment_id)


def _writable(db, identity: Identity, assessment_id: int) -> dict:
    row = _visible(db, identity, assessment_id)
    if identity.role != "enterprise" or row["enterprise_id"] != identity.enterprise_id:
        raise AccessDenied("only the enterprise's own staff fill in its assessments")
    if row["status"] not in OPEN_STATUSES:
        raise ReadOnly(f"assessment {assessment_id} is {row['status']}")
    return row


def list_assessments(db, identity: Identity, questionnaire_id: str | None = None) -> list[dict]:
    """Assessments the identity may see, newest first, with the current self result summary."""
    where, params = visible_enterprise_filter(identity)
    extra = ""
    if questionnaire_id:
        extra, params = " AND a.questionnaire_id = ?", [*params, questionnaire_id]
    return list(db.query(
        "SELECT a.*, e.name AS enterprise_name, "
        "(SELECT count(*) FROM answers x WHERE x.assessment_id = a.id "
        " AND (x.value IS NOT NULL OR x.na_reason IS NOT NULL)) AS answered, "
        "r.score, r.level, r.outcome, r.scoring_version "
        "FROM assessments a JOIN enterprises e ON e.id = a.enterprise_id "
        "LEFT JOIN results r ON r.assessment_id = a.id AND r.kind = 'self' AND r.is_current = 1 "
        f"WHERE {where}{extra} ORDER BY a.id DESC", params))


def start_assessment(db, identity: Identity, questionnaire_id: str, questionnaire_version: str) -> tuple[int, bool]:
    """Open assessment of this questionnaire for the user's enterprise: the existing one, or a new one.

    Returns (assessment id, created). Idempotent: a double click or two colleagues at once
    get the same open assessment (a partial unique index backs this up). A new one needs a
    complete company profile (raises db.enterprises.ProfileIncomplete otherwise).
    """
    with write_txn(db):
        existing = _open_or_allowed_to_start(db, identity, questionnaire_id)
        if existing:
            return existing, False
        return _insert_draft(db, identity, questionnaire_id, questionnaire_version), True


def _open_or_allowed_to_start(db, identity: Identity, questionnaire_id: str) -> int | None:
    """Inside a start's write transaction: the open assessment to return, or None once a new one may
    be created (an enterprise user, a live session, a complete profile)."""
    if identity.role != "enterprise" or not identity.enterprise_id:
        raise AccessDenied("only enterprise users start assessments")
    ensure_live(db, identity)
    existing = _open_assessment(db, identity.enterprise_id, questionnaire_id)
    if existing is None:
        require_complete_profile(db, identity.enterprise_id)
    return existing


def _open_assessment(db, enterprise_id: int, questionnaire_id: str) -> int | None:
    row = db.execute(
        "SELECT id FROM assessments WHERE enterprise_id = ? AND questionnaire_id = ? AND status IN ('draft','returned')",
        [enterprise_id, questionnaire_id]).fetchone()
    return row[0] if row else None


def _insert_draft(db, identity: Identity, questionnaire_id: str, questionnaire_version: str,
                  prefilled_from: int | None = None) -> int:
    t = now()
    cur = db.execute(
        "INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, created_by, "
        "created_at, updated_at, prefilled_from) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
        [identity.enterprise_id, questionnaire_id, questionnaire_version, "draft", identity.user_id, t, t,
         prefilled_from])
    new_id = cur.fetchall()[0][0]
    new = {"questionnaire": questionnaire_id, "version": questionnaire_version}
    if prefilled_from is not None:
        new["prefilled_from"] = prefilled_from
    audit.record(db, identity, "start", "assessment", new_id, new=new)
    return new_id


def _answer(row) -> StoredAnswer:
    return StoredAnswer(row["item_id"], None if row["value"] is None else json.loads(row["value"]),
                        row["na_reason"], row["rev"], row["updated_by_name"], row["updated_at"])


def _answers(db, assessment_id: int, item_id: str | None = None) -> dict[str, StoredAnswer]:
    only = " AND x.item_id = ?" if item_id is not None else ""
    return {r["item_id"]: _answer(r) for r in db.query(
        "SELECT x.*, u.display_name AS updated_by_name FROM answers x LEFT JOIN users u ON u.id = x.updated_by "
        f"WHERE x.assessment_id = ?{only}", [assessment_id] + ([item_id] if item_id is not None else []))}


def load_answers(db, identity: Identity, assessment_id: int) -> dict[str, StoredAnswer]:
    """Every stored item of an assessment the identity may see."""
    _visible(db, identity, assessment_id)
    return _answers(db, assessment_id)


def split_answers(stored: dict[str, StoredAnswer]) -> tuple[dict[str, Any], dict[str, str]]:
    """(answers, not-applicable reasons) in the shape scoring and relevance take."""
    answers = {k: a.value for k, a in stored.items() if a.value is not None and a.na_reason is None}
    na = {k: a.na_reason for k, a in stored.items() if a.na_reason is not None}
    return answers, na


Validator = Callable[[dict[str, Any], dict[str, str]], "str | None"]


def save_answer(db, identity: Identity, assessment_id: int, item_id: str, value: Any, *,
                expected_rev: int, na_reason: str | None = None, validate: Validator | None = None) -> SaveOutcome:
    """Write one item (value, or not-applicable with a reason) if nobody changed it since ``expected_rev``.

    ``expected_rev`` is the revision the writer saw (0 = no stored row). ``validate`` is
    called inside the transaction with the answers as they would be after the write and
    returns an error message to refuse it; a refused write changes nothing.
    """
    with write_txn(db, assessment=assessment_id):
        ensure_live(db, identity)
        _writable(db, identity, assessment_id)
        # The whole assessment is read only when a consistency check needs it: inside the write lock
        # every row read is time other writers wait (bench/bench_writers.py).
        current = _answers(db, assessment_id) if validate is not None else _answers(db, assessment_id, item_id)
        existing = current.get(item_id)
        rev = existing.rev if existing else 0
        if existing and existing.value == value and existing.na_reason == na_reason:
            return SaveOutcome("unchanged", existing)
        if rev != expected_rev:
            return SaveOutcome("conflict", existing)
        if validate is not None:
            answers, na = split_answers(current)
            answers.pop(item_id, None)
            na.pop(item_id, None)
            if na_reason is not None:
                na[item_id] = na_reason
            elif value is not None:
                answers[item_id] = value
            problem = validate(answers, na)
            if problem:
                return SaveOutcome("invalid", existing, problem)
        t = now()
        db.execute(
            "INSERT INTO answers (assessment_id, item_id, value, na_reason, rev, updated_by, updated_at) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT (assessment_id, item_id) DO UPDATE SET value = excluded.value, "
            "na_reason = excluded.na_reason, rev = excluded.rev, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at",
            [assessment_id, item_id, None if value is None else json.dumps(value, ensure_ascii=False),
             na_reason, rev + 1, identity.user_id, t])
        db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [t, assessment_id])
        saved = StoredAnswer(item_id, value, na_reason, rev + 1, identity.display_name, t)
        return SaveOutcome("saved", saved)


def answers_for_scoring(db, assessment_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """(answers, not-applicable reasons) of one assessment, for maintenance commands run without a user."""
    return split_answers(_answers(db, assessment_id))


def current_result_row(db, assessment_id: int, kind: str = "self") -> dict | None:
    """The current result of one kind, detail decoded (no identity check: callers have done it)."""
    row = next(db.query("SELECT * FROM results WHERE assessment_id = ? AND kind = ? AND is_current = 1",
                        [assessment_id, kind]), None)
    if row:
        row["detail"] = json.loads(row["detail"])
    return row


def current_result(db, identity: Identity, assessment_id: int, kind: str = "self") -> dict | None:
    """The current stored result of an assessment the identity may see."""
    _visible(db, identity, assessment_id)
    return current_result_row(db, assessment_id, kind)


def submit(db, identity: Identity, assessment_id: int,
           compute: Callable[[dict[str, Any], dict[str, str]], dict],
           relevant_sections: Callable[[dict[str, Any], dict[str, str]], set[str]] | None = None) -> tuple[dict, bool]:
    """Submit an open assessment and store its self result, once.

    ``compute(answers, na)`` returns the result (see scoring.py) or raises Incomplete.
    Returns (current self result, created). A second submit, from a double click or
    another tab, finds the assessment already submitted and returns the stored result.
    Refused with UnconfirmedSections while a pre-filled section (among ``relevant_sections``
    of the answers, when given) is not confirmed.
    """
    with write_txn(db):
        ensure_live(db, identity)
        row = _visible(db, identity, assessment_id)
        if identity.role != "enterprise" or row["enterprise_id"] != identity.enterprise_id:
            raise AccessDenied("only the enterprise's own staff submit its assessments")
        if row["status"] not in OPEN_STATUSES:
            return current_result_row(db, assessment_id), False
        answers, na = split_answers(_answers(db, assessment_id))
        pending = unconfirmed_sections(db, assessment_id)
        if pending and relevant_sections is not None:
            shown = relevant_sections(answers, na)
            pending = [s for s in pending if s in shown]
        if pending:
            raise UnconfirmedSections(pending)
        result = compute(answers, na)
        t = now()
        # A returned assessment submitted again opens the next round; the earlier self result stays on record.
        round_no = (row.get("round_no") or 1) + (1 if row["status"] == "returned" else 0)
        db.execute("UPDATE assessments SET status = 'submitted', submitted_at = ?, submitted_by = ?, updated_at = ?, "
                   "round_no = ?, submitted_answers = ? WHERE id = ?",
                   [t, identity.user_id, t, round_no,
                    snapshot_text(row["questionnaire_id"], row["questionnaire_version"], answers, na), assessment_id])
        stored = store_result(db, assessment_id, "self", row["questionnaire_id"], row["questionnaire_version"], result)
        audit.record(db, identity, "resubmit" if row["status"] == "returned" else "submit", "assessment",
                     assessment_id, old={"status": row["status"]},
                     new={"status": "submitted", "round": round_no, "score": result.get("score"),
                          "level": result.get("level"), "outcome": result.get("outcome"),
                          "scoring_version": result["scoring_version"]})
        return stored, True


def store_result(db, assessment_id: int, kind: str, questionnaire_id: str, questionnaire_version: str,
                 result: dict) -> dict:
    """Insert a result as the current one of its kind (inside the caller's transaction).

    Earlier results stay on record, no longer current. Re-storing the same scoring
    version in the same submission round replaces that row (a re-score); results of
    earlier rounds (before a return for revision) are never replaced.
    """
    t = now()
    owner = db.execute("SELECT enterprise_id, round_no FROM assessments WHERE id = ?", [assessment_id]).fetchone()
    round_no = owner[1] or 1
    retire_current(db, owner[0], questionnaire_id)
    db.execute("UPDATE results SET is_current = 0 WHERE assessment_id = ? AND kind = ?", [assessment_id, kind])
    replaced = [assessment_id, kind, result["scoring_version"], round_no]
    db.execute("DELETE FROM result_subdomains WHERE result_id IN (SELECT id FROM results WHERE assessment_id = ? "
               "AND kind = ? AND scoring_version = ? AND round_no = ?)", replaced)
    db.execute("DELETE FROM results WHERE assessment_id = ? AND kind = ? AND scoring_version = ? AND round_no = ?",
               replaced)
    outcome = result.get("outcome")
    cur = db.execute(
        "INSERT INTO results (assessment_id, kind, questionnaire_id, questionnaire_version, scoring_method, "
        "scoring_version, computed_at, is_current, score, level, outcome, detail, round_no) "
        "VALUES (?,?,?,?,?,?,?,1,?,?,?,?,?) RETURNING id",
        [assessment_id, kind, questionnaire_id, questionnaire_version, result["method"], result["scoring_version"],
         t, result.get("score"), result.get("level"), None if outcome is None else int(outcome),
         json.dumps(result, ensure_ascii=False), round_no])
    result_id = cur.fetchall()[0][0]
    # Per-sub-domain scores, queryable for the bureau's city picture (weakest sub-domains).
    db.conn.executemany("INSERT INTO result_subdomains (result_id, subdomain, score) VALUES (?,?,?)",
                        [(result_id, sd, float(part["score"])) for sd, part in (result.get("subdomains") or {}).items()
                         if isinstance(part, dict) and part.get("score") is not None])
    refresh_current(db, owner[0], questionnaire_id)
    row = next(db.query("SELECT * FROM results WHERE id = ?", [result_id]))
    row["detail"] = result
    return row


# --- history and pre-filled re-assessment (issue 9 §5) ----------------------------------------

def last_submitted(db, identity: Identity, questionnaire_id: str) -> dict | None:
    """The enterprise's most recent submitted or verified assessment of this questionnaire, or None."""
    if identity.role != "enterprise" or not identity.enterprise_id:
        return None
    return next(db.query(
        "SELECT * FROM assessments WHERE enterprise_id = ? AND questionnaire_id = ? "
        "AND status IN ('submitted', 'verified') ORDER BY submitted_at DESC, id DESC LIMIT 1",
        [identity.enterprise_id, questionnaire_id]), None)


def start_prefilled(db, identity: Identity, questionnaire_id: str, questionnaire_version: str,
                    section_of: Callable[[str], str | None]) -> tuple[int, bool]:
    """Start a new assessment with the answers of the last submitted one of the same questionnaire.

    In one transaction: the new draft, a copy of every answer whose item ``section_of`` places
    in a section of the new version (others are dropped), one row per pre-filled section that
    waits for "确认本节", and the audit entries. An open assessment is returned as it is;
    without an earlier submission the new assessment starts empty. Returns (id, created).
    """
    with write_txn(db):
        existing = _open_or_allowed_to_start(db, identity, questionnaire_id)
        if existing:
            return existing, False
        source = last_submitted(db, identity, questionnaire_id)
        if source is None:
            return _insert_draft(db, identity, questionnaire_id, questionnaire_version), True
        aid = _insert_draft(db, identity, questionnaire_id, questionnaire_version, prefilled_from=source["id"])
        t = now()
        per_section: dict[str, int] = {}
        for row in db.query("SELECT item_id, value, na_reason FROM answers WHERE assessment_id = ? ORDER BY item_id",
                            [source["id"]]):
            section = section_of(row["item_id"])
            if section is None or (row["value"] is None and row["na_reason"] is None):
                continue
            db.execute("INSERT INTO answers (assessment_id, item_id, value, na_reason, rev, updated_by, updated_at) "
                       "VALUES (?,?,?,?,1,?,?)", [aid, row["item_id"], row["value"], row["na_reason"],
                                                  identity.user_id, t])
            per_section[section] = per_section.get(section, 0) + 1
        for section, items in per_section.items():
            db.execute("INSERT INTO prefill_sections (assessment_id, section_id, source_assessment_id, items) "
                       "VALUES (?,?,?,?)", [aid, section, source["id"], items])
        audit.record(db, identity, "prefill", "assessment", aid,
                     new={"from": source["id"], "items": sum(per_section.values()), "sections": sorted(per_section)})
        return aid, True


def prefill_state(db, identity: Identity, assessment_id: int) -> dict[str, dict]:
    """Pre-filled sections of an assessment the identity may see: section id -> row (confirmed_at, by, items)."""
    _visible(db, identity, assessment_id)
    return {r["section_id"]: r for r in db.query(
        "SELECT p.*, u.display_name AS confirmed_by_name FROM prefill_sections p "
        "LEFT JOIN users u ON u.id = p.confirmed_by WHERE p.assessment_id = ?", [assessment_id])}


def unconfirmed_sections(db, assessment_id: int) -> list[str]:
    """Pre-filled sections not yet confirmed (no identity check: callers have done it)."""
    return [r[0] for r in db.execute("SELECT section_id FROM prefill_sections WHERE assessment_id = ? "
                                     "AND confirmed_at IS NULL ORDER BY section_id", [assessment_id]).fetchall()]


def confirm_section(db, identity: Identity, assessment_id: int, section_id: str) -> bool:
    """Mark a pre-filled section as looked at and confirmed (audited). False if it was not pending."""
    with write_txn(db):
        ensure_live(db, identity)
        _writable(db, identity, assessment_id)
        cur = db.execute("UPDATE prefill_sections SET confirmed_at = ?, confirmed_by = ? WHERE assessment_id = ? "
                         "AND section_id = ? AND confirmed_at IS NULL",
                         [now(), identity.user_id, assessment_id, section_id])
        if cur.rowcount != 1:
            return False
        audit.record(db, identity, "confirm_section", "assessment", assessment_id, new={"section": section_id})
        return True


def delete_draft(db, identity: Identity, assessment_id: int) -> None:
    """Delete one of the enterprise's own drafts (never submitted) with its answers; audited.

    A returned assessment is not a draft: it has a submission on record and stays. Raises
    NotFound for an assessment the identity may not see, ReadOnly when it is not a draft.
    """
    with write_txn(db):
        ensure_live(db, identity)
        row = _visible(db, identity, assessment_id)
        if identity.role != "enterprise" or row["enterprise_id"] != identity.enterprise_id:
            raise AccessDenied("only the enterprise's own staff delete its drafts")
        if row["status"] != "draft":
            raise ReadOnly(f"assessment {assessment_id} is {row['status']}")
        answered = db.execute("SELECT count(*) FROM answers WHERE assessment_id = ?", [assessment_id]).fetchone()[0]
        db.execute("DELETE FROM answers WHERE assessment_id = ?", [assessment_id])
        db.execute("DELETE FROM results WHERE assessment_id = ?", [assessment_id])
        db.execute("DELETE FROM assessments WHERE id = ? AND status = 'draft'", [assessment_id])
        audit.record(db, identity, "delete_draft", "assessment", assessment_id,
                     old={"questionnaire": row["questionnaire_id"], "version": row["questionnaire_version"],
                          "answers": answered})


# -- batched maintenance access (re-scoring); no identity: only manage.py calls these --------------

def count_for_scoring(db, questionnaire_id: str | None = None) -> int:
    """How many submitted or verified assessments there are (of one questionnaire, or all)."""
    where, params = _scored_filter(questionnaire_id)
    return db.execute(f"SELECT count(*) FROM assessments a WHERE {where}", params).fetchone()[0]


def _scored_filter(questionnaire_id: str | None) -> tuple[str, list]:
    where, params = "a.status IN ('submitted', 'verified')", []
    if questionnaire_id:
        where, params = where + " AND a.questionnaire_id = ?", [questionnaire_id]
    return where, params


def scoring_batches(db, questionnaire_id: str | None = None, batch_size: int = 1000, after_id: int = 0,
                    last_id: int | None = None):
    """Submitted or verified assessments in id order, ``batch_size`` at a time (never all at once),
    optionally only those with ``after_id`` < id ≤ ``last_id``.

    Yields lists of dicts: id, questionnaire_id, questionnaire_version and the current self result's
    scoring_version, level, outcome and score (``old_*``, None without a result) — not the answers:
    fetch those with ``answers_for_scoring_many`` for the assessments that need them.
    """
    where, params = _scored_filter(questionnaire_id)
    # Walk the primary key: with ``questionnaire_id = ?`` SQLite would pick the questionnaire's index
    # and sort all of its assessments for every batch (0.3 s a batch at 150,000, quadratic in all);
    # ``|| ''`` keeps the same filter without that index, in SQLite's and PostgreSQL's syntax alike.
    where = where.replace("a.questionnaire_id = ?", "a.questionnaire_id || '' = ?")
    if last_id is not None:
        where, params = where + " AND a.id <= ?", [*params, last_id]
    last = after_id
    while True:
        rows = list(db.query(
            "SELECT a.id, a.questionnaire_id, a.questionnaire_version, r.scoring_version AS old_scoring_version, "
            "r.level AS old_level, r.outcome AS old_outcome, r.score AS old_score FROM assessments a "
            "LEFT JOIN results r ON r.assessment_id = a.id AND r.kind = 'self' AND r.is_current = 1 "
            f"WHERE {where} AND a.id > ? ORDER BY a.id LIMIT ?", [*params, last, batch_size]))
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def batch_id_ranges(db, questionnaire_id: str | None, batch_size: int) -> list[tuple[int, int | None]]:
    """(after_id, last_id) ranges that cut the scored assessments into batches of ``batch_size``
    (the last range open-ended: last_id None)."""
    where, params = _scored_filter(questionnaire_id)
    cuts = [row[0] for row in db.execute(
        f"SELECT id FROM (SELECT a.id, row_number() OVER (ORDER BY a.id) AS n FROM assessments a WHERE {where}) AS numbered "
        "WHERE n % ? = 0", [*params, batch_size])]
    starts = [0, *cuts]
    return list(zip(starts, [*cuts, None]))


def answers_for_scoring_many(db, assessment_ids: list[int]) -> dict[int, tuple[dict[str, Any], dict[str, str]]]:
    """``answers_for_scoring`` for several assessments: id -> (answers, not-applicable reasons).

    Submitted assessments carry their answers as one JSON text (``submitted_answers``, written
    with the submission, when answers can no longer change): the packed form (see ``snapshot_text``)
    or, for submissions stored before it, {"answers": {...}, "na": {...}}. The few without a
    readable snapshot are read from the answers table. Assessments without stored answers get ({}, {}).
    """
    found = {i: ({}, {}) for i in assessment_ids}
    missing = []
    loads = json.loads
    for part, marks in _id_chunks(list(assessment_ids)):
        for assessment_id, questionnaire_id, version, snapshot in db.execute(
                "SELECT id, questionnaire_id, questionnaire_version, submitted_answers FROM assessments "
                f"WHERE id IN {marks}", part):
            unpacked = None if snapshot is None else _unpack(loads(snapshot), questionnaire_id, version)
            if unpacked is None:
                missing.append(assessment_id)
            else:
                found[assessment_id] = unpacked
    if missing:
        found.update(_answers_from_rows(db, missing))
    return found


def _unpack(data: dict, questionnaire_id: str, version: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    if "layout" not in data:  # the first form (migration m045): answers by item id
        return data["answers"], data["na"]
    layout = layout_for(questionnaire_id, version)
    return None if layout is None else layout.unpack(data)


def snapshot_text(questionnaire_id: str, version: str, answers: dict[str, Any], na: dict[str, str]) -> str:
    """The submitted answers as ``assessments.submitted_answers`` stores them: packed in the
    questionnaire's question order (questionnaires.compiled.AnswerLayout: ~400 bytes instead of
    13.7 kB for a full assessment, unpacked several times faster), or by item id for a questionnaire
    that is not in the registry. Exact: the values are the stored JSON values, nothing converted."""
    layout = layout_for(questionnaire_id, version)
    packed = None if layout is None else layout.pack(answers, na)
    return _dumps({"answers": answers, "na": na} if packed is None else packed)


def _answers_from_rows(db, assessment_ids: list[int]) -> dict[int, tuple[dict[str, Any], dict[str, str]]]:
    found = {}
    for part, marks in _id_chunks(list(assessment_ids)):
        for assessment_id, item_id, value, na_reason in db.execute(
                f"SELECT assessment_id, item_id, value, na_reason FROM answers WHERE assessment_id IN {marks} "
                "AND (na_reason IS NOT NULL OR value IS NOT NULL)", part):
            answers, na = found.setdefault(assessment_id, ({}, {}))
            if na_reason is not None:
                na[item_id] = na_reason
            else:
                answers[item_id] = json.loads(value)
    return found


def result_row(assessment_id: int, questionnaire_id: str, questionnaire_version: str, result: dict) -> tuple:
    """A result as ``store_results_many`` takes it: the summary columns, the detail already as JSON
    (so a batch holds strings, not thousands of nested dicts) and its sub-domain scores."""
    outcome = result.get("outcome")
    subdomains = tuple([(sd, float(part["score"])) for sd, part in (result.get("subdomains") or {}).items()
                        if isinstance(part, dict) and part.get("score") is not None])
    return (assessment_id, questionnaire_id, questionnaire_version, result["method"], result["scoring_version"],
            result.get("score"), result.get("level"), None if outcome is None else int(outcome), _dumps(result),
            subdomains)


_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def store_results_many(db, kind: str, rows: list[tuple]) -> None:
    """``store_result`` for many ``result_row``s at once, inside the caller's transaction: each becomes
    the current result of its kind, earlier ones stay on record (no longer current), re-storing the
    same scoring version in the same submission round replaces that row, and the bureau's summary
    tables (db/stats.py) follow, as they do for one result — updated once for the whole set of
    enterprises involved, not one enterprise at a time."""
    if not rows:
        return
    t = now()
    ids = [r[0] for r in rows]
    owners: dict[str, set[int]] = {}
    for part, marks in _id_chunks(ids):
        for enterprise_id, questionnaire_id in db.execute(
                f"SELECT DISTINCT enterprise_id, questionnaire_id FROM assessments WHERE id IN {marks}", part):
            owners.setdefault(questionnaire_id, set()).add(enterprise_id)
    for questionnaire_id, enterprise_ids in owners.items():
        retire_current_many(db, questionnaire_id, enterprise_ids)
    for part, marks in _id_chunks(ids):
        db.execute(f"UPDATE results SET is_current = 0 WHERE kind = ? AND is_current = 1 AND assessment_id IN {marks}",
                   [kind, *part])
    # Like store_result: a re-score replaces the same version's row of the assessment's current
    # submission round only; results of earlier rounds (before a return for revision) stay. One
    # query finds them (usually none: a re-scoring skips results of the current version).
    versions: dict[str, list[int]] = {}
    for r in rows:
        versions.setdefault(r[4], []).append(r[0])
    replaced = []
    for scoring_version, version_ids in versions.items():
        for part, marks in _id_chunks(version_ids):
            replaced += [row[0] for row in db.execute(
                "SELECT r.id FROM results r JOIN assessments a ON a.id = r.assessment_id WHERE r.kind = ? "
                f"AND r.scoring_version = ? AND r.round_no = a.round_no AND r.assessment_id IN {marks}",
                [kind, scoring_version, *part])]
    for part, marks in _id_chunks(replaced):
        db.execute(f"DELETE FROM result_subdomains WHERE result_id IN {marks}", part)
        db.execute(f"DELETE FROM results WHERE id IN {marks}", part)
    current_round = "(SELECT round_no FROM assessments WHERE id = ?)"
    db.conn.executemany(
        "INSERT INTO results (assessment_id, kind, questionnaire_id, questionnaire_version, scoring_method, "
        "scoring_version, computed_at, is_current, score, level, outcome, detail, round_no) "
        f"VALUES (?,?,?,?,?,?,?,1,?,?,?,?,{current_round})",
        [(aid, kind, qid, version, method, scoring_version, t, score, level, outcome, detail, aid)
         for aid, qid, version, method, scoring_version, score, level, outcome, detail, _ in rows])
    new_ids = {}
    for part, marks in _id_chunks(ids):
        new_ids.update(db.execute(f"SELECT assessment_id, id FROM results WHERE kind = ? AND is_current = 1 "
                                  f"AND assessment_id IN {marks}", [kind, *part]).fetchall())
    db.conn.executemany("INSERT INTO result_subdomains (result_id, subdomain, score) VALUES (?,?,?)",
                        [(new_ids[r[0]], sd, score) for r in rows for sd, score in r[9]])
    for questionnaire_id, enterprise_ids in owners.items():
        refresh_current_many(db, questionnaire_id, enterprise_ids)


IN_CHUNK = 500  # ids per expanded IN (?,…) list: far below SQLite's and PostgreSQL's parameter limits


def _id_chunks(ids: list[int]) -> list[tuple[list[int], str]]:
    """(ids, ``(?,?,…)``) in chunks of at most IN_CHUNK, for portable ``id IN (…)`` filters."""
    parts = [list(ids[i:i + IN_CHUNK]) for i in range(0, len(ids), IN_CHUNK)]
    return [(part, f"({','.join('?' * len(part))})") for part in parts]
