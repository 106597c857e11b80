"""The full answers export in long format, read in batches from one server-side cursor (bounded memory).

One row per submitted assessment × answered item, keyed by the question code (item id), with
the questionnaire and scoring versions, the review status and the reviewer (the user who last
recorded a "verify" on the assessment in the audit log, if any). Drafts are not exported.
Bureau and admin only; filters are the view's (questionnaire, district, industry division).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from db.stats import require_city_view

COLUMNS = ("credit_code", "enterprise", "district", "industry_code", "assessment_id", "questionnaire_id",
           "questionnaire_version", "status", "submitted_at", "verified_at", "result_kind", "scoring_version",
           "reviewer", "item_id", "value", "na_reason", "answered_at")

_FROM = """
FROM assessments a
JOIN enterprises e ON e.id = a.enterprise_id
JOIN answers an ON an.assessment_id = a.id
WHERE a.status IN ('submitted', 'verified', 'returned'){where}
"""

_SELECT = """
SELECT e.credit_code, e.name, e.district, e.industry_code, a.id, a.questionnaire_id, a.questionnaire_version,
       a.status, a.submitted_at, a.verified_at,
       CASE WHEN v.id IS NOT NULL THEN 'verified' WHEN s.id IS NOT NULL THEN 'self' END,
       coalesce(v.scoring_version, s.scoring_version),
       (SELECT u.display_name FROM audit_log l JOIN users u ON u.id = l.user_id
        WHERE l.entity = 'assessment' AND l.entity_id = CAST(a.id AS TEXT) AND l.action = 'verify'
        ORDER BY l.id DESC LIMIT 1),
       an.item_id, an.value, an.na_reason, an.updated_at
FROM assessments a
JOIN enterprises e ON e.id = a.enterprise_id
JOIN answers an ON an.assessment_id = a.id
LEFT JOIN results s ON s.assessment_id = a.id AND s.kind = 'self' AND s.is_current = 1
LEFT JOIN results v ON v.assessment_id = a.id AND v.kind = 'verified' AND v.is_current = 1
WHERE a.status IN ('submitted', 'verified', 'returned'){where}
ORDER BY a.questionnaire_id, a.enterprise_id, a.id, an.item_id
"""


def _filters(questionnaire_id: str | None, district: str | None, industry: str | None) -> tuple[str, list]:
    where, params = "", []
    for column, value in (("a.questionnaire_id", questionnaire_id), ("e.district", district),
                          ("e.industry_code", industry)):
        if value:
            where += f" AND {column} = ?"
            params.append(value)
    return where, params


def count_answer_rows(db, identity, questionnaire_id: str | None = None, district: str | None = None,
                      industry: str | None = None) -> int:
    """How many rows the export will have (for the progress bar)."""
    require_city_view(identity)
    where, params = _filters(questionnaire_id, district, industry)
    return db.execute("SELECT count(*)" + _FROM.format(where=where), params).fetchone()[0]


def plain_value(stored: str | None) -> str:
    """A stored JSON answer as plain text: scalars as they are, lists joined by "; "."""
    if stored is None:
        return ""
    value = json.loads(stored)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def iter_answer_rows(db, identity, questionnaire_id: str | None = None, district: str | None = None,
                     industry: str | None = None, batch: int = 5000) -> Iterator[tuple]:
    """Rows in COLUMNS order (times still UTC, values as stored JSON), ``batch`` at a time from one cursor."""
    require_city_view(identity)
    where, params = _filters(questionnaire_id, district, industry)
    cursor = db.conn.cursor()
    try:
        cursor.execute(_SELECT.format(where=where), params)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()
