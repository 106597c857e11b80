"""Peer comparison and history for one result, read from stored current results only.

An enterprise sees where its score stands among peers as an aggregate (how many peers, what
share scored lower), never another enterprise's row: the queries below read other enterprises'
scores inside the database layer and return only counts. Peers are shown only when at least
MIN_PEERS other enterprises have a comparable result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from db.assessments import current_result_row, get_assessment
from db.identity import Identity

MIN_PEERS = 5
TOLERANCE = 1e-9

# The latest assessment per enterprise with a current self result of one questionnaire and scoring
# version (results of other scoring versions are not on the same scale). Demo and real records never mix.
_PEER_SCORES = """
SELECT r.score FROM results r
JOIN assessments a ON a.id = r.assessment_id
JOIN enterprises e ON e.id = a.enterprise_id
WHERE r.kind = 'self' AND r.is_current = 1 AND r.score IS NOT NULL
  AND a.questionnaire_id = ? AND r.scoring_version = ?
  AND e.id != ? AND coalesce(e.is_demo, 0) = ? AND e.{column} = ?
  AND a.id = (SELECT max(a2.id) FROM assessments a2 JOIN results r2 ON r2.assessment_id = a2.id
              WHERE a2.enterprise_id = a.enterprise_id AND a2.questionnaire_id = a.questionnaire_id
                AND r2.kind = 'self' AND r2.is_current = 1 AND r2.scoring_version = r.scoring_version)
"""
PEER_COLUMNS = {"industry": "industry_code", "district": "district"}


@dataclass(frozen=True)
class PeerStanding:
    """Where one score stands among peers; ``share_below`` is None when too few peers to show it."""

    group: str  # "industry" or "district"
    value: str | None  # the enterprise's industry division code or district key
    peers: int
    share_below: float | None


def peer_standing(db, identity: Identity, assessment_id: int) -> list[PeerStanding]:
    """The result's standing within its industry division and its district (aggregates only).

    Share below = peers whose score is strictly lower / peers. Hidden (None) below MIN_PEERS.
    """
    assessment = get_assessment(db, identity, assessment_id)
    result = current_result_row(db, assessment_id)
    if result is None or result["score"] is None:
        return []
    enterprise = next(db.query("SELECT * FROM enterprises WHERE id = ?", [assessment["enterprise_id"]]))
    standings = []
    for group, column in PEER_COLUMNS.items():
        value = enterprise.get(column)  # a column another release has not added yet reads as missing
        if not value:
            standings.append(PeerStanding(group, None, 0, None))
            continue
        scores = [row[0] for row in db.execute(
            _PEER_SCORES.format(column=column),
            [assessment["questionnaire_id"], result["scoring_version"], enterprise["id"],
             int(enterprise.get("is_demo") or 0), value]).fetchall()]
        below = sum(1 for s in scores if s < result["score"] - TOLERANCE)
        share = below / len(scores) if len(scores) >= MIN_PEERS else None
        standings.append(PeerStanding(group, str(value), len(scores), share))
    return standings


def previous_result(db, identity: Identity, assessment_id: int) -> dict | None:
    """The current self result of the enterprise's previous assessment of the same questionnaire.

    Returns the result row (``detail`` decoded) with the previous assessment's id and submission
    time, or None when this is the first one with a result.
    """
    assessment = get_assessment(db, identity, assessment_id)
    row = next(db.query(
        "SELECT r.*, a.submitted_at, a.status FROM results r JOIN assessments a ON a.id = r.assessment_id "
        "WHERE a.enterprise_id = ? AND a.questionnaire_id = ? AND a.id < ? AND r.kind = 'self' "
        "AND r.is_current = 1 ORDER BY a.id DESC LIMIT 1",
        [assessment["enterprise_id"], assessment["questionnaire_id"], assessment_id]), None)
    if row is not None:
        row["detail"] = json.loads(row["detail"])
    return row
