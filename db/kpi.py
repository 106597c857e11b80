"""Rows for the adoption KPI: one per roster enterprise, with its latest stored adoption result.

Reads stored current results only (never answers), bureau and admin only. Standard SQL
(CTEs, ROW_NUMBER) that runs on SQLite ≥ 3.25 and PostgreSQL alike.
"""

from __future__ import annotations

from db.roster import require_bureau

# Per enterprise, the latest assessment that has a current self or verified result; both
# results of that assessment are returned so the KPI can show verified and self apart.
_ADOPTION_ROWS = """
WITH scored AS (
  SELECT a.id, a.enterprise_id, a.status, a.submitted_at,
         coalesce(a.verified_at, v.computed_at) AS verified_at,
         s.outcome AS self_outcome, v.outcome AS verified_outcome,
         ROW_NUMBER() OVER (PARTITION BY a.enterprise_id ORDER BY a.id DESC) AS recency
  FROM assessments a
  LEFT JOIN results s ON s.assessment_id = a.id AND s.kind = 'self' AND s.is_current = 1
  LEFT JOIN results v ON v.assessment_id = a.id AND v.kind = 'verified' AND v.is_current = 1
  WHERE a.questionnaire_id = ? AND (s.id IS NOT NULL OR v.id IS NOT NULL)
)
SELECT r.credit_code, r.name, r.district, r.industry_code, e.id AS enterprise_id,
       l.id AS assessment_id, l.status, l.submitted_at, l.verified_at, l.self_outcome, l.verified_outcome
FROM roster_entries r
LEFT JOIN enterprises e ON e.credit_code = r.credit_code
LEFT JOIN scored l ON l.enterprise_id = e.id AND l.recency = 1
WHERE r.year = ?
ORDER BY r.source_row, r.id
"""


def adoption_rows(db, identity, year: int, questionnaire_id: str = "ii_adoption") -> list[dict]:
    """Every roster enterprise of ``year`` (respondent or not) with its latest adoption result, if any."""
    require_bureau(identity)
    return list(db.query(_ADOPTION_ROWS, [questionnaire_id, int(year)]))


def targets_for(db, identity, metric: str = "ii_adoption_rate") -> list[dict]:
    """All targets of a metric (year, scope, value as decimal text)."""
    require_bureau(identity)
    return list(db.query("SELECT year, scope, value FROM targets WHERE metric = ?", [metric]))
