"""Pure scoring: questionnaire + answers -> result (no Streamlit, no SQL, deterministic).

Methods (every number comes from the questionnaire file, docs/questionnaire-format.md):

- ``cmmm``: GB/T 39117 as described in domain.md §2.3 — item scores -> sub-domain mean per
  level -> weighted level score Sₙ -> gated sum S (stop after the first level below the pass
  mark, its partial score included) -> level band.
- ``cmmm_quick``: one "which description fits" per sub-domain; choosing level L counts as
  fully meeting levels 1..L, then the cmmm arithmetic. Indicative only.
- ``rule``: named criteria and a yes/no outcome over the answers, plus derived indicators.

Nothing is rounded while scoring; comparisons with the pass mark and band edges allow TOLERANCE.
``cmmm`` runs on a plan compiled once per questionnaire (questionnaires/compiled.py); the slow,
obvious version it is checked against is tests/scoring_reference.py.

CLI: ``python scoring.py QUESTIONNAIRE_FILE ANSWERS_JSON`` prints the result as JSON
(answers format: docs/answers-format.md).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from questionnaires.compiled import CmmmPlan, Frame, plan_for
from questionnaires.conditions import evaluate, visibility
from questionnaires.model import CmmmScoring, Questionnaire, RuleScoring

# Scores are kept at full precision; a comparison with the pass mark or a band edge allows this
# much below it, so that a score that is exactly on the edge in real numbers (e.g. two sub-domains
# whose true S is 3.8) is not pushed one level down by binary floating point (which can give
# 3.7999999999999998). It is far below any difference an answer can make (≥ 0.5 / 20 items / 5).
TOLERANCE = 1e-9



def shown(value: float, digits: int = 2) -> str:
    """A score for display: cut (not rounded) to ``digits`` decimals after the edge tolerance.

    Rounding could show 3.795 as "3.80" beside level 3, or 0.795 as "0.80" beside a failed pass
    mark; cutting keeps every displayed figure on the same side of a band edge as the level
    it is shown with (a score within TOLERANCE below an edge counts as on it, and shows so).
    """
    factor = 10 ** digits
    return f"{math.floor((value + TOLERANCE) * factor) / factor:.{digits}f}"

def score(questionnaire: Questionnaire, answers: Mapping[str, Any], na: Mapping[str, str] | None = None) -> dict:
    """Score answers (item id -> value) with the questionnaire's scoring method."""
    na = na or {}
    s = questionnaire.scoring
    if s is None:
        raise ValueError(f"questionnaire {questionnaire.id} has no scoring")
    if s.method == "cmmm":
        result = _score_cmmm(questionnaire, answers, na)
    elif s.method == "cmmm_quick":
        result = _score_quick(questionnaire, s, answers, na)
    else:
        result = _score_rule(questionnaire, s, answers, na)
    result.update(questionnaire={"id": questionnaire.id, "version": questionnaire.version},
                  indicative=questionnaire.indicative)
    return result


# -- maturity (cmmm, cmmm_quick) --------------------------------------------------

def reaches(value: float, threshold: float) -> bool:
    """value ≥ threshold, allowing TOLERANCE below it (the one comparison at every edge)."""
    return value >= threshold - TOLERANCE


def _band(s: CmmmScoring, total: float) -> int:
    """The highest level whose band S reaches (levels are 1, 2, … with increasing min_score)."""
    level = 0
    for lv in s.levels:
        if not reaches(total, lv.min_score):
            break
        level = lv.level
    return level


