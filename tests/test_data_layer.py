"""Data-layer invariants: role isolation, no lost or silently overwritten write, one submission."""

from __future__ import annotations

import threading

import pytest

from assessments import filling
from db.assessments import (
    Incomplete,
    ReadOnly,
    get_assessment,
    list_assessments,
    load_answers,
    save_answer,
    start_assessment,
)
from db.connection import get_db, location_of
from db.enterprises import list_enterprises
from db.identity import AccessDenied, NotFound
from db.users import authenticate, open_session, resume_session, revoke_session
from questionnaires import registry
from tests.conftest import identity_of


def _start(db, who, qid="ii_adoption"):
    q = registry.latest(qid)
    aid, _ = start_assessment(db, who, q.id, q.version)
    return q, aid


def test_enterprise_cannot_read_or_write_another_enterprise(fresh_db, ent1, ent2):
    q, aid = _start(fresh_db, ent1)
    with pytest.raises(NotFound):
        get_assessment(fresh_db, ent2, aid)
    with pytest.raises(NotFound):
        load_answers(fresh_db, ent2, aid)
    with pytest.raises(NotFound):
        filling.save_item(fresh_db, ent2, q, aid, "platform_use", "own", expected_rev=0)
    with pytest.raises(NotFound):
        filling.submit(fresh_db, ent2, aid)
    assert all(a["enterprise_id"] == ent2.enterprise_id for a in list_assessments(fresh_db, ent2))
    assert load_answers(fresh_db, ent1, aid) == {}


def test_provider_sees_only_assigned_and_cannot_write(fresh_db, ent1):
    provider = identity_of(fresh_db, "provider1")
    assigned = {e["id"] for e in list_enterprises(fresh_db, provider)}
    assert ent1.enterprise_id in assigned and len(assigned) == 3
    q, aid = _start(fresh_db, ent1)
    assert get_assessment(fresh_db, provider, aid)["id"] == aid
    with pytest.raises(AccessDenied):
        filling.save_item(fresh_db, provider, q, aid, "platform_use", "own", expected_rev=0)
    unassigned = [a for a in list_assessments(fresh_db, identity_of(fresh_db, "bureau1"))
                  if a["enterprise_id"] not in assigned]
    assert unassigned
    with pytest.raises(NotFound):
        get_assessment(fresh_db, provider, unassigned[0]["id"])


def test_colleagues_share_one_open_assessment(fresh_db, ent1, ent1b):
    _, a1 = _start(fresh_db, ent1)
    _, a2 = _start(fresh_db, ent1b)
    assert a1 == a2


def test_stale_write_is_refused_not_overwritten(fresh_db, ent1, ent1b):
    q, aid = _start(fresh_db, ent1)
    first = filling.save_item(fresh_db, ent1, q, aid, "platform_use", "own", expected_rev=0)
    assert first.status == "saved" and first.answer.rev == 1
    stale = filling.save_item(fresh_db, ent1b, q, aid, "platform_use", "none", expected_rev=0)
    assert stale.status == "conflict" and stale.answer.value == "own"
    assert load_answers(fresh_db, ent1, aid)["platform_use"].value == "own"
    fresh = filling.save_item(fresh_db, ent1b, q, aid, "platform_use", "none", expected_rev=1)
    assert fresh.status == "saved"
    stored = load_answers(fresh_db, ent1, aid)["platform_use"]
    assert (stored.value, stored.rev, stored.updated_by) == ("none", 2, ent1b.display_name)


@pytest.mark.parametrize("item,value,fragment", [
    ("equipment_total", -1, "不能小于"),
    ("equipment_total", 2.5, "整数"),
    ("platform_use", "maybe", "不是本题的选项"),
    ("cloud_systems", ["erp", "none_cloud"], "不能与其他选项同时选择"),
    ("platform_name", "x" * 500, "不能超过"),
])
def test_bad_input_is_refused_with_a_message_and_changes_nothing(fresh_db, ent1, item, value, fragment):
    q, aid = _start(fresh_db, ent1)
    outcome = filling.save_item(fresh_db, ent1, q, aid, item, value, expected_rev=0)
    assert outcome.status == "invalid" and fragment in outcome.message.zh
    assert item not in load_answers(fresh_db, ent1, aid)


