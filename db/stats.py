"""City-wide maturity figures for the bureau, read from stored current results (never re-scored).

Per enterprise, the latest assessment of a questionnaire that has a current result counts;
its effective result is the verified one where present, otherwise the self-assessed one.
Standard SQL (CTEs, ROW_NUMBER) that runs on SQLite ≥ 3.25 and PostgreSQL alike; the indexes
it uses are created by db/schema.py m050_city_picture. Bureau and admin only.
"""

from __future__ import annotations

from db.identity import AccessDenied, Identity

# One row per assessment with a current result: effective level/score, latest and first rank.
_SCORED = """
scored AS (
  SELECT a.id, a.enterprise_id, a.status, a.submitted_at, a.verified_at, a.questionnaire_version,
         coalesce(v.level, s.level) AS level, coalesce(v.score, s.score) AS score,
         coalesce(v.id, s.id) AS result_id, coalesce(v.scoring_version, s.scoring_version) AS scoring_version,
         CASE WHEN v.id IS NULL THEN 0 ELSE 1 END AS verified,
         ROW_NUMBER() OVER (PARTITION BY a.enterprise_id ORDER BY a.id DESC) AS latest_rank,
         ROW_NUMBER() OVER (PARTITION BY a.enterprise_id ORDER BY a.id) AS first_rank
  FROM assessments a
  LEFT JOIN results s ON s.assessment_id = a.id AND s.kind = 'self' AND s.is_current = 1
  LEFT JOIN results v ON v.assessment_id = a.id AND v.kind = 'verified' AND v.is_current = 1
  WHERE a.questionnaire_id = ? AND (s.id IS NOT NULL OR v.id IS NOT NULL)
)"""

_MATURITY_ROWS = f"""
WITH {_SCORED}
SELECT e.id AS enterprise_id, e.name, e.credit_code, e.district, e.industry_code,
       l.id AS assessment_id, l.status, l.submitted_at, l.level, l.score, l.verified,
       f.level AS first_level, f.id AS first_assessment_id
FROM scored l
JOIN enterprises e ON e.id = l.enterprise_id
JOIN scored f ON f.enterprise_id = l.enterprise_id AND f.first_rank = 1
WHERE l.latest_rank = 1
ORDER BY e.id
"""

_WEAKEST = f"""
WITH {_SCORED}
SELECT d.subdomain, avg(d.score) AS mean_score, count(*) AS enterprises
FROM scored l
JOIN enterprises e ON e.id = l.enterprise_id
JOIN result_subdomains d ON d.result_id = l.result_id
WHERE l.latest_rank = 1 {{where}}
GROUP BY d.subdomain
ORDER BY mean_score, d.subdomain
"""


def require_city_view(identity: Identity) -> None:
    if identity.role not in ("bureau", "admin"):
        raise AccessDenied("city-wide figures are for the bureau")


def maturity_rows(db, identity: Identity, questionnaire_id: str) -> list[dict]:
    """One row per assessed enterprise: district, industry, latest effective level (0 = below level 1),
    whether it is verified, and the level of its first assessment (for transitions)."""
    require_city_view(identity)
    return list(db.query(_MATURITY_ROWS, [questionnaire_id]))


def weakest_subdomains(db, identity: Identity, questionnaire_id: str, district: str | None = None,
                       industry: str | None = None) -> list[dict]:
    """Mean effective sub-domain score over each enterprise's latest result, lowest first."""
    require_city_view(identity)
    where, params = "", [questionnaire_id]
    if district:
        where += " AND e.district = ?"
        params.append(district)
    if industry:
        where += " AND e.industry_code = ?"
        params.append(industry)
    return list(db.query(_WEAKEST.format(where=where), params))