def _explain(plan: CmmmPlan, frame: Frame, means: np.ndarray, na: Mapping[str, str]) -> dict:
    """Sub-domain means per level (n_sd × L, 0 where a cell has no items) -> the explained result.

    Sₙ = Σ w·x / Σ w over the sub-domains with items at level n; S = S₁ + … + Sₖ with k the first
    level below the pass mark (levels without items are skipped); a sub-domain's own score is the
    same gated sum over its level means; a domain's or element's score is the weighted mean of the
    overall scores of the applicable sub-domains below it. Nothing is rounded.
    """
    s = plan.scoring
    pass_mark = s.pass_mark
    threshold = pass_mark - TOLERANCE
    level_scores = ((means * frame.cell_w).sum(axis=0) / frame.level_den).tolist()
    total, stopped_at = 0.0, None
    level_rows, counted = [], True
    for n, sn in zip(plan.levels, level_scores):
        if sn != sn:  # NaN: no sub-domain has items at this level
            level_rows.append({"level": n, "score": None, "passed": False, "counted": False})
            continue
        passed = sn >= threshold
        level_rows.append({"level": n, "score": sn, "passed": passed, "counted": counted})
        if counted:
            total += sn
            if not passed:
                stopped_at, counted = n, False

    subdomains, sd_totals = {}, []
    keys = plan.level_keys
    for sd, w, row, present, full in zip(plan.subdomains, frame.weights, means.tolist(), frame.nonempty_list,
                                         frame.full_list):
        if full is None:  # not applicable: no relevant, applicable items at any level
            sd_totals.append(None)
            subdomains[sd] = {"score": None, "weight": w, "levels": {},
                              "not_applicable": na.get(sd, "") if sd in frame.declared_na else ""}
            continue
        # the sub-domain's own gated sum: a level counts while every level below it (with items) passed
        sd_total = 0.0
        if full:
            for x in row:
                sd_total += x
                if x < threshold:
                    break
            levels = dict(zip(keys, row))
        else:
            for x, p in zip(row, present):
                if p:
                    sd_total += x
                    if x < threshold:
                        break
            levels = {k: (x if p else None) for k, x, p in zip(keys, row, present)}
        sd_totals.append(sd_total)
        subdomains[sd] = {"score": sd_total, "weight": w, "not_applicable": None, "levels": levels}
    elements, domains = {}, {}
    for (kind, node), members in zip(plan.nodes, plan.node_indices):
        num = den = 0.0
        for i in members:
            if sd_totals[i] is not None:
                num += frame.weights[i] * sd_totals[i]
                den += frame.weights[i]
        (elements if kind == "element" else domains)[node.id] = num / den if den > 0 else None
    return {
        "method": s.method, "scoring_version": s.version, "official_weights": s.official_weights,
        "pass_mark": pass_mark, "score": total, "level": _band(s, total), "stopped_at": stopped_at,
        "levels": level_rows, "subdomains": subdomains, "domains": domains, "elements": elements,
        "type": frame.type_value,
    }


def _score_cmmm(q: Questionnaire, answers, na) -> dict:
    plan = plan_for(q)
    frame = plan.frame(answers, na)
    values = plan.encode(answers)
    result = _explain(plan, frame, plan.means(frame, values), na)
    result["next_steps"] = _next_steps(plan, frame, values, result["stopped_at"], answers)
    return result


def _next_steps(plan: CmmmPlan, frame: Frame, values: list[float], k: int | None, answers) -> list[dict]:
    """Items at the first failing level, ranked by how much fully meeting each would raise Sₖ.

    gain = w_sd / Σw at level k × (1 − item value) / number of the sub-domain's items at level k.
    """
    if k is None:
        return []
    ranked = sorted((-factor * (1.0 - values[i]), position, qid, sd)
                    for i, qid, sd, factor, position in frame.step_items[plan.levels.index(k)] if values[i] < 1.0)
    steps = []
    for minus_gain, _, qid, sd in ranked:
        answer = answers.get(qid)
        steps.append({"item": qid, "subdomain": sd, "level": k, "gain": -minus_gain,
                      "answer": None if answer is None or answer == [] or answer == "" else answer})
    return steps


def _score_quick(q: Questionnaire, s: CmmmScoring, answers, na) -> dict:
    plan = plan_for(q)
    vis = visibility(q, answers, na)
    top = max(plan.levels)
    means = np.zeros((len(plan.subdomains), len(plan.levels)))
    chosen, declared = {}, set()
    for i, sd in enumerate(plan.subdomains):
        question = q.questions[sd]
        if sd not in vis.questions or sd in vis.not_applicable:
            declared.add(sd)
            continue
        option = question.option(vis.effective.get(sd)) if sd in vis.effective else None
        chosen[sd] = level = int(option.score) if option else 0
        means[i] = [1.0 if n <= level else 0.0 for n in plan.levels]
    nonempty = np.zeros(means.shape, dtype=bool)
    nonempty[[i for i, sd in enumerate(plan.subdomains) if sd in chosen]] = True
    frame = plan.make_frame(vis.effective, nonempty, frozenset(declared))
    result = _explain(plan, frame, means, na)
    result["chosen_levels"] = chosen
    result["weakest"] = [sd for sd, _ in sorted(chosen.items(), key=lambda kv: (kv[1], q.questions[kv[0]].position))][:5]
    result["next_steps"] = [{"item": sd, "subdomain": sd, "level": chosen[sd] + 1, "answer": vis.effective.get(sd),
                             "gain": None} for sd in result["weakest"] if chosen[sd] < top]
    return result