def test_inconsistent_equipment_counts_are_refused(fresh_db, ent1):
    q, aid = _start(fresh_db, ent1)
    assert filling.save_item(fresh_db, ent1, q, aid, "equipment_total", 100, expected_rev=0).status == "saved"
    outcome = filling.save_item(fresh_db, ent1, q, aid, "equipment_digitised", 120, expected_rev=0)
    assert outcome.status == "invalid" and "数字化设备" in outcome.message.zh
    assert "equipment_digitised" not in load_answers(fresh_db, ent1, aid)


def test_not_applicable_needs_a_reason(fresh_db, ent1):
    q, aid = _start(fresh_db, ent1, "cmmm_full")
    assert filling.save_item(fresh_db, ent1, q, aid, "product_design", None, expected_rev=0, na_reason="  ").status == "invalid"
    ok = filling.save_item(fresh_db, ent1, q, aid, "product_design", None, expected_rev=0, na_reason="无自主产品设计，来料加工")
    assert ok.status == "saved"
    assert load_answers(fresh_db, ent1, aid)["product_design"].na_reason.startswith("无自主")
    refused = filling.save_item(fresh_db, ent1, q, aid, "manufacturing_type", None, expected_rev=0, na_reason="x")
    assert refused.status == "invalid"


def test_submit_is_idempotent_and_makes_the_assessment_read_only(fresh_db, ent1):
    q, aid = _start(fresh_db, ent1, "example")
    answers = {"company_kind": "discrete", "has_erp": "yes", "erp_vendor": "某软件", "employees": 120,
               "systems": ["erp"], "digital_plan": "largely_met"}
    with pytest.raises(Incomplete) as exc:
        filling.submit(fresh_db, ent1, aid)
    assert {p.item_id for p in exc.value.problems} >= {"company_kind", "employees"}
    for item, value in answers.items():
        assert filling.save_item(fresh_db, ent1, q, aid, item, value, expected_rev=0).status == "saved"
    first, created = filling.submit(fresh_db, ent1, aid)
    second, created_again = filling.submit(fresh_db, ent1, aid)
    assert created and not created_again and first["id"] == second["id"]
    assert fresh_db.execute("SELECT count(*) FROM results WHERE assessment_id = ?", [aid]).fetchone()[0] == 1
    assert fresh_db.execute("SELECT count(*) FROM audit_log WHERE action='submit' AND entity_id = ?",
                            [str(aid)]).fetchone()[0] == 1
    with pytest.raises(ReadOnly):
        save_answer(fresh_db, ent1, aid, "employees", 5, expected_rev=1)


