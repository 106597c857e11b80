"""Stored results for the results page: peers (shown only from 5 up) and the previous assessment.

Also holds the known answer set and the helpers the other results tests import.
"""

from __future__ import annotations

import pytest

from questionnaires.conditions import visibility

SCALE = ("fully_met", "largely_met", "partly_met", "not_met")


def full_answers(level3: str = "mixed") -> dict:
    """The known answer set: level 1 fully met, level 2 largely met, level 3 and up a fixed mixed pattern.

    Gives level 2 (二级 规范级) with scoring stopping at level 3 (see test_reports.py).
    """
    from questionnaires import registry

    q = registry.latest("cmmm_full")
    answers = {"manufacturing_type": "discrete"}
    visible = visibility(q, answers, {}).questions
    for i, item in enumerate(q.questions.values()):
        if item.type != "scale4" or item.id not in visible:
            continue
        if item.level == 1:
            answers[item.id] = "fully_met"
        elif item.level == 2:
            answers[item.id] = "largely_met"
        else:
            answers[item.id] = SCALE[i % 4] if level3 == "mixed" else level3
    return answers


def submit_full(db, identity, answers: dict) -> int:
    """Fill in and submit a full maturity assessment through the app's own path; returns its id."""
    from assessments import filling
    from db.assessments import start_assessment
    from questionnaires import registry

    q = registry.latest("cmmm_full")
    aid, _ = start_assessment(db, identity, q.id, q.version)
    for item, value in answers.items():
        outcome = filling.save_item(db, identity, q, aid, item, value, expected_rev=0)
        assert outcome.status in ("saved", "unchanged"), (item, outcome)
    filling.submit(db, identity, aid)
    return aid


def add_peer(db, name: str, district: str, industry: str, score: float,
             questionnaire_id: str = "cmmm_full", scoring_version: str = "2025.1") -> int:
    """A demo enterprise with one submitted assessment whose current self result has ``score``."""
    from db.assessments import store_result
    from db.connection import now, write_txn
    from db.enterprises import create_enterprise
    from startup.demo import demo_credit_code

    with write_txn(db):
        serial = db.execute("SELECT count(*) FROM enterprises").fetchone()[0]
        eid = create_enterprise(db, demo_credit_code(district, f"MA9P{serial:05d}"), name, district, industry,
                                is_demo=True)
        t = now()
        aid = db.execute("INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, "
                         "created_at, updated_at, submitted_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
                         [eid, questionnaire_id, "1", "submitted", t, t, t]).fetchall()[0][0]
        store_result(db, aid, "self", questionnaire_id, "1",
                     {"method": "cmmm", "scoring_version": scoring_version, "score": score, "level": int(score)})
    return eid


def add_peers(db, n: int, district: str, industry: str, scores) -> None:
    for i in range(n):
        add_peer(db, f"同行企业{district}{industry}{i}（演示）", district, industry, scores[i])


@pytest.fixture
def ent1_full(fresh_db, ent1):
    """ent1 (华盛新材料, 张店区, industry 26) with the known full assessment submitted."""
    return submit_full(fresh_db, ent1, full_answers())


def test_peers_hidden_below_five_shown_from_five(fresh_db, ent1, ent1_full):
    from db.peers import peer_standing

    add_peers(fresh_db, 4, "zhangdian", "26", [1.0, 1.5, 3.0, 3.5])
    by_group = {s.group: s for s in peer_standing(fresh_db, ent1, ent1_full)}
    assert by_group["industry"].peers == 4 and by_group["industry"].share_below is None
    assert by_group["district"].peers == 4 and by_group["district"].share_below is None

    add_peer(fresh_db, "同行企业第五家（演示）", "zhoucun", "26", 2.0)
    by_group = {s.group: s for s in peer_standing(fresh_db, ent1, ent1_full)}
    assert by_group["industry"].peers == 5
    assert by_group["industry"].share_below == pytest.approx(3 / 5)  # 1.0, 1.5, 2.0 are below ent1's 2.355
    assert by_group["district"].share_below is None  # the fifth peer is in another district


def test_peers_ignore_other_scoring_versions_and_older_assessments(fresh_db, ent1, ent1_full):
    from db.peers import peer_standing

    add_peers(fresh_db, 5, "zhangdian", "26", [1.0] * 5)
    add_peer(fresh_db, "旧版本企业（演示）", "zhangdian", "26", 4.9, scoring_version="2024.9")
    industry = next(s for s in peer_standing(fresh_db, ent1, ent1_full) if s.group == "industry")
    assert industry.peers == 5 and industry.share_below == 1.0


def test_peers_and_history_follow_identity(fresh_db, ent2, ent1_full):
    from db.identity import NotFound
    from db.peers import peer_standing, previous_result

    with pytest.raises(NotFound):
        peer_standing(fresh_db, ent2, ent1_full)
    with pytest.raises(NotFound):
        previous_result(fresh_db, ent2, ent1_full)


def test_previous_assessment_and_change_per_subdomain(fresh_db, ent1, ent1_full):
    from db.peers import previous_result
    from questionnaires import registry
    from reports.explain import subdomain_changes

    assert previous_result(fresh_db, ent1, ent1_full) is None
    second = submit_full(fresh_db, ent1, full_answers(level3="fully_met"))
    previous = previous_result(fresh_db, ent1, second)
    assert previous["assessment_id"] == ent1_full
    current = fresh_db.execute("SELECT detail FROM results WHERE assessment_id = ? AND is_current = 1",
                               [second]).fetchone()[0]
    import json

    changes = subdomain_changes(registry.latest("cmmm_full"), json.loads(current), previous["detail"])
    assert len(changes) == 20
    assert all(c.delta is not None and c.delta > 0 for c in changes)
    data = next(c for c in changes if c.subdomain == "data")
    assert data.name == "数据" and data.delta == pytest.approx(data.now - data.previous)


def test_missing_profile_field_says_so(fresh_db, ent1, ent1_full):
    from db.peers import peer_standing
    from reports.explain import peer_lines

    fresh_db.execute("UPDATE enterprises SET industry_code = NULL WHERE id = ?", [ent1.enterprise_id])
    industry = next(s for s in peer_standing(fresh_db, ent1, ent1_full) if s.group == "industry")
    assert industry.value is None and industry.share_below is None
    assert peer_lines([industry])[0] == "同行业（—）：企业资料中未填写，无法比较。"
