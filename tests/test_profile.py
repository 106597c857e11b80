"""Company profile and pre-filled re-assessment in the data layer: access, validation, audit, gates."""

from __future__ import annotations

import json
import random

import pytest

from assessments import filling
from db import assessments as store
from db import audit
from db.assessments import Incomplete, ReadOnly, UnconfirmedSections, confirm_section, list_assessments
from db.enterprises import (
    ProfileIncomplete,
    ProfileInvalid,
    get_enterprise,
    profile_missing,
    update_profile,
    validate_profile,
)
from db.identity import AccessDenied, NotFound
from questionnaires import registry
from startup.demo import _ii_answers
from tests.conftest import identity_of
from zibo.reference import with_check_character

GOOD = {"name": "淄博测试机械有限公司", "credit_code": with_check_character("91370303MA3C9X1K2"),
        "district": "zhangdian", "industry_code": "34", "above_scale": True, "production_type": "discrete",
        "employees": "250", "revenue_wan": "32000.75", "contact_name": "测试联系人", "contact_phone": "13805330000"}


def profile_of(db, who, **changes):
    row = get_enterprise(db, who, who.enterprise_id)
    values = {f: row[f] for f in GOOD}
    values.update(changes)
    return values


@pytest.mark.parametrize("field,bad", [
    ("name", "   "), ("credit_code", "91370303MA3C9X1K2"), ("district", "jinan"), ("industry_code", "44"),
    ("above_scale", None), ("production_type", "batch"), ("employees", "0"), ("employees", "12.5"),
    ("employees", "abc"), ("revenue_wan", "-1"), ("revenue_wan", "1.00001"), ("revenue_wan", "NaN"),
    ("revenue_wan", "一千"), ("contact_name", ""), ("contact_phone", "12345"), ("contact_phone", "0533-12"),
])
def test_each_bad_field_is_named_with_a_chinese_message(field, bad):
    _, problems = validate_profile({**GOOD, field: bad})
    assert list(problems) == [field]
    assert problems[field].zh and problems[field].en


def test_values_are_normalised_exactly():
    clean, problems = validate_profile({**GOOD, "credit_code": " " + GOOD["credit_code"].lower() + " ",
                                        "employees": "1,250", "revenue_wan": "０１２３４５.５０",
                                        "contact_phone": "+86 0533-2345678"})
    assert not problems
    assert clean["credit_code"] == GOOD["credit_code"]
    assert (clean["employees"], clean["revenue_wan"], clean["contact_phone"]) == (1250, "12345.5", "0533-2345678")


def test_demo_profiles_are_complete_and_valid(fresh_db):
    for row in fresh_db.query("SELECT * FROM enterprises"):
        assert profile_missing(row) == []
        assert validate_profile(row)[1] == {}, row["name"]


def test_enterprise_updates_only_its_own_profile_and_every_change_is_audited(fresh_db, ent1, ent2):
    changes = update_profile(fresh_db, ent1, ent1.enterprise_id, profile_of(fresh_db, ent1, employees="421",
                                                                            contact_name="新联系人"))
    assert changes == {"employees": (420, 421), "contact_name": ("张工", "新联系人")}
    entry = [e for e in audit.entries(fresh_db, "enterprise", ent1.enterprise_id) if e["action"] == "update_profile"]
    assert len(entry) == 1
    assert json.loads(entry[0]["old"]) == {"employees": 420, "contact_name": "张工"}
    assert json.loads(entry[0]["new"]) == {"employees": 421, "contact_name": "新联系人"}
    assert entry[0]["user_id"] == ent1.user_id and entry[0]["at"].endswith("Z")
    assert update_profile(fresh_db, ent1, ent1.enterprise_id, profile_of(fresh_db, ent1)) == {}  # no-op, no entry
    with pytest.raises(NotFound):
        update_profile(fresh_db, ent2, ent1.enterprise_id, profile_of(fresh_db, ent1))


def test_provider_reads_but_never_writes_bureau_writes_any(fresh_db, ent1):
    provider = identity_of(fresh_db, "provider1")
    bureau = identity_of(fresh_db, "bureau1")
    assert get_enterprise(fresh_db, provider, ent1.enterprise_id)["name"]
    with pytest.raises(AccessDenied):
        update_profile(fresh_db, provider, ent1.enterprise_id, profile_of(fresh_db, ent1, employees="1"))
    update_profile(fresh_db, bureau, ent1.enterprise_id, profile_of(fresh_db, ent1, employees="999"))
    assert get_enterprise(fresh_db, bureau, ent1.enterprise_id)["employees"] == 999


def test_credit_code_clash_is_refused_without_leaking_the_other_enterprise(fresh_db, ent1, ent2):
    theirs = get_enterprise(fresh_db, ent2, ent2.enterprise_id)
    before = get_enterprise(fresh_db, ent1, ent1.enterprise_id)
    with pytest.raises(ProfileInvalid) as exc:
        update_profile(fresh_db, ent1, ent1.enterprise_id,
                       profile_of(fresh_db, ent1, credit_code=theirs["credit_code"].lower(), employees="5"))
    message = exc.value.problems["credit_code"].zh
    assert "另一家企业" in message and theirs["name"] not in message
    assert get_enterprise(fresh_db, ent1, ent1.enterprise_id) == before
    bureau = identity_of(fresh_db, "bureau1")
    with pytest.raises(ProfileInvalid) as exc:
        update_profile(fresh_db, bureau, ent1.enterprise_id, profile_of(fresh_db, ent1, credit_code=theirs["credit_code"]))
    assert theirs["name"] in exc.value.problems["credit_code"].zh