# -- rule ----------------------------------------------------------------------------

def _score_rule(q: Questionnaire, s: RuleScoring, answers, na) -> dict:
    vis = visibility(q, answers, na)
    eff = vis.effective
    met: dict[str, bool] = {}
    for criterion in s.criteria:
        met[criterion.id] = evaluate(criterion.condition, eff, met, q.exclusive_options)
    outcome = evaluate(s.outcome, eff, met, q.exclusive_options)
    indicators = {}
    for ind in s.indicators:
        if ind.kind == "ratio":
            num, den = eff.get(ind.questions[0]), eff.get(ind.questions[1])
            indicators[ind.id] = 100.0 * num / den if num is not None and den else None
        else:
            exclusive = q.exclusive_options.get(ind.questions[0])
            indicators[ind.id] = sum(1 for o in eff.get(ind.questions[0], []) if o != exclusive and o not in ind.exclude)
    return {"method": "rule", "scoring_version": s.version, "outcome_id": s.outcome_id, "outcome": outcome,
            "score": None, "level": None,
            "criteria": [{"id": c.id, "met": met[c.id]} for c in s.criteria], "indicators": indicators}


# -- CLI ------------------------------------------------------------------------------

def read_answers_json(data: Any) -> tuple[dict, dict]:
    """Accept {"answers": {...}, "not_applicable": {...}} or a flat {item: value} mapping.

    Raises ValueError naming the problem; the values themselves are checked by
    ``questionnaires.answers.answers_file_problems``.
    """
    if not isinstance(data, dict):
        raise ValueError("answers JSON must be an object")
    if "answers" in data:
        unknown = sorted(set(data) - {"answers", "not_applicable"})
        if unknown:
            raise ValueError(f"unknown top-level key(s) {', '.join(map(repr, unknown))}; "
                             "expected 'answers' and 'not_applicable'")
        answers, na = data["answers"], data.get("not_applicable")
        na = {} if na is None else na
        if not isinstance(answers, dict) or not isinstance(na, dict):
            raise ValueError("'answers' and 'not_applicable' must be objects")
        return answers, na
    if "not_applicable" in data:
        raise ValueError("'not_applicable' needs the answers under 'answers'")
    return data, {}


def _no_duplicate_keys(pairs: list) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _load_answers_file(path: str) -> tuple[dict, dict]:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    return read_answers_json(data)


def main(argv: list[str]) -> int:
    """Score an answers file with every check the app applies; 1 and one line per problem if refused."""
    from questionnaires.answers import answers_file_problems, problems
    from questionnaires.loader import QuestionnaireInvalid
    from questionnaires.registry import load_checked

    if len(argv) != 2:
        print("usage: python scoring.py QUESTIONNAIRE_FILE ANSWERS_JSON", file=sys.stderr)
        return 2
    try:
        questionnaire = load_checked(Path(argv[0]))
    except QuestionnaireInvalid as exc:
        print(exc, file=sys.stderr)
        return 1
    if questionnaire.scoring is None:
        print(f"{argv[0]}: {questionnaire.id} v{questionnaire.version} has no scoring", file=sys.stderr)
        return 1
    try:
        raw_answers, raw_na = _load_answers_file(argv[1])
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        print(f"{argv[1]}: {exc}", file=sys.stderr)
        return 1
    answers, na, found = answers_file_problems(questionnaire, raw_answers, raw_na)
    if found:
        print("\n".join(f"{argv[1]}: {where}: {message.get('en')}" for where, message in found), file=sys.stderr)
        return 1
    missing = [p.item_id for p in problems(questionnaire, answers, na) if p.code in ("missing", "na_reason")]
    if missing:
        print(f"{argv[1]}: note: {len(missing)} required item(s) unanswered, scored as not met; the app would "
              f"not accept this submission (first: {', '.join(missing[:5])})", file=sys.stderr)
    print(json.dumps(score(questionnaire, answers, na), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
