"""Pure scoring: questionnaire + answers -> result (no Streamlit, no SQL, deterministic).

Methods (every number comes from the questionnaire file, docs/questionnaire-format.md):

- ``cmmm``: GB/T 39117 as described in domain.md §2.3 — item scores -> sub-domain mean per
  level -> weighted level score Sₙ -> gated sum S (stop after the first level below the pass
  mark, its partial score included) -> level band.
- ``cmmm_quick``: one "which description fits" per sub-domain; choosing level L counts as
  fully meeting levels 1..L, then the cmmm arithmetic. Indicative only.
- ``rule``: named criteria and a yes/no outcome over the answers, plus derived indicators.

CLI: ``python scoring.py QUESTIONNAIRE_FILE ANSWERS_JSON`` prints the result as JSON
(answers format: docs/answers-format.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from questionnaires.conditions import evaluate, visibility
from questionnaires.model import CmmmScoring, Questionnaire, RuleScoring

PRECISION = 9  # round level scores so that e.g. a mean of 0.8s counts as exactly 0.8


def score(questionnaire: Questionnaire, answers: Mapping[str, Any], na: Mapping[str, str] | None = None) -> dict:
    """Score answers (item id -> value) with the questionnaire's scoring method."""
    na = na or {}
    s = questionnaire.scoring
    if s is None:
        raise ValueError(f"questionnaire {questionnaire.id} has no scoring")
    if s.method == "cmmm":
        result = _score_cmmm(questionnaire, s, answers, na)
    elif s.method == "cmmm_quick":
        result = _score_quick(questionnaire, s, answers, na)
    else:
        result = _score_rule(questionnaire, s, answers, na)
    result.update(questionnaire={"id": questionnaire.id, "version": questionnaire.version},
                  indicative=questionnaire.indicative)
    return result


# -- maturity (cmmm, cmmm_quick) --------------------------------------------------

def _weights(s: CmmmScoring, effective: Mapping[str, Any]) -> dict[str, float]:
    table = s.weights.get(str(effective.get(s.type_question)), {}) if s.type_question else {}
    return {sd: float(table.get(sd, 1.0)) for sd in s.subdomains}


def _gated_sum(level_scores: dict[int, float | None], pass_mark: float) -> tuple[float, int | None]:
    """S = S1 + ... + Sk, k the first level below the pass mark; levels without items are skipped."""
    total = 0.0
    for n in sorted(level_scores):
        sn = level_scores[n]
        if sn is None:
            continue
        total += sn
        if sn < pass_mark:
            return round(total, PRECISION), n
    return round(total, PRECISION), None


def _band(s: CmmmScoring, total: float) -> int:
    level = 0
    for lv in s.levels:
        if total >= lv.min_score - 1e-9:
            level = lv.level
    return level


def _aggregate(s: CmmmScoring, item_scores: dict[str, dict[int, list[float]]], weights: dict[str, float],
               not_applicable: dict[str, str]) -> dict:
    """Shared arithmetic: per sub-domain per level item scores -> the full explained result."""
    levels = [lv.level for lv in s.levels]
    sd_level = {sd: {n: (round(sum(v) / len(v), PRECISION) if (v := per.get(n)) else None) for n in levels}
                for sd, per in item_scores.items()}
    level_scores: dict[int, float | None] = {}
    for n in levels:
        num = den = 0.0
        for sd, per in sd_level.items():
            if per[n] is not None and weights[sd] > 0:
                num += weights[sd] * per[n]
                den += weights[sd]
        level_scores[n] = round(num / den, PRECISION) if den else None
    total, stopped_at = _gated_sum(level_scores, s.pass_mark)
    level = _band(s, total)

    subdomains = {}
    for sd in s.subdomains:
        if sd in sd_level:
            sd_total, _ = _gated_sum(sd_level[sd], s.pass_mark)
            subdomains[sd] = {"score": sd_total, "weight": weights[sd], "not_applicable": None,
                              "levels": {str(n): sd_level[sd][n] for n in levels}}
        else:
            subdomains[sd] = {"score": None, "weight": weights[sd], "not_applicable": not_applicable.get(sd, ""),
                              "levels": {}}

    def node_score(node) -> float | None:
        parts = [(weights[sd], subdomains[sd]["score"]) for sd in node.subdomains if subdomains[sd]["score"] is not None]
        den = sum(w for w, _ in parts)
        return round(sum(w * x for w, x in parts) / den, 4) if den else None

    elements, domains = {}, {}
    for element in s.structure:
        elements[element.id] = node_score(element)
        for domain in element.children:
            domains[domain.id] = node_score(domain)
    counted = True
    level_rows = []
    for n in levels:
        sn = level_scores[n]
        level_rows.append({"level": n, "score": sn, "passed": sn is not None and sn >= s.pass_mark,
                           "counted": counted and sn is not None})
        if stopped_at is not None and n >= stopped_at:
            counted = False
    return {
        "method": s.method, "scoring_version": s.version, "official_weights": s.official_weights,
        "pass_mark": s.pass_mark, "score": total, "level": level, "stopped_at": stopped_at,
        "levels": level_rows, "subdomains": subdomains, "domains": domains, "elements": elements,
    }


