"""City-wide aggregates for the bureau, read from stored results (never re-scored on a page view)."""

from __future__ import annotations

from db.identity import AccessDenied, Identity

_LATEST_RESULT = """
SELECT a.enterprise_id, r.outcome, r.level, r.score
FROM results r JOIN assessments a ON a.id = r.assessment_id
WHERE r.kind = 'self' AND r.is_current = 1 AND a.questionnaire_id = ?
  AND a.id = (SELECT max(a2.id) FROM assessments a2 JOIN results r2 ON r2.assessment_id = a2.id
              WHERE a2.enterprise_id = a.enterprise_id AND a2.questionnaire_id = a.questionnaire_id
                AND r2.kind = 'self' AND r2.is_current = 1)
"""


def _require_city_view(identity: Identity) -> None:
    if identity.role not in ("bureau", "admin"):
        raise AccessDenied("city-wide figures are for the bureau")


def adoption_by_district(db, identity: Identity, questionnaire_id: str = "ii_adoption") -> list[dict]:
    """Per district: above-scale enterprises (denominator), assessed, applying; latest result per enterprise."""
    _require_city_view(identity)
    return list(db.query(
        f"WITH latest AS ({_LATEST_RESULT}) "
        "SELECT e.district, count(*) AS roster, count(l.enterprise_id) AS assessed, "
        "coalesce(sum(l.outcome), 0) AS applying "
        "FROM enterprises e LEFT JOIN latest l ON l.enterprise_id = e.id "
        "WHERE e.above_scale = 1 GROUP BY e.district ORDER BY e.district", [questionnaire_id]))


def level_distribution(db, identity: Identity, questionnaire_id: str = "cmmm_full") -> list[dict]:
    """Number of enterprises per maturity level (latest current self result each)."""
    _require_city_view(identity)
    return list(db.query(f"WITH latest AS ({_LATEST_RESULT}) SELECT level, count(*) AS enterprises "
                         "FROM latest GROUP BY level ORDER BY level", [questionnaire_id]))
