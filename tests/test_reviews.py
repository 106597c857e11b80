"""Provider review (issue 10): the full cycle, rounds kept, optimistic locking, access, audit."""

from __future__ import annotations

import pytest

from assessments import filling
from db import reviews
from db.assessments import ReadOnly, current_result_row, get_assessment
from db.identity import AccessDenied, Identity, NotFound
from questionnaires import registry
from review import verification
from tests.conftest import identity_of
from tests.test_results_data import full_answers, submit_full

FULL = registry.latest("cmmm_full")


@pytest.fixture
def submitted(fresh_db, ent1):
    """ent1's known full maturity assessment, submitted: its id."""
    return submit_full(fresh_db, ent1, full_answers())


@pytest.fixture
def provider1(fresh_db):
    return identity_of(fresh_db, "provider1")


@pytest.fixture
def provider_b(fresh_db):
    """A second provider organisation with one user, assigned to enterprise 4 only."""
    from db.connection import write_txn
    from db.enterprises import assign, create_provider
    from db.users import create_user

    with write_txn(fresh_db):
        pid = create_provider(fresh_db, "另一家服务商（演示）", is_demo=True)
        eid = fresh_db.execute("SELECT id FROM enterprises ORDER BY id LIMIT 1 OFFSET 3").fetchone()[0]
        assign(fresh_db, None, pid, eid)
        create_user(fresh_db, "providerB", "zibo2025", "provider", "钱顾问（演示）", provider_id=pid, is_demo=True)
    return identity_of(fresh_db, "providerB")


def scale_items(answers: dict, n: int) -> list[str]:
    return [k for k, v in answers.items() if k in FULL.questions and FULL.questions[k].type == "scale4"][:n]


def actions(db, aid) -> list[str]:
    return [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity = 'assessment' AND entity_id = ? "
                                     "ORDER BY id", [str(aid)]).fetchall()]


def test_full_cycle_submit_return_resubmit_verify_keeps_everything(fresh_db, ent1, provider1, submitted):
    aid, db = submitted, fresh_db
    answers = full_answers()
    first, second = scale_items(answers, 2)
    self1 = current_result_row(db, aid)
    waiting = reviews.queue(db, provider1)
    assert waiting[-1]["id"] == aid  # oldest first: the demo submissions of enterprise 3 came earlier

    rev, problem = verification.save_item(db, provider1, FULL, aid, first, action="adjust", value="not_met",
                                       reason="现场未见制度文件", comment="请补充制度文件", expected_rev=0)
    assert problem is None and rev == 1
    rev, problem = verification.save_item(db, provider1, FULL, aid, second, action="confirm", expected_rev=rev)
    assert problem is None and rev == 2
    reviews.return_for_revision(db, provider1, aid, [first], overall_comment="请修改第一题", expected_rev=rev)
    assert get_assessment(db, ent1, aid)["status"] == "returned"
    told = reviews.last_closed_round(db, ent1, aid)
    assert told["status"] == "returned" and told["items"][first]["revisit"] == 1
    assert told["items"][first]["comment"] == "请补充制度文件" and told["overall_comment"] == "请修改第一题"

    outcome = filling.save_item(db, ent1, FULL, aid, first, "partly_met", expected_rev=1)
    assert outcome.status == "saved"
    filling.submit(db, ent1, aid)
    row = get_assessment(db, ent1, aid)
    assert row["status"] == "submitted" and row["round_no"] == 2
    assert reviews.last_closed_round(db, ent1, aid) is None  # the requests of round 1 are done with
    selfs = list(db.query("SELECT * FROM results WHERE assessment_id = ? AND kind = 'self' ORDER BY id", [aid]))
    assert len(selfs) == 2 and [r["is_current"] for r in selfs] == [0, 1] and selfs[0]["id"] == self1["id"]

    state = reviews.review_state(db, provider1, aid)
    assert state.round is None and state.rev == 0  # a fresh round for the resubmission
    rev, _ = verification.save_item(db, provider1, FULL, aid, second, action="adjust", value="partly_met",
                                 reason="证据不足", expected_rev=0)
    stored = verification.verify(db, provider1, FULL, aid, overall_comment="核验通过", expected_rev=rev)
    row = get_assessment(db, ent1, aid)
    assert row["status"] == "verified" and row["verified_at"]
    answers[first] = "partly_met"
    expected = verification.verified_result(FULL, answers, {}, {second: "partly_met"})
    assert stored["kind"] == "verified" and stored["score"] == pytest.approx(expected["score"])
    assert current_result_row(db, aid, "verified")["is_current"] == 1
    assert current_result_row(db, aid, "self")["round_no"] == 2
    all_rounds = reviews.rounds(db, ent1, aid)
    assert [(r["round_no"], r["status"]) for r in all_rounds] == [(1, "returned"), (2, "verified")]
    assert all_rounds[0]["items"][first]["verified_value"] == "not_met"
    assert actions(db, aid) == ["start", "submit", "review_open", "review_item", "review_item", "return",
                                "resubmit", "review_open", "review_item", "verify"]
    with pytest.raises(ReadOnly):
        filling.save_item(db, ent1, FULL, aid, first, "fully_met", expected_rev=2)
    with pytest.raises(reviews.ReviewRefused):
        verification.save_item(db, provider1, FULL, aid, first, action="confirm", expected_rev=1)


