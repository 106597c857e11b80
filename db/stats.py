"""City-wide maturity figures for the bureau, read from stored current results (never re-scored).

Per enterprise, the latest assessment of a questionnaire that has a current result counts;
its effective result is the verified one where present, otherwise the self-assessed one.
Standard SQL (CTEs, ROW_NUMBER) that runs on SQLite ≥ 3.25 and PostgreSQL alike; the indexes
it uses are created by the migrations (db/migrations/, baseline). Bureau and admin only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from db.identity import AccessDenied, Identity

# One row per assessment with a current result: effective level/score, its rank from the latest, and
# the enterprise's first scored assessment (id, effective level) for the transitions. {where} narrows
# it to one enterprise when one row of maturity_current is refreshed.
SCORED = """
scored AS (
  SELECT a.id, a.enterprise_id, a.questionnaire_id,
         coalesce(v.level, s.level) AS level, coalesce(v.score, s.score) AS score,
         coalesce(v.id, s.id) AS result_id,
         CASE WHEN v.id IS NULL THEN 0 ELSE 1 END AS verified,
         ROW_NUMBER() OVER (PARTITION BY a.enterprise_id, a.questionnaire_id ORDER BY a.id DESC) AS latest_rank,
         FIRST_VALUE(coalesce(v.level, s.level)) OVER (PARTITION BY a.enterprise_id, a.questionnaire_id
                                                       ORDER BY a.id) AS first_level,
         FIRST_VALUE(a.id) OVER (PARTITION BY a.enterprise_id, a.questionnaire_id ORDER BY a.id) AS first_assessment_id
  FROM assessments a
  LEFT JOIN results s ON s.assessment_id = a.id AND s.kind = 'self' AND s.is_current = 1
  LEFT JOIN results v ON v.assessment_id = a.id AND v.kind = 'verified' AND v.is_current = 1
  WHERE (s.id IS NOT NULL OR v.id IS NOT NULL){where}
)"""

# maturity_current holds SCORED's latest row per (enterprise, questionnaire), with the enterprise's
# district and industry when that result was stored (the picture attributes an enterprise there until
# its next result); subdomain_sums keeps, per questionnaire × district × industry × sub-domain, the
# sum (in 1/10000 points, exact integers) and count of those rows' sub-domain scores. The dashboard
# reads these (and level_cells: enterprises per district × industry × latest level × first level ×
# re-assessed × verified) instead of ranking every assessment and averaging a million scores on each view.
FILL_CURRENT = ("WITH " + SCORED + " INSERT INTO maturity_current (enterprise_id, questionnaire_id, assessment_id, "
                "result_id, level, score, verified, first_assessment_id, first_level, district, industry_code) "
                "SELECT l.enterprise_id, l.questionnaire_id, l.id, l.result_id, l.level, l.score, l.verified, "
                "l.first_assessment_id, l.first_level, coalesce(e.district, ''), coalesce(e.industry_code, '') "
                "FROM scored l JOIN enterprises e ON e.id = l.enterprise_id WHERE l.latest_rank = 1")

SCORE_UNITS = 10_000  # sub-domain scores carry at most 4 decimals (scoring.PRECISION)

_SUMS = """
SELECT m.questionnaire_id, m.district, m.industry_code, d.subdomain,
       sum(CAST(round(d.score * 10000) AS INTEGER)) AS total, count(*) AS n
FROM maturity_current m JOIN result_subdomains d ON d.result_id = m.result_id
WHERE {where}
GROUP BY m.questionnaire_id, m.district, m.industry_code, d.subdomain
"""

_CELLS = """
SELECT m.questionnaire_id, m.district, m.industry_code, coalesce(m.level, 0), coalesce(m.first_level, 0),
       CASE WHEN m.first_assessment_id <> m.assessment_id THEN 1 ELSE 0 END, m.verified, count(*)
FROM maturity_current m
WHERE {where}
GROUP BY m.questionnaire_id, m.district, m.industry_code, coalesce(m.level, 0), coalesce(m.first_level, 0),
         CASE WHEN m.first_assessment_id <> m.assessment_id THEN 1 ELSE 0 END, m.verified