def test_a_new_assessment_cannot_start_before_the_profile_is_complete(fresh_db, ent1):
    q = registry.latest("ii_adoption")
    fresh_db.execute("UPDATE enterprises SET revenue_wan = NULL, contact_phone = '' WHERE id = ?", [ent1.enterprise_id])
    with pytest.raises(ProfileIncomplete) as exc:
        store.start_assessment(fresh_db, ent1, q.id, q.version)
    assert exc.value.missing == ["revenue_wan", "contact_phone"]
    with pytest.raises(ProfileIncomplete):
        filling.start_prefilled(fresh_db, ent1, q)
    assert not list_assessments(fresh_db, ent1)
    update_profile(fresh_db, ent1, ent1.enterprise_id, profile_of(fresh_db, ent1, revenue_wan="100",
                                                                  contact_phone="0533-1234567"))
    aid, created = store.start_assessment(fresh_db, ent1, q.id, q.version)
    assert created
    fresh_db.execute("UPDATE enterprises SET employees = NULL WHERE id = ?", [ent1.enterprise_id])
    assert store.start_assessment(fresh_db, ent1, q.id, q.version) == (aid, False)  # an open one still opens


def _submit_ii(db, who, seed=11):
    q = registry.latest("ii_adoption")
    aid, _ = store.start_assessment(db, who, q.id, q.version)
    answers = _ii_answers(random.Random(seed))
    for item, value in answers.items():
        assert filling.save_item(db, who, q, aid, item, value, expected_rev=0).status == "saved"
    filling.submit(db, who, aid)
    return q, aid, answers


def test_prefill_copies_the_last_submission_and_blocks_submit_until_confirmed(fresh_db, ent1, ent1b, ent2):
    q, first, answers = _submit_ii(fresh_db, ent1)
    aid, created = filling.start_prefilled(fresh_db, ent1b, q)
    assert created and aid != first
    stored, _ = store.split_answers(store.load_answers(fresh_db, ent1b, aid))
    assert stored == answers
    state = store.prefill_state(fresh_db, ent1, aid)
    expected_sections = {q.questions[item].section_id for item in answers}
    assert set(state) == expected_sections
    assert sum(r["items"] for r in state.values()) == len(answers)
    assert json.loads([e for e in audit.entries(fresh_db, "assessment", aid) if e["action"] == "prefill"][0]["new"])[
        "from"] == first
    assert filling.start_prefilled(fresh_db, ent1, q) == (aid, False)  # the open one, not a second copy

    with pytest.raises(Incomplete) as exc:
        filling.submit(fresh_db, ent1, aid)
    assert {p.section_id for p in exc.value.problems} == expected_sections
    assert all(p.code == "unconfirmed" and "请确认或修改" in p.message.zh for p in exc.value.problems)
    with pytest.raises(UnconfirmedSections):
        store.submit(fresh_db, ent1, aid, lambda a, n: {"method": "none", "scoring_version": "none"})

    with pytest.raises(NotFound):
        confirm_section(fresh_db, ent2, aid, sorted(expected_sections)[0])
    *first_ones, last = [s.id for s in q.sections if s.id in expected_sections]
    for section in first_ones:
        assert confirm_section(fresh_db, ent1, aid, section)
    assert not confirm_section(fresh_db, ent1, aid, first_ones[0])  # already confirmed: no second audit entry
    with pytest.raises(Incomplete) as exc:
        filling.submit(fresh_db, ent1, aid)
    assert [p.section_id for p in exc.value.problems] == [last]
    assert fresh_db.execute("SELECT status FROM assessments WHERE id = ?", [aid]).fetchone()[0] == "draft"

    assert confirm_section(fresh_db, ent1b, aid, last)
    result, created = filling.submit(fresh_db, ent1, aid)
    assert created and result["outcome"] is not None
    with pytest.raises(ReadOnly):
        confirm_section(fresh_db, ent1, aid, last)
    history = list_assessments(fresh_db, ent1, q.id)
    assert [(a["id"], a["status"], a["prefilled_from"]) for a in history] == [
        (aid, "submitted", first), (first, "submitted", None)]
    confirmations = [e for e in audit.entries(fresh_db, "assessment", aid) if e["action"] == "confirm_section"]
    assert len(confirmations) == len(expected_sections)


def test_prefill_without_an_earlier_submission_starts_empty(fresh_db, ent2):
    q = registry.latest("ii_adoption")
    aid, created = filling.start_prefilled(fresh_db, ent2, q)
    assert created and store.load_answers(fresh_db, ent2, aid) == {}
    assert store.prefill_state(fresh_db, ent2, aid) == {}


def test_a_hidden_prefilled_section_does_not_block_submitting(fresh_db, ent1):
    """A section the new answers make irrelevant cannot be shown, so it cannot be confirmed: it must not block."""
    q, first, answers = _submit_ii(fresh_db, ent1)
    aid, _ = filling.start_prefilled(fresh_db, ent1, q)
    pending = store.unconfirmed_sections(fresh_db, aid)
    for section in pending:
        confirm_section(fresh_db, ent1, aid, section)
    fresh_db.execute("INSERT INTO prefill_sections (assessment_id, section_id, source_assessment_id, items) "
                     "VALUES (?, 'no_longer_in_this_version', ?, 1)", [aid, first])
    _, created = filling.submit(fresh_db, ent1, aid)
    assert created