def test_concurrent_submits_give_one_submission(fresh_db, ent1):
    q, aid = _start(fresh_db, ent1, "example")
    for item, value in {"company_kind": "discrete", "has_erp": "no", "employees": 9, "systems": ["none_of_these"],
                        "digital_plan": "not_met"}.items():
        filling.save_item(fresh_db, ent1, q, aid, item, value, expected_rev=0)
    path = location_of(fresh_db)
    created = []

    def go():
        _, c = filling.submit(get_db(path), ent1, aid)
        created.append(c)

    threads = [threading.Thread(target=go) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(created) == [False] * 5 + [True]


def test_colleagues_saving_one_item_at_once_one_saves_one_is_told_of_the_conflict(fresh_db, ent1, ent1b):
    """The revision check holds under real concurrency on either engine (PostgreSQL: the assessment's row lock)."""
    q, aid = _start(fresh_db, ent1, "cmmm_full")
    path = location_of(fresh_db)
    items = [x.id for x in q.questions.values() if x.type == "scale4"][:8]
    for item in items:
        outcomes: list[str] = []
        start = threading.Barrier(2)

        def save(who, value, item=item, outcomes=outcomes, start=start):
            db = get_db(path)
            start.wait()
            outcomes.append(filling.save_item(db, who, q, aid, item, value, expected_rev=0).status)

        threads = [threading.Thread(target=save, args=(ent1, "largely_met")),
                   threading.Thread(target=save, args=(ent1b, "fully_met"))]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert sorted(outcomes) == ["conflict", "saved"], item


def test_a_submit_racing_saves_leaves_no_answer_after_it(fresh_db, ent1, ent1b):
    q, aid = _start(fresh_db, ent1, "example")
    for item, value in {"company_kind": "discrete", "has_erp": "no", "employees": 9, "systems": ["none_of_these"],
                        "digital_plan": "not_met"}.items():
        filling.save_item(fresh_db, ent1, q, aid, item, value, expected_rev=0)
    path = location_of(fresh_db)
    statuses: list[str] = []

    def saver():
        db = get_db(path)
        rev = 1
        for n in range(20):
            try:
                outcome = filling.save_item(db, ent1b, q, aid, "employees", 10 + n, expected_rev=rev)
            except Exception as exc:  # noqa: BLE001 - read-only after the submit: recorded, not raised
                statuses.append(type(exc).__name__)
                return
            statuses.append(outcome.status)
            if outcome.status == "saved":
                rev = outcome.answer.rev

    thread = threading.Thread(target=saver)
    thread.start()
    filling.submit(get_db(path), ent1, aid)
    thread.join()
    submitted_at = fresh_db.execute("SELECT submitted_at FROM assessments WHERE id = ?", [aid]).fetchone()[0]
    latest = fresh_db.execute("SELECT max(updated_at) FROM answers WHERE assessment_id = ?", [aid]).fetchone()[0]
    assert submitted_at is not None and latest <= submitted_at
    # Every save acknowledged before the submit landed (each raised the revision by one), none after it.
    rev = fresh_db.execute("SELECT rev FROM answers WHERE assessment_id = ? AND item_id = 'employees'",
                           [aid]).fetchone()[0]
    assert rev == 1 + statuses.count("saved")
    assert set(statuses) <= {"saved", "ReadOnly"}


def test_concurrent_item_writes_lose_nothing(fresh_db, ent1, ent1b):
    """Two colleagues, 4 threads each writing their own items at once: every write lands."""
    q, aid = _start(fresh_db, ent1, "cmmm_full")
    path = location_of(fresh_db)
    items = [x.id for x in q.questions.values() if x.type == "scale4"][:120]
    errors = []

    def writer(who, chunk):
        db = get_db(path)
        for item in chunk:
            outcome = filling.save_item(db, who, q, aid, item, "largely_met", expected_rev=0)
            if outcome.status != "saved":
                errors.append((item, outcome.status))

    threads = [threading.Thread(target=writer, args=(ent1 if i % 2 else ent1b, items[i::4])) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    stored = load_answers(fresh_db, ent1, aid)
    assert all(stored[i].value == "largely_met" for i in items)


def test_sessions_expire_and_can_be_revoked(fresh_db, ent1):
    token = open_session(fresh_db, ent1)
    assert resume_session(fresh_db, token, idle_minutes=30) == ent1
    assert resume_session(fresh_db, "forged", idle_minutes=30) is None
    fresh_db.execute("UPDATE auth_sessions SET last_seen_at = '2020-01-01T00:00:00.000000Z'")
    assert resume_session(fresh_db, token, idle_minutes=30) is None
    token2 = open_session(fresh_db, ent1)
    revoke_session(fresh_db, token2)
    assert resume_session(fresh_db, token2, idle_minutes=30) is None
    stored = [r["token_hash"] for r in fresh_db.query("SELECT token_hash FROM auth_sessions")]
    assert token not in stored and token2 not in stored


def test_repeated_failed_sign_ins_make_the_account_wait(fresh_db):
    """Details (delay growth, parallel guesses, addresses) are in tests/test_auth.py."""
    for _ in range(5):
        assert authenticate(fresh_db, "ent1", "wrong").error == "bad_credentials"
    assert authenticate(fresh_db, "ent1", "wrong").error == "throttled"
    assert authenticate(fresh_db, "ent1", "zibo2025").error == "throttled"
    assert authenticate(fresh_db, "nobody", "zibo2025").error == "bad_credentials"


def test_passwords_are_stored_as_scrypt_hashes(fresh_db):
    hashes = [r["password_hash"] for r in fresh_db.query("SELECT password_hash FROM users")]
    assert all(h.startswith("scrypt$16384$") and "zibo2025" not in h for h in hashes)