"""

FILL_CELLS = ("INSERT INTO level_cells (questionnaire_id, district, industry_code, level, first_level, reassessed, "
              "verified, n) " + _CELLS.format(where="1 = 1"))

FILL_SUMS = ("INSERT INTO subdomain_sums (questionnaire_id, district, industry_code, subdomain, total, n) "
             + _SUMS.format(where="1 = 1"))

SUMMARY_TABLES = ("maturity_current", "subdomain_sums", "level_cells")


def rebuild_summaries(db) -> None:
    """Empty the bureau's summary tables and fill them again from every stored result (inside the caller's
    transaction): what store_result and re-scoring keep up to date row by row, computed all at once."""
    for table in SUMMARY_TABLES:
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are the constants above
    db.execute(FILL_CURRENT.format(where=""))
    db.execute(FILL_SUMS)
    db.execute(FILL_CELLS)


_MATURITY_ROWS = """
SELECT e.id AS enterprise_id, e.name, e.credit_code, m.district, m.industry_code,
       m.assessment_id, a.status, a.submitted_at, m.level, m.score, m.verified,
       m.first_level, m.first_assessment_id
FROM maturity_current m
JOIN enterprises e ON e.id = m.enterprise_id
JOIN assessments a ON a.id = m.assessment_id
WHERE m.questionnaire_id = ?
ORDER BY e.id
"""

_WEAKEST = """
SELECT subdomain, sum(total) AS total, sum(n) AS enterprises
FROM subdomain_sums
WHERE questionnaire_id = ?{where}
GROUP BY subdomain
HAVING sum(n) > 0
"""


# Enterprises are named in expanded IN lists of at most this many ids (SQLite's and PostgreSQL's
# parameter limits are far above it); a re-scoring batch of 1,000 assessments touches ~333 enterprises.
IN_CHUNK = 500


def _chunks(enterprise_ids) -> list[tuple[str, list[int]]]:
    """(``(?,?,…)`` placeholders, ids) for these ids, in chunks of at most IN_CHUNK."""
    ids = sorted(set(enterprise_ids))
    return [(f"({','.join('?' * len(part))})", part) for part in (ids[i:i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK))]


def _apply(db, questionnaire_id: str, enterprise_ids, sign: int) -> None:
    """Add (sign 1) or take away (-1) these enterprises' current rows in subdomain_sums and level_cells.

    One grouped read per table for all of them (a few rows: district × industry × sub-domain or
    level cell), one upsert per cell: the counters end exactly where one enterprise at a time would
    have taken them (integer sums).
    """
    for marks, ids in _chunks(enterprise_ids):
        where = f"m.enterprise_id IN {marks} AND m.questionnaire_id = ?"
        sums = db.execute(_SUMS.format(where=where), [*ids, questionnaire_id]).fetchall()
        db.conn.executemany(
            "INSERT INTO subdomain_sums (questionnaire_id, district, industry_code, subdomain, total, n) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (questionnaire_id, district, industry_code, subdomain) "
            "DO UPDATE SET total = subdomain_sums.total + excluded.total, n = subdomain_sums.n + excluded.n",
            [(*row[:4], sign * row[4], sign * row[5]) for row in sums])
        cells = db.execute(_CELLS.format(where=where), [*ids, questionnaire_id]).fetchall()
        db.conn.executemany(
            "INSERT INTO level_cells (questionnaire_id, district, industry_code, level, first_level, reassessed, "
            "verified, n) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (questionnaire_id, district, industry_code, level, "
            "first_level, reassessed, verified) DO UPDATE SET n = level_cells.n + excluded.n",
            [(*row[:7], sign * row[7]) for row in cells])


def _delete_current(db, questionnaire_id: str, enterprise_ids) -> None:
    for marks, ids in _chunks(enterprise_ids):
        db.execute(f"DELETE FROM maturity_current WHERE enterprise_id IN {marks} AND questionnaire_id = ?",
                   [*ids, questionnaire_id])


def retire_current_many(db, questionnaire_id: str, enterprise_ids) -> None:
    """Take these enterprises' rows of one questionnaire out of maturity_current, subdomain_sums and
    level_cells (before their results change; inside the caller's transaction)."""
    _apply(db, questionnaire_id, enterprise_ids, -1)
    # Emptied counters go, so the tables stay exactly what a rebuild from the results gives.
    db.execute("DELETE FROM level_cells WHERE questionnaire_id = ? AND n = 0", [questionnaire_id])
    db.execute("DELETE FROM subdomain_sums WHERE questionnaire_id = ? AND n = 0", [questionnaire_id])
    _delete_current(db, questionnaire_id, enterprise_ids)


def refresh_current_many(db, questionnaire_id: str, enterprise_ids) -> None:
    """Put these enterprises' rows of one questionnaire back from their stored results (inside the
    caller's transaction): one set-based insert and one grouped update per table for all of them."""
    _delete_current(db, questionnaire_id, enterprise_ids)
    for marks, ids in _chunks(enterprise_ids):
        db.execute(FILL_CURRENT.format(where=f" AND a.enterprise_id IN {marks} AND a.questionnaire_id = ?"),
                   [*ids, questionnaire_id])
    _apply(db, questionnaire_id, enterprise_ids, 1)


def retire_current(db, enterprise_id: int, questionnaire_id: str) -> None:
    """Take one enterprise's row out of maturity_current and subdomain_sums (before its results change)."""
    retire_current_many(db, questionnaire_id, [enterprise_id])


def refresh_current(db, enterprise_id: int, questionnaire_id: str) -> None:
    """Put one enterprise's row back from its stored results (inside the caller's transaction)."""
    refresh_current_many(db, questionnaire_id, [enterprise_id])


def require_city_view(identity: Identity) -> None:
    if identity.role not in ("bureau", "admin"):
        raise AccessDenied("city-wide figures are for the bureau")


def _scope(district: str | None, industry: str | None, params: list, table: str = "m.") -> str:
    """The " AND …" filter of a district and/or industry on ``table``'s columns; appends their values to params."""
    where = ""
    if district:
        where += f" AND {table}district = ?"
        params.append(district)
    if industry:
        where += f" AND {table}industry_code = ?"
        params.append(industry)
    return where


def maturity_rows(db, identity: Identity, questionnaire_id: str, district: str | None = None,
                  industry: str | None = None, level: int | None = None) -> list[dict]:
    """One row per assessed enterprise of the scope (a drill-down cell): district, industry, latest effective
    level (0 = below level 1), whether it is verified, and its first assessment (id, level)."""
    require_city_view(identity)
    params: list = [questionnaire_id]
    where = _scope(district, industry, params)
    if level is not None:
        where += " AND coalesce(m.level, 0) = ?"
        params.append(int(level))
    return list(db.query(_MATURITY_ROWS.replace("WHERE m.questionnaire_id = ?", "WHERE m.questionnaire_id = ?" + where),
                         params))


@dataclass(frozen=True)
class Cell:
    """Enterprises sharing district, industry, latest and first effective level, verified and re-assessed."""

    district: str
    industry_code: str
    level: int
    first_level: int
    reassessed: bool
    verified: bool
    n: int


def picture_cells(db, identity: Identity, questionnaire_id: str) -> list[Cell]:
    """The maintained level_cells of a questionnaire (at most 11 × 31 × 6 × 6 × 2 × 2 rows); kpi.maturity
    derives every table of the picture, with any district/industry filter, from these."""
    require_city_view(identity)
    return [Cell(*row[:4], bool(row[4]), bool(row[5]), row[6]) for row in db.execute(
        "SELECT district, industry_code, level, first_level, reassessed, verified, n FROM level_cells "
        "WHERE questionnaire_id = ? AND n > 0", [questionnaire_id]).fetchall()]


def assessed_per_questionnaire(db, identity: Identity) -> dict[str, int]:
    """Enterprises with a current result, per questionnaire."""
    require_city_view(identity)
    return dict(db.execute("SELECT questionnaire_id, count(*) FROM maturity_current GROUP BY questionnaire_id").fetchall())


def weakest_subdomains(db, identity: Identity, questionnaire_id: str, district: str | None = None,
                       industry: str | None = None) -> list[dict]:
    """Mean effective sub-domain score over each enterprise's latest result, lowest first (exact mean)."""
    require_city_view(identity)
    params: list = [questionnaire_id]
    where = _scope(district, industry, params, table="")
    return rank_weakest(db.execute(_WEAKEST.format(where=where), params).fetchall())


def rank_weakest(rows) -> list[dict]:
    """(subdomain, total in 1/10000 points, enterprises) rows as exact means, lowest first."""
    means = [{"subdomain": r[0], "mean_score": Fraction(int(r[1]), int(r[2]) * SCORE_UNITS), "enterprises": int(r[2])}
             for r in rows]
    return sorted(means, key=lambda r: (r["mean_score"], r["subdomain"]))