def test_verified_result_counts_in_the_kpi_rows(fresh_db, provider1):
    from db.kpi import adoption_rows

    ent3 = identity_of(fresh_db, "ent3")
    aid = next(a["id"] for a in reviews.queue(fresh_db, provider1) if a["questionnaire_id"] == "ii_adoption")
    q = filling.questionnaire_of(get_assessment(fresh_db, ent3, aid))
    stored = verification.verify(fresh_db, provider1, q, aid, overall_comment=None, expected_rev=0)
    bureau = identity_of(fresh_db, "bureau1")
    from db.connection import write_txn

    code = fresh_db.execute("SELECT credit_code, name, district, industry_code FROM enterprises e "
                            "JOIN assessments a ON a.enterprise_id = e.id WHERE a.id = ?", [aid]).fetchone()
    with write_txn(fresh_db):
        fresh_db.execute("INSERT INTO roster_entries (year, credit_code, name, district, industry_code, source_row, "
                         "imported_at) VALUES (2025,?,?,?,?,1,'2025-01-01T00:00:00Z')", list(code))
    row = next(r for r in adoption_rows(fresh_db, bureau, 2025) if r["assessment_id"] == aid)
    assert row["status"] == "verified" and row["verified_outcome"] == stored["outcome"] and row["verified_at"]


def test_adjust_needs_a_reason_and_a_valid_value_and_changes_nothing(fresh_db, provider1, submitted):
    item = scale_items(full_answers(), 1)[0]
    for kwargs, fragment in [({"value": "not_met", "reason": "  "}, "理由"),
                             ({"value": "bogus", "reason": "x"}, "满足程度"),
                             ({"value": None, "reason": "x"}, "核验值")]:
        rev, problem = verification.save_item(fresh_db, provider1, FULL, submitted, item, action="adjust",
                                           expected_rev=0, **kwargs)
        assert rev is None and fragment in problem.zh
    assert reviews.review_state(fresh_db, provider1, submitted).rev == 0
    assert fresh_db.execute("SELECT count(*) FROM review_items").fetchone()[0] == 0


def test_second_concurrent_save_is_refused_and_nothing_is_lost(fresh_db, provider1, submitted):
    from db.connection import write_txn
    from db.users import create_user

    with write_txn(fresh_db):
        create_user(fresh_db, "provider1b", "zibo2025", "provider", "孙顾问（演示）", provider_id=provider1.provider_id)
    colleague = identity_of(fresh_db, "provider1b")
    a, b = scale_items(full_answers(), 2)
    seen = reviews.review_state(fresh_db, provider1, submitted).rev  # both open the page at revision 0
    verification.save_item(fresh_db, provider1, FULL, submitted, a, action="adjust", value="not_met", reason="甲的理由",
                        expected_rev=seen)
    with pytest.raises(reviews.ReviewConflict) as refused:
        verification.save_item(fresh_db, colleague, FULL, submitted, a, action="confirm", expected_rev=seen)
    assert refused.value.current_rev == 1
    with pytest.raises(reviews.ReviewConflict):
        reviews.return_for_revision(fresh_db, colleague, submitted, [b], overall_comment=None, expected_rev=seen)
    state = reviews.review_state(fresh_db, colleague, submitted)
    assert state.items[a]["action"] == "adjust" and state.items[a]["reason"] == "甲的理由"
    assert state.assessment["status"] == "submitted"
    # after the reload the colleague saves with the revision now shown
    verification.save_item(fresh_db, colleague, FULL, submitted, b, action="confirm", expected_rev=state.rev)
    assert set(reviews.review_state(fresh_db, provider1, submitted).items) == {a, b}


