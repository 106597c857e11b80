"""Exact scoring: band edges and the pass mark, the slow reference, domain and element scores."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from questionnaires.loader import load_file, load_text
from questionnaires.model import SCALE4
from tests.cmmm_inline import TYPES, build, build_yaml, item_ids, scale_items, uniform
from tests.conftest import ROOT
from tests.scoring_reference import reference_score

EDGES = (0.8, 1.8, 2.8, 3.8, 4.8)
VALUE = {"not_met": 0.0, "partly_met": 0.5, "largely_met": 0.8, "fully_met": 1.0}
# five item answers whose mean is exactly 0.8 in real numbers (not always in binary floating point)
MEAN_08 = (("largely_met",) * 5, ("fully_met",) * 4 + ("not_met",), ("fully_met",) * 3 + ("partly_met",) * 2)
_cache: dict[tuple, object] = {}


def _questionnaire(n_sd: int, weights: tuple[float, ...]):
    key = (n_sd, weights)
    if key not in _cache:
        sds = tuple(f"sd_{i}" for i in range(1, n_sd + 1))
        table = dict(zip(sds, weights))
        _cache[key] = load_text(build_yaml(subdomains=sds, per_level=5, typed_items=False,
                                           weights={t: table for t in TYPES}), "edges_v1.yaml")
    return _cache[key]


@st.composite
def on_an_edge(draw):
    """(questionnaire, answers, edge): levels below the edge fully met, the edge level's sub-domain
    means exactly 0.8 (mixed item patterns), the levels above not met; unequal weights."""
    n_sd = draw(st.integers(1, 20))
    weights = tuple(draw(st.lists(st.sampled_from([0.5, 1, 1.5, 2, 3, 7, 0.1, 2.5]), min_size=n_sd, max_size=n_sd)))
    q = _questionnaire(n_sd, weights)
    edge_level = draw(st.integers(1, 5))
    answers = {"manufacturing_type": draw(st.sampled_from(TYPES))}
    for i in range(1, n_sd + 1):
        for n in range(1, 6):
            ids = item_ids(f"sd_{i}", n, 5)
            if n < edge_level:
                answers.update(dict.fromkeys(ids, "fully_met"))
            elif n == edge_level:
                pattern = list(draw(st.sampled_from(MEAN_08)))
                answers.update(zip(ids, draw(st.permutations(pattern))))
            else:
                answers.update(dict.fromkeys(ids, "not_met"))
    return q, answers, EDGES[edge_level - 1]


@settings(max_examples=150, deadline=None)
@given(case=on_an_edge())
def test_a_score_exactly_on_a_band_edge_gets_that_level(case):
    q, answers, edge = case
    r = scoring.score(q, answers)
    assert r["score"] == pytest.approx(edge, abs=1e-12)
    expected_level = EDGES.index(edge) + 1
    assert r["level"] == expected_level
    edge_row = r["levels"][expected_level - 1]
    assert edge_row["score"] == pytest.approx(0.8, abs=1e-12) and edge_row["passed"]  # exactly the pass mark passes
    # one answer lower at the edge level falls below the edge and the band
    lower = dict(answers)
    victim = next(qid for qid in item_ids("sd_1", expected_level, 5) if answers[qid] != "not_met")
    lower[victim] = SCALE4[SCALE4.index(answers[victim]) - 1]
    r_low = scoring.score(q, lower)
    assert r_low["score"] < edge - 1e-6 and r_low["level"] == expected_level - 1


@pytest.mark.parametrize(("level", "weights", "patterns"), [
    (4, (1.0, 3.0), (1, 2)),  # the example: two sub-domains, true S = 3.8 -> level 4
    (1, (0.5, 2.5), (0, 1)),  # S₁ computes as 0.7999999999999999: level 0 without the tolerance
    (2, (2, 0.1, 0.5, 2.5, 7, 2), (2, 1, 1, 1, 1, 1)),  # S computes as 1.7999999999999998
])
def test_known_edge_cases(level, weights, patterns):
    q = _questionnaire(len(weights), tuple(weights))
    answers = {"manufacturing_type": "discrete"}
    for i, pattern in enumerate(patterns, start=1):
        for n in range(1, 6):
            values = ("fully_met",) * 5 if n < level else MEAN_08[pattern] if n == level else ("not_met",) * 5
            answers.update(zip(item_ids(f"sd_{i}", n, 5), values))
    r = scoring.score(q, answers)
    assert r["score"] == pytest.approx(EDGES[level - 1], abs=1e-12)
    assert r["level"] == level and r["stopped_at"] == (level + 1 if level < 5 else None)


def test_nothing_is_rounded():
    """Sₙ of a third stays a third: no rounding to a fixed number of decimals mid-computation."""
    q = build(subdomains=("sd_a", "sd_b", "sd_c"), typed_items=False)
    answers = uniform(q, "fully_met")
    answers.update(dict.fromkeys(item_ids("sd_a", 1, 2), "not_met"))
    answers.update(dict.fromkeys(item_ids("sd_b", 1, 2), "not_met"))
    r = scoring.score(q, answers)
    assert r["levels"][0]["score"] == 1 / 3 and r["score"] == 1 / 3
    assert "PRECISION" not in vars(scoring)


# -- scoring.py against the slow reference ---------------------------------------------------

def _same(result: dict, ref: dict) -> None:
    close = pytest.approx
    assert result["score"] == close(ref["score"], abs=1e-12)
    assert (result["level"], result["stopped_at"]) == (ref["level"], ref["stopped_at"])
    assert [row["score"] for row in result["levels"]] == [None if x is None else close(x, abs=1e-12) for x in ref["levels"]]
    for sd, x in ref["subdomains"].items():
        assert result["subdomains"][sd]["score"] == (None if x is None else close(x, abs=1e-12))
    for sd, row in ref["subdomain_levels"].items():
        assert list(result["subdomains"][sd]["levels"].values()) == [None if x is None else close(x, abs=1e-12) for x in row]
    for kind in ("elements", "domains"):
        assert result[kind] == {k: (None if x is None else close(x, abs=1e-12)) for k, x in ref[kind].items()}
    assert {s["item"]: s["gain"] for s in result["next_steps"]} == {k: close(g, abs=1e-12) for k, g in ref["gains"].items()}


INLINE = build(weights={"discrete": {"sd_a": 3, "sd_b": 1, "sd_c": 0.5}, "process": {"sd_a": 1, "sd_b": 2, "sd_c": 0},
                        "mixed": {"sd_a": 1, "sd_b": 1, "sd_c": 1}})
INLINE_ITEMS = scale_items(INLINE)


@settings(max_examples=200, deadline=None)
@given(answers=st.fixed_dictionaries({"manufacturing_type": st.sampled_from(TYPES)},
                                     optional={qid: st.sampled_from(SCALE4) for qid in INLINE_ITEMS}),
       na=st.sets(st.sampled_from(["sd_a", "sd_b", "sd_c", "profile"])))
def test_inline_matches_reference(answers, na):
    na = dict.fromkeys(na, "不适用")
    _same(scoring.score(INLINE, answers, na), reference_score(INLINE, answers, na))


FULL = load_file(ROOT / "questionnaires" / "cmmm_full_v1.yaml")
FULL_ITEMS = scale_items(FULL)


@settings(max_examples=60, deadline=None)
@given(codes=st.lists(st.sampled_from([0, 1, 2, 3, 3, 3, 2, 3]), min_size=len(FULL_ITEMS), max_size=len(FULL_ITEMS)),
       mtype=st.sampled_from(TYPES), na=st.sets(st.sampled_from(FULL.scoring.subdomains), max_size=4),
       unanswered=st.sets(st.sampled_from(FULL_ITEMS), max_size=20))
def test_full_file_matches_reference(codes, mtype, na, unanswered):
    answers = {qid: SCALE4[c] for qid, c in zip(FULL_ITEMS, codes) if qid not in unanswered}
    answers["manufacturing_type"] = mtype
    na = dict.fromkeys(na, "本企业无此业务")
    _same(scoring.score(FULL, answers, na), reference_score(FULL, answers, na))


# -- domain and element scores ---------------------------------------------------------------

def test_domain_and_element_scores_are_weighted_means_of_applicable_subdomains():
    q = load_text(build_yaml(subdomains=("sd_a", "sd_b", "sd_c"), typed_items=False,
                             weights={t: {"sd_a": 3, "sd_b": 1, "sd_c": 2} for t in TYPES}))
    answers = uniform(q, "fully_met")
    answers.update(dict.fromkeys(item_ids("sd_b", 3, 2), "not_met"))  # sd_b: 1 + 1 + 0 = 2
    r = scoring.score(q, answers, {"sd_c": "无此业务"})
    assert r["subdomains"]["sd_a"]["score"] == 5.0 and r["subdomains"]["sd_b"]["score"] == 2.0
    assert r["domains"]["domain"] == pytest.approx((3 * 5 + 1 * 2) / 4, abs=1e-12)  # sd_c not applicable: left out
    assert r["elements"]["element"] == r["domains"]["domain"]
    r_all_na = scoring.score(q, answers, {"sd_a": "x", "sd_b": "x", "sd_c": "x"})
    assert r_all_na["domains"]["domain"] is None and r_all_na["score"] == 0.0 and r_all_na["level"] == 0


def test_full_file_elements_weight_their_subdomains():
    answers = uniform(FULL, "largely_met")
    for qid in scale_items(FULL)[:60]:
        answers[qid] = "fully_met"
    r = scoring.score(FULL, answers)
    for element in FULL.scoring.structure:
        scores = [r["subdomains"][sd]["score"] for sd in element.subdomains]
        weights = [r["subdomains"][sd]["weight"] for sd in element.subdomains]
        assert r["elements"][element.id] == pytest.approx(sum(w * x for w, x in zip(weights, scores)) / sum(weights))


def test_unanswered_type_question_is_an_error_not_a_default():
    q = build()
    answers = uniform(q, "fully_met")
    del answers["manufacturing_type"]
    with pytest.raises(ValueError, match="weight table"):
        scoring.score(q, answers)


def test_values_used_match_the_scale():
    assert {k: FULL.scoring.scale_values[k] for k in SCALE4} == VALUE


# -- rule indicators: a count may leave options out ------------------------------------------

def test_count_indicator_exclude_is_validated():
    from questionnaires.loader import QuestionnaireInvalid

    text = (ROOT / "questionnaires" / "ii_adoption_v1.yaml").read_text(encoding="utf-8")
    good = "count: {question: platform_functions, exclude: [office_only]}"
    assert good in text
    q = load_text(text, "ii_adoption_v1.yaml")
    assert next(i for i in q.scoring.indicators if i.id == "platform_function_count").exclude == ("office_only",)
    for bad, code in (("count: {question: platform_functions, exclude: [office_use]}", "QF304"),
                      ("count: {question: platform_functions, exclude: []}", "QF103"),
                      ("count: {question: platform_functions, leave_out: [office_only]}", "QF102")):
        with pytest.raises(QuestionnaireInvalid) as exc:
            load_text(text.replace(good, bad), "ii_adoption_v1.yaml")
        assert code in [e.code for e in exc.value.errors]
        assert exc.value.errors[0].path.startswith("scoring.indicators[3].count")


# -- every weight is written in the file (QF405) ----------------------------------------------

def _errors(text: str):
    from questionnaires.loader import QuestionnaireInvalid

    with pytest.raises(QuestionnaireInvalid) as exc:
        load_text(text, "w.yaml")
    return exc.value.errors


def test_a_missing_subdomain_weight_is_located():
    tables = {t: {"sd_a": 1, "sd_b": 2, "sd_c": 1} for t in TYPES}
    del tables["process"]["sd_b"]
    [error] = _errors(build_yaml(weights=tables))
    assert error.code == "QF405" and "sd_b" in error.message and error.path == "scoring.weights.process.sd_b"
    assert error.line is not None and str(error).startswith("w.yaml: scoring.weights.process.sd_b (line ")


def test_a_missing_table_for_an_offered_type_and_no_weights_at_all():
    errors = _errors(build_yaml(weights={"discrete": {"sd_a": 1, "sd_b": 1, "sd_c": 1}}))
    assert sorted((e.code, e.path) for e in errors) == [("QF405", "scoring.weights.mixed"),
                                                        ("QF405", "scoring.weights.process")]
    assert {e.code for e in _errors(build_yaml(weights={}))} == {"QF405"}


def test_a_table_for_a_type_the_question_does_not_offer():
    tables = {t: {"sd_a": 1, "sd_b": 1, "sd_c": 1} for t in (*TYPES, "continuous")}
    [error] = _errors(build_yaml(weights=tables))
    assert (error.code, error.path) == ("QF402", "scoring.weights.continuous")


def test_shipped_files_write_every_weight():
    for name in ("cmmm_full_v1.yaml", "cmmm_quick_v1.yaml"):
        q = load_file(ROOT / "questionnaires" / name)
        offered = q.questions[q.scoring.type_question].option_ids
        assert set(q.scoring.weights) == set(offered)
        assert all(set(table) == set(q.scoring.subdomains) for table in q.scoring.weights.values())
    # cmmm_quick v1 (published before QF405) states equal weights; they are written out as 1
    quick = load_file(ROOT / "questionnaires" / "cmmm_quick_v1.yaml")
    assert {w for table in quick.scoring.weights.values() for w in table.values()} == {1.0}
    assert "\n  weights:" not in (ROOT / "questionnaires" / "cmmm_quick_v1.yaml").read_text(encoding="utf-8")
