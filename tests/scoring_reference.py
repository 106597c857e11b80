"""A slow, obvious implementation of the cmmm arithmetic (domain.md §2.3), to check scoring.py against.

Written straight from the text, item by item, with plain Python numbers and no compiled plan:
1. sub-domain score at level n = arithmetic mean of its relevant, applicable item scores at level n;
3. Sₙ = weighted mean of the sub-domain scores at level n (sub-domains with items there, weight > 0);
4./5. S = S₁ + … + Sₖ, k the first level with Sₖ below the pass mark (its partial score counts);
6. level = highest band whose lower edge S reaches.
Sub-domain overall scores use the same gated sum over their own level scores; domain and element
scores are the weighted mean of the applicable sub-domain scores below them (docs/questionnaire-format.md).
"""

from __future__ import annotations

from questionnaires.conditions import visibility

TOLERANCE = 1e-9


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _gated(level_scores: list[float | None], pass_mark: float) -> tuple[float, int | None]:
    total = 0.0
    for n, sn in enumerate(level_scores, start=1):
        if sn is None:
            continue
        total += sn
        if sn < pass_mark - TOLERANCE:
            return total, n
    return total, None


def reference_score(q, answers: dict, na: dict | None = None) -> dict:
    """score, level, stopped_at, level scores, sub-domain/domain/element scores, next-step gains."""
    na = na or {}
    s = q.scoring
    vis = visibility(q, answers, na)
    table = s.weights[str(vis.effective[s.type_question])] if s.type_question else s.weights["default"]
    levels = [lv.level for lv in s.levels]
    per_level: dict[str, dict[int, list[float]]] = {}
    for sd in s.subdomains:
        section = q.section(sd)
        if section.id not in vis.sections or section.id in vis.not_applicable:
            continue
        for question in section.questions:
            if question.type == "scale4" and question.id in vis.questions and question.id not in vis.not_applicable:
                value = s.scale_values.get(vis.effective.get(question.id), 0.0)
                per_level.setdefault(sd, {}).setdefault(question.level, []).append(value)
    sd_level = {sd: [(_mean(per[n]) if per.get(n) else None) for n in levels] for sd, per in per_level.items()}
    level_scores: list[float | None] = []
    for j in range(len(levels)):
        parts = [(table[sd], row[j]) for sd, row in sd_level.items() if row[j] is not None and table[sd] > 0]
        den = sum(w for w, _ in parts)
        level_scores.append(sum(w * x for w, x in parts) / den if den else None)
    total, stopped_at = _gated(level_scores, s.pass_mark)
    level = max([lv.level for lv in s.levels if total >= lv.min_score - TOLERANCE], default=0)
    sd_scores = {sd: _gated(row, s.pass_mark)[0] for sd, row in sd_level.items()}

    def node(n):
        parts = [(table[sd], sd_scores[sd]) for sd in n.subdomains if sd in sd_scores]
        den = sum(w for w, _ in parts)
        return sum(w * x for w, x in parts) / den if den else None

    gains = {}
    if stopped_at is not None:
        j = levels.index(stopped_at)
        den = sum(table[sd] for sd, row in sd_level.items() if row[j] is not None and table[sd] > 0)
        for sd in sd_level:
            items = per_level[sd].get(stopped_at, [])
            for question in q.section(sd).questions:
                if (question.type == "scale4" and question.level == stopped_at and question.id in vis.questions
                        and question.id not in vis.not_applicable and den):
                    value = s.scale_values.get(vis.effective.get(question.id), 0.0)
                    if value < 1.0:
                        gains[question.id] = table[sd] / den * (1.0 - value) / len(items)
    return {
        "score": total, "level": level, "stopped_at": stopped_at, "levels": level_scores,
        "subdomains": {sd: sd_scores.get(sd) for sd in s.subdomains},
        "subdomain_levels": sd_level,
        "elements": {e.id: node(e) for e in s.structure},
        "domains": {d.id: node(d) for e in s.structure for d in e.children},
        "gains": gains,
    }