def test_return_names_items_and_is_refused_without_any(fresh_db, provider1, submitted):
    with pytest.raises(reviews.ReviewRefused) as refused:
        reviews.return_for_revision(fresh_db, provider1, submitted, [], overall_comment="x", expected_rev=0)
    assert refused.value.key == "rv_revisit_needed"


def test_provider_b_cannot_see_or_act_on_provider_a_enterprises(fresh_db, provider1, provider_b, submitted):
    item = scale_items(full_answers(), 1)[0]
    assert submitted not in [a["id"] for a in reviews.queue(fresh_db, provider_b, statuses=reviews.REVIEW_STATUSES)]
    for call in (lambda: reviews.review_state(fresh_db, provider_b, submitted),
                 lambda: reviews.rounds(fresh_db, provider_b, submitted),
                 lambda: verification.save_item(fresh_db, provider_b, FULL, submitted, item, action="confirm",
                                             expected_rev=0),
                 lambda: reviews.save_overall_comment(fresh_db, provider_b, submitted, "x", expected_rev=0),
                 lambda: reviews.return_for_revision(fresh_db, provider_b, submitted, [item], overall_comment=None,
                                                     expected_rev=0),
                 lambda: verification.verify(fresh_db, provider_b, FULL, submitted, overall_comment=None,
                                          expected_rev=0)):
        with pytest.raises(NotFound):
            call()
    assert fresh_db.execute("SELECT count(*) FROM review_rounds").fetchone()[0] == 0
    assert reviews.self_and_verified(fresh_db, provider_b) == []


@pytest.mark.parametrize("user", ["ent1", "bureau1", "admin"])
def test_only_providers_act(fresh_db, user, submitted):
    who = identity_of(fresh_db, user)
    with pytest.raises(AccessDenied):
        reviews.save_overall_comment(fresh_db, who, submitted, "x", expected_rev=0)
    with pytest.raises(AccessDenied):
        verification.verify(fresh_db, who, FULL, submitted, overall_comment=None, expected_rev=0)


def test_bureau_queue_sees_every_submission(fresh_db, submitted):
    bureau = identity_of(fresh_db, "bureau1")
    waiting = reviews.queue(fresh_db, bureau)
    assert submitted in [a["id"] for a in waiting] and len({a["enterprise_id"] for a in waiting}) > 3
    assert [a["submitted_at"] for a in waiting] == sorted(a["submitted_at"] for a in waiting)
    zhangdian = reviews.queue(fresh_db, bureau, district="zhangdian")
    assert {a["district"] for a in zhangdian} == {"zhangdian"}
    assert reviews.queue(fresh_db, bureau, submitted_before="2000-01-01T00:00:00Z") == []


def test_signed_out_review_saves_nothing(fresh_db, provider1, submitted):
    from db.identity import SessionEnded
    from db.users import open_session, revoke_session

    token = open_session(fresh_db, provider1)
    from db.users import token_hash

    live = Identity(**{**provider1.__dict__, "session": token_hash(token)})
    revoke_session(fresh_db, token)
    with pytest.raises(SessionEnded):
        reviews.save_overall_comment(fresh_db, live, submitted, "x", expected_rev=0)
    assert fresh_db.execute("SELECT count(*) FROM review_rounds").fetchone()[0] == 0


def test_subdomain_difference_is_self_minus_verified(fresh_db, provider1, submitted):
    item = scale_items(full_answers(), 1)[0]
    sd = FULL.questions[item].section_id
    rev, _ = verification.save_item(fresh_db, provider1, FULL, submitted, item, action="adjust", value="not_met",
                                 reason="无记录", expected_rev=0)
    verification.verify(fresh_db, provider1, FULL, submitted, overall_comment=None, expected_rev=rev)
    diffs = verification.subdomain_differences(reviews.self_and_verified(fresh_db, provider1))
    mean, n = diffs[("cmmm_full", sd)]
    assert n == 1 and mean > 0
    assert all(m == 0 for (q, s), (m, _) in diffs.items() if s != sd and q == "cmmm_full")


def test_overall_comment_is_saved_and_audited(fresh_db, provider1, submitted):
    rev = reviews.save_overall_comment(fresh_db, provider1, submitted, "  请补充  证据 ", expected_rev=0)
    assert rev == 1 and reviews.review_state(fresh_db, provider1, submitted).round["overall_comment"] == "请补充 证据"
    entry = fresh_db.execute("SELECT user_id, old, new FROM audit_log WHERE action = 'review_comment'").fetchone()
    assert entry[0] == provider1.user_id and "请补充 证据" in entry[2]