def _score_cmmm(q: Questionnaire, s: CmmmScoring, answers, na) -> dict:
    vis = visibility(q, answers, na)
    weights = _weights(s, vis.effective)
    items: dict[str, dict[int, list[float]]] = {}
    positions: dict[str, list] = {}
    not_applicable = {}
    for sd in s.subdomains:
        section = q.section(sd)
        if section.id not in vis.sections or section.id in vis.not_applicable:
            not_applicable[sd] = na.get(sd, "") if section.id in vis.not_applicable else ""
            continue
        per: dict[int, list[float]] = {}
        for question in section.questions:
            if question.type != "scale4" or question.id not in vis.questions or question.id in vis.not_applicable:
                continue
            value = s.scale_values.get(vis.effective.get(question.id), 0.0)
            per.setdefault(question.level, []).append(value)
            positions.setdefault(sd, []).append((question, value))
        if per:
            items[sd] = per
        else:
            not_applicable[sd] = ""
    result = _aggregate(s, items, weights, not_applicable)
    result["type"] = vis.effective.get(s.type_question) if s.type_question else None
    result["next_steps"] = _next_steps(result, items, positions, weights, vis.effective)
    return result


def _next_steps(result, items, positions, weights, effective) -> list[dict]:
    """Items at the first failing level, ranked by how much fully meeting each would raise Sₖ."""
    k = result["stopped_at"]
    if k is None:
        return []
    den = sum(weights[sd] for sd, per in items.items() if per.get(k) and weights[sd] > 0)
    if not den:
        return []
    steps = []
    for sd, entries in positions.items():
        n_items = len(items[sd].get(k, []))
        for question, value in entries:
            if question.level != k or value >= 1.0:
                continue
            gain = weights[sd] / den * (1.0 - value) / n_items
            steps.append({"item": question.id, "subdomain": sd, "level": k,
                          "answer": effective.get(question.id), "gain": round(gain, 6),
                          "position": question.position})
    steps.sort(key=lambda st: (-st["gain"], st["position"]))
    for st in steps:
        del st["position"]
    return steps


def _score_quick(q: Questionnaire, s: CmmmScoring, answers, na) -> dict:
    vis = visibility(q, answers, na)
    weights = _weights(s, vis.effective)
    top = max(lv.level for lv in s.levels)
    items, chosen, not_applicable = {}, {}, {}
    for sd in s.subdomains:
        question = q.questions[sd]
        if sd not in vis.questions or sd in vis.not_applicable:
            not_applicable[sd] = na.get(sd, "")
            continue
        option = question.option(vis.effective.get(sd)) if sd in vis.effective else None
        level = int(option.score) if option else 0
        chosen[sd] = level
        items[sd] = {n: [1.0 if n <= level else 0.0] for n in range(1, top + 1)}
    result = _aggregate(s, items, weights, not_applicable)
    result["type"] = vis.effective.get(s.type_question) if s.type_question else None
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
            indicators[ind.id] = round(100.0 * num / den, 2) if num is not None and den else None
        else:
            exclusive = q.exclusive_options.get(ind.questions[0])
            indicators[ind.id] = sum(1 for o in eff.get(ind.questions[0], []) if o != exclusive)
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
