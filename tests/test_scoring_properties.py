"""Property tests for the scoring arithmetic (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from questionnaires.answers import failed_checks
from questionnaires.loader import load_file
from questionnaires.model import SCALE4
from tests.cmmm_inline import TYPES, build, scale_items
from tests.conftest import ROOT

SETTINGS = settings(max_examples=100, deadline=None)
Q = build()
ITEMS = scale_items(Q)
PROCESS_ONLY = [i for i in ITEMS if i.endswith("_process")]
SD_C = [i for i in ITEMS if i.startswith("sd_c_")]

answers_st = st.fixed_dictionaries(
    {"manufacturing_type": st.sampled_from(TYPES)},
    optional={qid: st.sampled_from(SCALE4) for qid in ITEMS},
)
na_st = st.sampled_from([{}, {"sd_a": "n/a"}, {"sd_c": "n/a"}, {"sd_a": "n/a", "sd_b": "n/a"}])


def S(answers, na=None) -> float:
    return scoring.score(Q, answers, na)["score"]


@SETTINGS
@given(answers=answers_st, na=na_st, data=st.data())
def test_raising_one_answer_never_lowers_score(answers, na, data):
    qid = data.draw(st.sampled_from(ITEMS))
    current = answers.get(qid)
    start = SCALE4.index(current) + 1 if current else 0
    if start >= len(SCALE4):
        return
    raised = data.draw(st.sampled_from(SCALE4[start:]))
    assert S({**answers, qid: raised}, na) >= S(answers, na) - 1e-12


@SETTINGS
@given(answers=answers_st, na=na_st)
def test_score_bounded_and_banded(answers, na):
    r = scoring.score(Q, answers, na)
    assert 0.0 <= r["score"] <= 5.0
    assert 0 <= r["level"] <= 5
    counted = [row["score"] for row in r["levels"] if row["counted"]]
    assert r["score"] == pytest.approx(sum(counted))
    if r["stopped_at"] is not None:
        assert r["next_steps"] == [] or all(s["level"] == r["stopped_at"] for s in r["next_steps"])


@SETTINGS
@given(answers=answers_st, other=st.lists(st.sampled_from(SCALE4), min_size=len(PROCESS_ONLY), max_size=len(PROCESS_ONLY)))
def test_process_only_items_do_not_matter_for_discrete(answers, other):
    answers = {**answers, "manufacturing_type": "discrete"}
    changed = {**answers, **dict(zip(PROCESS_ONLY, other))}
    assert scoring.score(Q, changed) == scoring.score(Q, answers)


@SETTINGS
@given(answers=answers_st, other=st.lists(st.sampled_from(SCALE4), min_size=len(SD_C), max_size=len(SD_C)))
def test_items_in_a_not_applicable_section_do_not_matter(answers, other):
    na = {"sd_c": "not applicable"}
    changed = {**answers, **dict(zip(SD_C, other))}
    assert scoring.score(Q, changed, na) == scoring.score(Q, answers, na)
    # and N/A is the same as having no sd_c sub-domain at all for the level scores
    assert scoring.score(Q, changed, na)["subdomains"]["sd_c"]["score"] is None


@SETTINGS
@given(answers=answers_st, na=na_st, seed=st.randoms(use_true_random=False))
def test_result_independent_of_answer_order(answers, na, seed):
    items = list(answers.items())
    seed.shuffle(items)
    assert scoring.score(Q, dict(items), na) == scoring.score(Q, answers, na)


# -- ii_adoption: the rule is monotone in platform functions and equipment on platform ----------------

II = load_file(ROOT / "questionnaires" / "ii_adoption_v1.yaml")
FUNCTIONS = II.questions["platform_functions"].option_ids
CLOUD = [o for o in II.questions["cloud_systems"].option_ids if o != "none_cloud"]


@st.composite
def ii_answers(draw):
    total = draw(st.integers(0, 50))
    digitised = draw(st.integers(0, total))
    networked = draw(st.integers(0, digitised))
    on_platform = draw(st.integers(0, networked))
    cloud = draw(st.lists(st.sampled_from(CLOUD), unique=True)) or ["none_cloud"]
    answers = {
        "platform_use": draw(st.sampled_from(["none", "own", "third_party"])),
        "equipment_total": total, "equipment_digitised": digitised,
        "equipment_networked": networked, "equipment_on_platform": on_platform,
        "cloud_systems": cloud,
    }
    functions = draw(st.lists(st.sampled_from(FUNCTIONS), unique=True))
    if functions:
        answers["platform_functions"] = functions
    return answers


@SETTINGS
@given(answers=ii_answers(), data=st.data())
def test_ii_more_functions_or_equipment_never_revokes(answers, data):
    assert failed_checks(II, answers) == []
    before = scoring.score(II, answers)["outcome"]
    more = dict(answers)
    extra = data.draw(st.lists(st.sampled_from(FUNCTIONS), unique=True))
    more["platform_functions"] = sorted(set(answers.get("platform_functions", [])) | set(extra)) or None
    more["equipment_on_platform"] = data.draw(st.integers(answers["equipment_on_platform"], answers["equipment_networked"]))
    assert failed_checks(II, more) == []
    after = scoring.score(II, more)["outcome"]
    assert not (before and not after)


@pytest.mark.parametrize("value,text", [(3.795, "3.79"), (3.7999999999, "3.80"), (3.8, "3.80"), (0.7999, "0.79"),
                                        (2.355, "2.35"), (0.0, "0.00"), (5.0, "5.00")])
def test_shown_scores_never_cross_a_band_edge_by_rounding(value, text):
    from scoring import shown

    assert shown(value) == text
