"""Fuzz the save path: any JSON-like value for any item is stored valid or refused with a Chinese message.

Hypothesis sends arbitrary values (wrong types, NaN, infinities, huge numbers, long and odd
text, nested lists and objects) and not-applicable reasons to every question type of a small
inline questionnaire, through ``filling.save_item`` into a real database. Properties: the only
outcomes are saved / unchanged / invalid; a refusal carries a bilingual message whose Chinese has
no English words and leaves the stored row exactly as it was; what is stored is a valid answer.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assessments import filling
from db.assessments import load_answers, start_assessment
from questionnaires.answers import value_problem
from questionnaires.loader import load_text
from questionnaires.model import QUESTION_TYPES, Text
from tests.conftest import identity_of

INLINE = load_text("""\
format: 1
id: fuzz_answers
version: "1"
title: 答案模糊测试
na_reason_max_length: 40
sections:
  - id: main
    title: 主要
    questions:
      - {id: q_single, type: single_choice, text: 单选, options: [{id: a, label: 甲}, {id: b, label: 乙}]}
      - id: q_multi
        type: multiple_choice
        text: 多选
        allow_na: true
        options: [{id: x, label: 选项一}, {id: y, label: 选项二}, {id: none, label: 都没有, exclusive: true}]
      - {id: q_scale, type: scale4, text: 满足程度, level: 1}
      - {id: q_total, type: integer, text: 总数, min: 0, max: 1000, unit: {zh: 台, en: units}}
      - {id: q_part, type: integer, text: 部分, min: 0}
      - {id: q_decimal, type: decimal, text: 金额, min: -5.5, max: 1.0e+6}
      - {id: q_percent, type: percentage, text: 比例, allow_na: true}
      - {id: q_yes_no, type: yes_no, text: 是否}
      - {id: q_text, type: text, text: 名称, max_length: 30}
      - {id: q_long, type: long_text, text: 说明}
  - id: optional
    title: 可选部分
    allow_na: true
    questions:
      - {id: q_more, type: text, text: 补充}
checks:
  - id: part_le_total
    assert: {question: q_part, lte: {question: q_total}}
    message: {zh: 部分不能多于总数, en: Part cannot exceed total}
