"""cmmm scoring (GB/T 39117 arithmetic) on a small inline questionnaire, the real file, and the CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

import scoring
from questionnaires.loader import load_file
from tests.cmmm_inline import LEVELS, build, item_ids, scale_items, uniform
from tests.conftest import ROOT

FULL = ROOT / "questionnaires" / "cmmm_full_v1.yaml"


@pytest.fixture(scope="module")
def q():
    return build()


def with_level(q, base: str, overrides: dict[int, str], mtype="discrete") -> dict:
    """All items ``base`` except whole levels set to another answer."""
    answers = uniform(q, base, mtype)
    for qid in scale_items(q):
        level = q.questions[qid].level
        if level in overrides:
            answers[qid] = overrides[level]
    return answers


@pytest.mark.parametrize("mtype", ["discrete", "process", "mixed"])
def test_everything_fully_met_is_level_5(q, mtype):
    r = scoring.score(q, uniform(q, "fully_met", mtype))
    assert r["score"] == 5.0 and r["level"] == 5 and r["stopped_at"] is None
    assert [row["score"] for row in r["levels"]] == [1.0] * 5
    assert all(row["passed"] and row["counted"] for row in r["levels"])
    assert r["next_steps"] == [] and r["type"] == mtype and r["scoring_version"] == "2025.1"


@pytest.mark.parametrize("answers_of", [lambda q: uniform(q, "not_met"), lambda q: {"manufacturing_type": "discrete"}],
                         ids=["all_not_met", "unanswered"])
def test_nothing_met_is_below_level_1(q, answers_of):
    r = scoring.score(q, answers_of(q))
    assert r["score"] == 0.0 and r["level"] == 0 and r["stopped_at"] == 1
    assert [row["counted"] for row in r["levels"]] == [True, False, False, False, False]
    assert q.scoring.level_name(r["level"]).zh == "未达到一级"


def test_exactly_pass_mark_passes_and_continues(q):
    r = scoring.score(q, with_level(q, "fully_met", {1: "largely_met"}))
    assert r["levels"][0]["score"] == pytest.approx(0.8, abs=1e-12) and r["levels"][0]["passed"]
    assert r["stopped_at"] is None and r["score"] == pytest.approx(4.8) and r["level"] == 5  # 4.8 is the level-5 band floor


def test_all_largely_met_everywhere(q):
    r = scoring.score(q, uniform(q, "largely_met"))
    assert r["score"] == pytest.approx(4.0) and r["level"] == 4 and r["stopped_at"] is None


def test_just_below_pass_mark_stops_at_level_1(q):
    answers = with_level(q, "fully_met", {1: "largely_met"})
    answers["sd_a_l1_1"] = "partly_met"  # level 1: (5 * 0.8 + 0.5) / 6 = 0.75
    r = scoring.score(q, answers)
    assert r["levels"][0]["score"] == pytest.approx(0.75)
    assert r["stopped_at"] == 1 and r["score"] == pytest.approx(0.75) and r["level"] == 0


@pytest.mark.parametrize("seed", range(5))
def test_answers_above_the_failing_level_do_not_count(q, seed):
    base = with_level(q, "fully_met", {2: "not_met"})
    r0 = scoring.score(q, base)
    assert r0["stopped_at"] == 2 and r0["score"] == 1.0 and r0["level"] == 1
    assert [row["counted"] for row in r0["levels"]] == [True, True, False, False, False]
    rng = random.Random(seed)
    changed = dict(base)
    for qid in scale_items(q):
        if q.questions[qid].level >= 3:
            changed[qid] = rng.choice(["not_met", "partly_met", "largely_met", "fully_met"])
    r1 = scoring.score(q, changed)
    assert r1["score"] == r0["score"] and r1["level"] == r0["level"] and r1["stopped_at"] == 2


def test_worked_example_domain_2_4():
    """S1 = 0.93, S2 = 0.85, S3 = 0.62 -> S = 2.40 -> level 2 (two equal sub-domains, 5 items per level)."""
    q = build(subdomains=("sd_a", "sd_b"), per_level=5, typed_items=False)
    F, L, P, N = "fully_met", "largely_met", "partly_met", "not_met"
    plan = {
        ("sd_a", 1): [F, F, F, F, F], ("sd_b", 1): [F, F, F, L, P],  # 1.0 and 0.86 -> 0.93
        ("sd_a", 2): [F, F, F, F, P], ("sd_b", 2): [L, L, L, L, L],  # 0.9 and 0.8  -> 0.85
        ("sd_a", 3): [F, F, F, N, N], ("sd_b", 3): [L, L, L, L, N],  # 0.6 and 0.64 -> 0.62
    }
    answers = {"manufacturing_type": "discrete"}
    for (sd, n), values in plan.items():
        answers.update(zip(item_ids(sd, n, 5), values))
    for sd in ("sd_a", "sd_b"):  # levels 4 and 5 fully met: must not count
        for n in (4, 5):
            answers.update(dict.fromkeys(item_ids(sd, n, 5), F))
    r = scoring.score(q, answers)
    assert [row["score"] for row in r["levels"][:3]] == pytest.approx([0.93, 0.85, 0.62])
    assert round(r["score"], 2) == pytest.approx(2.40) and r["level"] == 2 and r["stopped_at"] == 3
    assert q.scoring.level_name(r["level"]).zh == "等级2"
    # the gap report lists the level-3 items scored 0 (and the other level-3 items not fully met)
    steps = r["next_steps"]
    assert {s["item"] for s in steps if s["answer"] == N} == {"sd_a_l3_4", "sd_a_l3_5", "sd_b_l3_5"}
    assert all(s["level"] == 3 for s in steps)


@pytest.mark.parametrize(("wa", "expected"), [(3, 0.75), (4, 0.8)])
def test_weights_table(wa, expected):
    """Level 1: sd_a fully met, sd_b not met; S1 = wa / (wa + 1)."""
    q = build(subdomains=("sd_a", "sd_b"), typed_items=False, weights={"discrete": {"sd_a": wa, "sd_b": 1},
                                                                     "process": {"sd_a": 1, "sd_b": 1},
                                                                     "mixed": {"sd_a": 1, "sd_b": 1}})
    answers = uniform(q, "fully_met")
    answers.update(dict.fromkeys(item_ids("sd_b", 1, 2), "not_met"))
    r = scoring.score(q, answers)
    assert r["levels"][0]["score"] == pytest.approx(expected)
    assert r["subdomains"]["sd_a"]["weight"] == wa
    # the process table gives equal weights -> S1 = 0.5
    r_proc = scoring.score(q, {**answers, "manufacturing_type": "process"})
    assert r_proc["levels"][0]["score"] == pytest.approx(0.5) and r_proc["score"] == pytest.approx(0.5)


def test_not_applicable_subdomain_renormalises(q):
    answers = uniform(q, "fully_met")
    answers.update({qid: "not_met" for qid in scale_items(q) if qid.startswith("sd_c_")})
    r = scoring.score(q, answers)
    assert r["levels"][0]["score"] == pytest.approx(2 / 3) and r["score"] == pytest.approx(2 / 3) and r["level"] == 0
    r_na = scoring.score(q, answers, {"sd_c": "no own product design"})
    assert r_na["score"] == 5.0 and r_na["level"] == 5
    assert r_na["subdomains"]["sd_c"] == {"score": None, "weight": 1.0, "not_applicable": "no own product design", "levels": {}}
    # a partial sd_a with sd_c N/A: S1 = mean of sd_a and sd_b only
    answers["sd_a_l1_1"] = "not_met"  # sd_a level 1 = 0.5
    r_na2 = scoring.score(q, answers, {"sd_c": "reason"})
    assert r_na2["levels"][0]["score"] == pytest.approx((0.5 + 1.0) / 2)


def test_na_on_a_section_without_allow_na_is_ignored(q):
    r = scoring.score(q, uniform(q, "fully_met"), {"profile": "x"})
    assert r["score"] == 5.0


def test_discrete_and_process_item_sets(q):
    answers = uniform(q, "fully_met")
    answers["sd_b_l2_process"] = "not_met"
    # discrete: the process-only item does not count, whatever its answer
    for value in ("not_met", "fully_met", None):
        assert scoring.score(q, {**answers, "sd_b_l2_process": value})["score"] == 5.0
    # process: sd_b level 2 = (1 + 1 + 0) / 3 -> S2 = (1 + 2/3 + 1) / 3
    r_p = scoring.score(q, {**answers, "manufacturing_type": "process"})
    assert r_p["levels"][1]["score"] == pytest.approx(8 / 9) and r_p["score"] == pytest.approx(4 + 8 / 9)
    assert r_p["subdomains"]["sd_b"]["levels"]["2"] == pytest.approx(2 / 3)
    # mixed sees both extra items: sd_b level 2 = 3/4
    r_m = scoring.score(q, {**answers, "manufacturing_type": "mixed"})
    assert r_m["subdomains"]["sd_b"]["levels"]["2"] == pytest.approx(3 / 4)
    assert r_m["score"] == pytest.approx(4 + (1 + 0.75 + 1) / 3)
    # process: the discrete-only item does not count
    answers["sd_b_l2_discrete"] = "not_met"
    r_p2 = scoring.score(q, {**answers, "manufacturing_type": "process"})
    assert r_p2["score"] == r_p["score"]


def test_next_steps_at_failing_level_ranked_by_gain(q):
    answers = with_level(q, "fully_met", {})
    answers.update({"sd_a_l2_1": "not_met", "sd_a_l2_2": "fully_met",          # gain 1/3 * 1.0 / 2
                    "sd_b_l2_1": "partly_met", "sd_b_l2_2": "partly_met", "sd_b_l2_discrete": "partly_met",  # 1/3 * 0.5 / 3
                    "sd_c_l2_1": "largely_met", "sd_c_l2_2": "not_met"})       # 1/3 * 0.2 / 2 and 1/3 * 1.0 / 2
    r = scoring.score(q, answers)
    assert r["stopped_at"] == 2
    steps = r["next_steps"]
    assert steps and all(s["level"] == 2 for s in steps)
    gains = [s["gain"] for s in steps]
    assert gains == sorted(gains, reverse=True)
    assert [s["item"] for s in steps[:2]] == ["sd_a_l2_1", "sd_c_l2_2"]  # equal gains: file order
    assert steps[0]["gain"] == pytest.approx(1 / 6, abs=1e-6) and steps[-1]["item"] == "sd_c_l2_1"
    assert "sd_a_l2_2" not in {s["item"] for s in steps}  # fully met items are not steps
    assert "sd_b_l2_process" not in {s["item"] for s in steps}  # irrelevant for discrete
    # taking the top step raises S2 by exactly its gain
    s2 = r["levels"][1]["score"]
    r2 = scoring.score(q, {**answers, steps[0]["item"]: "fully_met"})
    assert r2["levels"][1]["score"] == pytest.approx(s2 + steps[0]["gain"], abs=1e-6)


# -- the real questionnaire file ------------------------------------------------------

@pytest.fixture(scope="module")
def full():
    return load_file(FULL)


@pytest.mark.parametrize("mtype", ["discrete", "process", "mixed"])
def test_full_file_all_fully_met_is_level_5(full, mtype):
    r = scoring.score(full, uniform(full, "fully_met", mtype))
    assert r["score"] == pytest.approx(5.0) and r["level"] == 5 and r["stopped_at"] is None
    assert len(r["subdomains"]) == 20 and all(sd["score"] == pytest.approx(5.0) for sd in r["subdomains"].values())


def test_full_file_not_met_is_level_0(full):
    r = scoring.score(full, uniform(full, "not_met"))
    assert r["score"] == 0.0 and r["level"] == 0 and len(r["next_steps"]) > 0


def _run_cli(tmp_path, payload) -> subprocess.CompletedProcess:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return subprocess.run([sys.executable, "scoring.py", "questionnaires/cmmm_full_v1.yaml", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_cli_matches_in_process(full, tmp_path):
    rng = random.Random(7)
    answers = {qid: rng.choice(["largely_met", "fully_met", "fully_met", "partly_met"]) for qid in scale_items(full)}
    answers["manufacturing_type"] = "discrete"
    na = {"product_service": "no own products in service"}
    proc = _run_cli(tmp_path, {"answers": answers, "not_applicable": na})
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    expected = scoring.score(full, answers, na)
    assert printed["score"] == expected["score"] and printed["level"] == expected["level"]
    assert printed == json.loads(json.dumps(expected))
    assert printed["subdomains"]["product_service"]["not_applicable"] == na["product_service"]


def test_cli_bad_item_id_exits_1(tmp_path):
    proc = _run_cli(tmp_path, {"answers": {"manufacturing_type": "discrete", "no_such_item_xyz": "fully_met"}})
    assert proc.returncode == 1 and "no_such_item_xyz" in proc.stderr and proc.stdout == ""


def test_cli_bad_value_exits_1(tmp_path):
    proc = _run_cli(tmp_path, {"answers": {"manufacturing_type": "sideways"}})
    assert proc.returncode == 1 and "manufacturing_type" in proc.stderr


def test_levels_constant_matches_file(q):
    assert tuple(lv.level for lv in q.scoring.levels) == LEVELS
