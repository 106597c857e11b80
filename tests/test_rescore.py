"""Re-scoring: a changed rule keeps the old verdicts on record; work goes in batches."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from manage import rescore
from questionnaires import registry
from questionnaires.compiled import AnswerLayout, layout_for
from questionnaires.loader import load_text
from questionnaires.model import SCALE4
from tests.conftest import ROOT


def test_rule_change_and_rescore_keep_old_verdicts(fresh_db, monkeypatch):
    before = {r["assessment_id"]: r for r in fresh_db.query(
        "SELECT * FROM results WHERE questionnaire_id = 'ii_adoption' AND is_current = 1")}
    assert before and {r["scoring_version"] for r in before.values()} == {"2026.1"}

    path = ROOT / "questionnaires" / "ii_adoption_v1.yaml"
    text = path.read_text(encoding="utf-8").replace('version: "2026.1"', 'version: "2099.1"')
    # New definition: having networked equipment on a platform is enough on its own.
    text = text.replace("- {criterion: equipment_and_cloud}", "- {criterion: equipment_data_on_platform}")
    changed = load_text(text, path.name)
    assert changed.scoring.version == "2099.1"
    catalogue = dict(registry.load_all())
    catalogue[changed.key] = changed
    monkeypatch.setitem(registry._cache, str(registry.DIRECTORY), catalogue)

    counts = rescore(fresh_db, "ii_adoption")
    assert counts["rescored"] == len(before)
    after = {r["assessment_id"]: r for r in fresh_db.query(
        "SELECT * FROM results WHERE questionnaire_id = 'ii_adoption' AND is_current = 1")}
    assert {r["scoring_version"] for r in after.values()} == {"2099.1"}
    assert all(after[a]["outcome"] >= before[a]["outcome"] for a in before)  # the new rule is looser
    assert counts["outcome_after"] == sum(r["outcome"] for r in after.values())
    old = list(fresh_db.query("SELECT * FROM results WHERE scoring_version = '2026.1' AND questionnaire_id = 'ii_adoption'"))
    assert len(old) == len(before) and all(r["is_current"] == 0 for r in old)
    assert fresh_db.execute("SELECT count(*) FROM audit_log WHERE action = 'rescore'").fetchone()[0] == len(before)
    assert rescore(fresh_db, "ii_adoption")["rescored"] == 0  # idempotent


# -- batching --------------------------------------------------------------------------------

@pytest.fixture()
def five_submitted(empty_db_location):
    """An empty database with five submitted cmmm_full assessments (different answers, one with a
    not-applicable sub-domain) and an old-version result each, written straight through SQL."""
    from db.connection import forget_connections, get_db

    db = get_db(empty_db_location)
    q = registry.get("cmmm_full", "1")
    items = [qid for qid, x in q.questions.items() if x.type == "scale4"]
    t = "2026-01-01T00:00:00.000000Z"
    db.execute("INSERT INTO enterprises (id, credit_code, name, district, created_at) VALUES (1, 'X', '甲', '张店区', ?)", [t])
    for n in range(5):
        aid = db.execute("INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, "
                         "created_at) VALUES (1, 'cmmm_full', '1', 'submitted', ?) RETURNING id", [t]).fetchall()[0][0]
        answers = {"manufacturing_type": ["discrete", "process", "mixed"][n % 3],
                   **{qid: SCALE4[(i * (n + 1)) % 4 if i % (n + 2) else 3] for i, qid in enumerate(items)}}
        rows = [(aid, k, json.dumps(v), None, 1, t) for k, v in answers.items()]
        if n == 3:
            rows.append((aid, "product_service", None, "无此业务", 1, t))
        db.conn.executemany("INSERT INTO answers (assessment_id, item_id, value, na_reason, rev, updated_at) "
                            "VALUES (?,?,?,?,?,?)", rows)
        db.execute("INSERT INTO results (assessment_id, kind, questionnaire_id, questionnaire_version, scoring_method, "
                   "scoring_version, computed_at, is_current, score, level, detail) "
                   "VALUES (?, 'self', 'cmmm_full', '1', 'cmmm', '2024.0', ?, 1, 0, 0, '{}')", [aid, t])
    yield db
    forget_connections()


def test_rescore_in_batches_of_two(five_submitted, monkeypatch):
    import db.assessments as store

    db = five_submitted
    fetched = []
    real = store.answers_for_scoring_many
    monkeypatch.setattr(store, "answers_for_scoring_many", lambda d, ids: fetched.append(list(ids)) or real(d, ids))
    bar = io.StringIO()
    counts = rescore(db, "cmmm_full", batch_size=2, progress=bar)
    assert counts["assessments"] == counts["rescored"] == 5
    assert [len(ids) for ids in fetched] == [2, 2, 1] and sorted(sum(fetched, [])) == [1, 2, 3, 4, 5]
    drawn = bar.getvalue()
    assert [line.split("] ")[1].split(" (")[0] for line in drawn.strip().split("\r") if line] == ["0/5", "2/5", "4/5", "5/5"]
    assert "(100%)" in drawn and drawn.endswith("\n")
    q = registry.get("cmmm_full", "1")
    for aid in range(1, 6):
        current = [r for r in db.query("SELECT * FROM results WHERE assessment_id = ? AND is_current = 1", [aid])]
        assert len(current) == 1 and current[0]["scoring_version"] == q.scoring.version
        answers, na = store.answers_for_scoring(db, aid)
        expected = scoring.score(q, answers, na)
        assert json.loads(current[0]["detail"]) == json.loads(json.dumps(expected))
        assert current[0]["score"] == expected["score"] and current[0]["level"] == expected["level"]
    assert json.loads(next(db.query("SELECT detail FROM results WHERE assessment_id = 4 AND is_current = 1"))["detail"]
                      )["subdomains"]["product_service"]["not_applicable"] == "无此业务"
    assert db.execute("SELECT count(*) FROM results WHERE scoring_version = '2024.0' AND is_current = 0").fetchone()[0] == 5
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'rescore'").fetchone()[0] == 5
    assert rescore(db, "cmmm_full", batch_size=2)["rescored"] == 0  # idempotent


def test_batched_reader_matches_the_single_reader(five_submitted):
    from db.assessments import answers_for_scoring, answers_for_scoring_many, scoring_batches

    batches = list(scoring_batches(five_submitted, "cmmm_full", batch_size=3))
    assert [[a["id"] for a in b] for b in batches] == [[1, 2, 3], [4, 5]]
    assert all(a["old_scoring_version"] == "2024.0" for b in batches for a in b)
    many = answers_for_scoring_many(five_submitted, [1, 2, 3, 4, 5, 99])
    assert many[99] == ({}, {})
    for aid in range(1, 6):
        assert many[aid] == answers_for_scoring(five_submitted, aid)


def test_rescore_with_worker_processes_matches(five_submitted, monkeypatch):
    import manage
    from db.assessments import answers_for_scoring, batch_id_ranges

    assert batch_id_ranges(five_submitted, "cmmm_full", 2) == [(0, 2), (2, 4), (4, None)]
    monkeypatch.setattr(manage, "PARALLEL_FROM_BATCHES", 1)
    counts = manage.rescore(five_submitted, "cmmm_full", batch_size=1, workers=2)
    assert counts["assessments"] == counts["rescored"] == 5
    q = registry.get("cmmm_full", "1")
    for aid in range(1, 6):
        row = next(five_submitted.query("SELECT * FROM results WHERE assessment_id = ? AND is_current = 1", [aid]))
        answers, na = answers_for_scoring(five_submitted, aid)
        assert json.loads(row["detail"]) == json.loads(json.dumps(scoring.score(q, answers, na)))
    assert five_submitted.execute("SELECT count(*) FROM audit_log WHERE action = 'rescore'").fetchone()[0] == 5


def test_submitted_answers_snapshot_equals_the_answer_rows(fresh_db):
    """Re-scoring reads the snapshot written at submission; it must be exactly what the rows hold."""
    from db.assessments import _answers_from_rows, answers_for_scoring_many

    ids = [r[0] for r in fresh_db.execute("SELECT id FROM assessments WHERE status = 'submitted'").fetchall()]
    assert ids and all(fresh_db.execute("SELECT submitted_answers IS NOT NULL FROM assessments WHERE id = ?",
                                        [i]).fetchone()[0] for i in ids)
    assert answers_for_scoring_many(fresh_db, ids) == _answers_from_rows(fresh_db, ids)
    fresh_db.execute("UPDATE assessments SET submitted_answers = NULL WHERE id = ?", [ids[0]])
    assert answers_for_scoring_many(fresh_db, ids) == _answers_from_rows(fresh_db, ids)


def test_rescore_keeps_the_bureau_summary_tables_equal_to_a_rebuild(fresh_db, ent1, monkeypatch):
    """Batched re-scoring updates maturity_current, subdomain_sums and level_cells as store_result does."""
    from db.stats import SUMMARY_TABLES, rebuild_summaries
    from tests.test_results_data import full_answers, submit_full

    submit_full(fresh_db, ent1, full_answers())

    path = ROOT / "questionnaires" / "cmmm_full_v1.yaml"
    text = path.read_text(encoding="utf-8").replace('version: "2025.1"', 'version: "2099.1"', 1)
    text = text.replace("pass_mark: 0.8", "pass_mark: 0.5")  # a looser rule: levels move
    changed = load_text(text, path.name)
    catalogue = dict(registry.load_all())
    catalogue[changed.key] = changed
    monkeypatch.setitem(registry._cache, str(registry.DIRECTORY), catalogue)
    assert rescore(fresh_db, "cmmm_full", batch_size=2)["rescored"] > 0

    kept = [fresh_db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5").fetchall() for t in SUMMARY_TABLES]
    rebuild_summaries(fresh_db)
    assert kept == [fresh_db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5").fetchall() for t in SUMMARY_TABLES]


# -- the compact answers snapshot ------------------------------------------------------------

answer_values = st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False),
                          st.lists(st.text(max_size=5), max_size=3), st.booleans())


@settings(max_examples=200, deadline=None)
@given(answers=st.dictionaries(st.sampled_from(["a", "b", "c", "d", "x_outside"]), answer_values),
       na=st.dictionaries(st.sampled_from(["b", "s1"]), st.text(min_size=1, max_size=5)))
def test_packed_snapshot_gives_back_exactly_the_answers(answers, na):
    layout = AnswerLayout(["a", "b", "c", "d"])
    data = json.loads(json.dumps(layout.pack(answers, na), ensure_ascii=False))
    assert layout.unpack(data) == (answers, na)
    assert layout.unpack(json.loads(json.dumps(layout.pack(answers, na)))) == (answers, na)


def test_packing_keeps_equal_looking_values_apart_and_never_shares_a_list():
    layout = AnswerLayout(["a", "b", "c", "d", "e", "f"])
    answers = {"a": 1, "b": 1.0, "c": True, "d": -0.0, "e": ["x"], "f": ["x"]}
    unpacked, _ = layout.unpack(json.loads(json.dumps(layout.pack(answers, {}))))
    assert [(type(v), repr(v)) for v in unpacked.values()] == [(type(v), repr(v)) for v in answers.values()]
    assert unpacked["e"] == unpacked["f"] and unpacked["e"] is not unpacked["f"]


def test_too_many_distinct_values_are_stored_by_item_id(monkeypatch):
    from db.assessments import snapshot_text

    monkeypatch.setattr(AnswerLayout, "MAX_TABLE", 2)
    answers = {"manufacturing_type": "process", "organisation_strategy_l1_strategy_plan_exists": "fully_met"}
    assert json.loads(snapshot_text("cmmm_full", "1", answers, {})) == {"answers": answers, "na": {}}


def test_a_snapshot_of_another_layout_is_not_unpacked():
    data = AnswerLayout(["a", "b"]).pack({"a": "x", "b": "y"}, {})
    assert AnswerLayout(["b", "a"]).unpack(data) is None  # same ids, other order: another fingerprint
    assert AnswerLayout(["a", "b", "c"]).unpack(data) is None


def test_snapshot_of_a_full_assessment_is_compact_and_exact(five_submitted):
    from db.assessments import _answers_from_rows, snapshot_text

    answers, na = _answers_from_rows(five_submitted, [4])[4]
    text = snapshot_text("cmmm_full", "1", answers, na)
    old = json.dumps({"answers": answers, "na": na}, ensure_ascii=False, separators=(",", ":"))
    assert len(text) < len(old) / 20
    assert layout_for("cmmm_full", "1").unpack(json.loads(text)) == (answers, na)
    assert json.loads(snapshot_text("no_such_questionnaire", "1", answers, na)) == {"answers": answers, "na": na}


def test_reader_takes_both_snapshot_forms_and_falls_back_to_the_rows(five_submitted, monkeypatch):
    """Compact snapshots, the first form (by item id, migration m045), a snapshot of a layout that no
    longer fits, and none at all: the batched reader gives what the answer rows hold, in chunks."""
    import db.assessments as store

    db = five_submitted
    rows = store._answers_from_rows(db, [1, 2, 3, 4, 5])
    for aid in (1, 2, 3):
        db.execute("UPDATE assessments SET submitted_answers = ? WHERE id = ?",
                   [store.snapshot_text("cmmm_full", "1", *rows[aid]), aid])
    db.execute("UPDATE assessments SET submitted_answers = ? WHERE id = 2",
               [json.dumps({"answers": rows[2][0], "na": rows[2][1]})])
    stale = AnswerLayout(reversed(layout_for("cmmm_full", "1").ids)).pack(*rows[3])
    db.execute("UPDATE assessments SET submitted_answers = ? WHERE id = 3", [json.dumps(stale)])
    db.execute("UPDATE assessments SET submitted_answers = NULL WHERE id IN (4, 5)")
    monkeypatch.setattr(store, "IN_CHUNK", 2)
    read_rows = []
    real = store._answers_from_rows
    monkeypatch.setattr(store, "_answers_from_rows", lambda d, ids: read_rows.append(sorted(ids)) or real(d, ids))
    assert store.answers_for_scoring_many(db, [1, 2, 3, 4, 5]) == rows
    assert read_rows == [[3, 4, 5]]


def test_submit_stores_the_compact_snapshot(fresh_db, ent1):
    from db.assessments import _answers_from_rows
    from tests.test_results_data import full_answers, submit_full

    aid = submit_full(fresh_db, ent1, full_answers())
    text = fresh_db.execute("SELECT submitted_answers FROM assessments WHERE id = ?", [aid]).fetchone()[0]
    layout = layout_for("cmmm_full", registry.latest("cmmm_full").version)
    assert json.loads(text)["layout"] == layout.fingerprint
    assert layout.unpack(json.loads(text)) == _answers_from_rows(fresh_db, [aid])[aid]


def test_audit_entries_of_a_batch_read_like_single_ones(five_submitted):
    from db import audit

    db = five_submitted
    old, new = {"level": 2, "名称": "甲"}, {"level": 3, "score": 3.0000000000000004}
    audit.record(db, None, "rescore", "assessment", 1, old=old, new=new, reason="r")
    audit.record_many(db, None, "rescore", "assessment", [(2, old, new, "r"), (3, None, new, None)])
    one, two, three = audit.entries(db, "assessment", 1), audit.entries(db, "assessment", 2), \
        audit.entries(db, "assessment", 3)
    keys = ("user_id", "action", "old", "new", "reason")
    assert [one[0][k] for k in keys] == [two[0][k] for k in keys]
    assert three[0]["old"] is None and json.loads(three[0]["new"]) == new and three[0]["reason"] is None


def test_storing_a_version_again_replaces_it_in_the_current_round_only(five_submitted):
    from db.assessments import answers_for_scoring, result_row, store_results_many
    from db.connection import write_txn

    db = five_submitted
    q = registry.get("cmmm_full", "1")
    answers, na = answers_for_scoring(db, 1)
    row = result_row(1, q.id, q.version, scoring.score(q, answers, na))
    for _ in range(2):
        with write_txn(db):
            store_results_many(db, "self", [row])
    mine = "SELECT id, round_no, is_current FROM results WHERE assessment_id = 1 AND scoring_version = ?"
    (first_id, round_no, current), = db.execute(mine, [q.scoring.version]).fetchall()
    assert (round_no, current) == (1, 1)
    assert db.execute("SELECT count(*) FROM result_subdomains WHERE result_id = ?", [first_id]).fetchone()[0] == 20
    assert db.execute("SELECT count(*) FROM result_subdomains d LEFT JOIN results r ON r.id = d.result_id "
                      "WHERE r.id IS NULL").fetchone()[0] == 0
    db.execute("UPDATE assessments SET round_no = 2 WHERE id = 1")
    with write_txn(db):
        store_results_many(db, "self", [row])
    assert sorted(r[1:] for r in db.execute(mine, [q.scoring.version]).fetchall()) == [(1, 0), (2, 1)]