""", "fuzz_answers.yaml")

QUESTION_IDS = [q.id for q in INLINE.questions.values()]
ITEM_IDS = QUESTION_IDS + [s.id for s in INLINE.sections] + ["ghost", "", "Q_SINGLE"]
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")

json_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**40), max_value=10**40)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=60)
                | st.text(min_size=25, max_size=2100).map(lambda s: s * 1))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
# Values close to valid ones, so that the fuzzer also reaches the range, length and check logic.
near_valid = st.one_of(
    st.sampled_from(["a", "b", "c", "x", "y", "none", "yes", "no", "fully_met", "not_met", " a "]),
    st.lists(st.sampled_from(["x", "y", "none", "z", 1]), max_size=4),
    st.integers(min_value=-10, max_value=1100), st.floats(min_value=-10, max_value=1100),
    st.sampled_from([10**15, 10**15 + 1, 1e300, -0.0, math.nan, math.inf, -math.inf]),
    st.text(alphabet="数字化 ab\n\t", max_size=2010),
)
values = st.one_of(json_values, near_valid)
reasons = st.one_of(st.none(), st.text(max_size=50), st.just("  "), st.text(min_size=41, max_size=60), json_values)


@pytest.fixture(scope="module")
def assessment(tmp_path_factory):
    from db.connection import forget_connections
    from startup.bootstrap import ensure_ready

    path = str(tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZB_DB_PATH", path)
        mp.setenv("ZB_DEMO", "1")
        db = ensure_ready(path)
        who = identity_of(db, "ent1")
        aid, _ = start_assessment(db, who, INLINE.id, INLINE.version)
        yield db, who, aid
        forget_connections()


def _row(db, who, aid, item_id):
    stored = load_answers(db, who, aid).get(item_id) if isinstance(item_id, str) else None
    return None if stored is None else (stored.value, stored.na_reason, stored.rev, stored.updated_at)


def _assert_chinese_message(message):
    assert isinstance(message, Text) and message.zh and message.en
    shown = re.sub(r"「.*?」", "", message.zh, flags=re.S)  # an echoed answer may be anything
    assert not ENGLISH_WORD.search(shown), message.zh


def _save_and_check(assessment, item_id, value, reason):
    db, who, aid = assessment
    before = _row(db, who, aid, item_id)
    rows_before = len(load_answers(db, who, aid))
    outcome = filling.save_item(db, who, INLINE, aid, item_id, value,
                                expected_rev=before[2] if before else 0, na_reason=reason)
    after = _row(db, who, aid, item_id)
    assert outcome.status in ("saved", "unchanged", "invalid"), outcome
    if outcome.status != "saved":
        assert after == before, "a refused or unchanged write changed the stored row"
        assert len(load_answers(db, who, aid)) == rows_before
        if outcome.status == "invalid":
            _assert_chinese_message(outcome.message)
        return outcome
    stored_value, stored_reason, rev, _ = after
    assert rev == (before[2] if before else 0) + 1
    if stored_reason is not None:
        assert stored_value is None and isinstance(stored_reason, str)
        assert stored_reason == stored_reason.strip() and 0 < len(stored_reason) <= INLINE.na_reason_max_length
    elif item_id in INLINE.questions:
        question = INLINE.questions[item_id]
        assert value_problem(question, stored_value) is None
        if isinstance(stored_value, float):
            assert math.isfinite(stored_value)
    else:
        assert stored_value is None  # a section stores only a not-applicable declaration (or its withdrawal)
    return outcome


def test_the_inline_questionnaire_has_every_question_type():
    assert {q.type for q in INLINE.questions.values()} == set(QUESTION_TYPES)


@pytest.mark.parametrize("item_id", QUESTION_IDS)
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(value=values)
@example(value=math.nan).via("non-finite")
@example(value=math.inf).via("non-finite")
@example(value=-math.inf).via("non-finite")
@example(value=10**400).via("beyond float")
@example(value=0).via("falsy")
@example(value=[]).via("falsy")
@example(value={}).via("falsy")
@example(value=True).via("bool")
@example(value=["x", "x"]).via("duplicate")
@example(value="\ud800").via("lone surrogate")
def test_any_value_for_any_question_is_saved_valid_or_refused_cleanly(assessment, item_id, value):
    _save_and_check(assessment, item_id, value, None)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(item_id=st.one_of(st.sampled_from(ITEM_IDS), st.integers(), st.none()), value=values, reason=reasons)
def test_any_not_applicable_declaration_is_saved_valid_or_refused_cleanly(assessment, item_id, value, reason):
    _save_and_check(assessment, item_id, value, reason)


@pytest.mark.parametrize("item_id,value,reason,fragment", [
    ("q_multi", 3, None, "请从选项中勾选"),
    ("q_multi", 0, None, "请从选项中勾选"),  # not "cleared"
    ("q_single", ["a"], None, "请从选项中选择一项"),
    ("q_total", True, None, "请输入数字"),
    ("q_total", float("nan"), None, "有效的数字"),
    ("q_decimal", float("inf"), None, "有效的数字"),
    ("q_part", 10**16, None, "数字过大"),
    ("q_total", 1001, None, "不能大于 1000台"),
    ("q_multi", ["x", "zz"], None, "没有的选项"),
    ("q_text", "长" * 31, None, "不能超过 30 个字符"),
    ("q_long", "长" * 2001, None, "不能超过 2000 个字符"),
    ("q_text", "\ud800", None, "请输入文字"),
    ("q_percent", None, 5, "理由必须是文字"),
    ("q_percent", None, "理" * 41, "理由不能超过 40 个字符"),
    ("q_single", None, "无", "不允许"),
    ("optional", "anything", None, "只能声明"),
    ("ghost", 1, None, "没有这一项"),
])
def test_refusals_name_the_problem_in_chinese(assessment, item_id, value, reason, fragment):
    outcome = _save_and_check(assessment, item_id, value, reason)
    assert outcome.status == "invalid" and fragment in outcome.message.zh


def test_a_valid_answer_and_reason_are_stored_normalised(assessment):
    db, who, aid = assessment
    assert _save_and_check(assessment, "q_text", "  名称  ", None).status in ("saved", "unchanged")
    assert load_answers(db, who, aid)["q_text"].value == "名称"
    assert _save_and_check(assessment, "optional", None, "  不涉及  ").status in ("saved", "unchanged")
    assert load_answers(db, who, aid)["optional"].na_reason == "不涉及"
