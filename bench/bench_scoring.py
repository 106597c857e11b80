"""Benchmark scoring.score on the full CMMM questionnaire against a plain NumPy computation of S.

Usage: python bench/bench_scoring.py [N]   (default 10,000 synthetic discrete assessments)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scoring  # noqa: E402
from questionnaires.conditions import visibility  # noqa: E402
from questionnaires.loader import load_file  # noqa: E402
from questionnaires.model import SCALE4  # noqa: E402

BUDGET_US = 1000.0  # ≤ 1 ms per assessment
MTYPE = "discrete"


def numpy_scores(q, codes: np.ndarray, items: list[str]) -> np.ndarray:
    """S for every row of ``codes`` (N × items, index into SCALE4), the GB/T 39117 arithmetic in NumPy."""
    s = q.scoring
    relevant = visibility(q, {s.type_question: MTYPE}).questions
    values = np.array([s.scale_values[a] for a in SCALE4])[codes]  # N × items
    levels = [lv.level for lv in s.levels]
    table = s.weights.get(MTYPE, {})
    # group matrix: item -> (sub-domain, level) mean
    columns: dict[tuple[str, int], list[int]] = {}
    for j, qid in enumerate(items):
        question = q.questions[qid]
        if qid in relevant and question.section_id in s.subdomains:
            columns.setdefault((question.section_id, question.level), []).append(j)
    groups = sorted(columns)
    m = np.zeros((len(items), len(groups)))
    for g, key in enumerate(groups):
        m[columns[key], g] = 1.0 / len(columns[key])
    sd_level = values @ m  # N × groups: sub-domain mean per level
    weight_of = np.array([float(table.get(sd, 1.0)) for sd, _ in groups])
    # weighted level score: Sn = Σ w·x / Σ w over the groups at level n
    lv = np.zeros((len(groups), len(levels)))
    for g, (_, n) in enumerate(groups):
        lv[g, levels.index(n)] = weight_of[g]
    den = lv.sum(axis=0)
    keep = den > 0
    level_scores = (sd_level @ lv[:, keep]) / den[keep]  # N × levels with items
    passed = level_scores >= s.pass_mark - 1e-9
    counted = np.ones_like(passed)
    counted[:, 1:] = np.cumprod(passed[:, :-1], axis=1)  # a level counts if every level below passed
    return (level_scores * counted).sum(axis=1)


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 10_000
    q = load_file(ROOT / "questionnaires" / "cmmm_full_v1.yaml")
    items = [qid for qid, question in q.questions.items() if question.type == "scale4"]
    rng = np.random.default_rng(2025)
    # bias towards higher answers so that many assessments get past level 1 and the gating is exercised
    codes = rng.choice(4, size=(n, len(items)), p=[0.05, 0.1, 0.25, 0.6])
    assessments = [{"manufacturing_type": MTYPE, **{qid: SCALE4[c] for qid, c in zip(items, row)}} for row in codes.tolist()]

    t0 = time.perf_counter()
    ref = np.array([scoring.score(q, a)["score"] for a in assessments])
    t_score = time.perf_counter() - t0

    t0 = time.perf_counter()
    fast = numpy_scores(q, codes, items)
    t_numpy = time.perf_counter() - t0

    diff = float(np.max(np.abs(ref - fast))) if n else 0.0
    levels = np.bincount([scoring._band(q.scoring, x) for x in ref], minlength=6)
    print(f"{n} synthetic {MTYPE} assessments of {q.id} v{q.version}: {len(items)} scale4 items, "
          f"{len(q.scoring.subdomains)} sub-domains; level counts 0..5 = {levels.tolist()}")
    print(f"max |scoring.score - numpy| = {diff:.3g}  ({'agree' if diff < 1e-6 else 'DISAGREE'})")
    print()
    print(f"{'method':<16}{'total s':>10}{'µs/assessment':>16}{'ratio':>8}")
    for name, t in (("scoring.score", t_score), ("numpy", t_numpy)):
        print(f"{name:<16}{t:>10.3f}{1e6 * t / max(n, 1):>16.1f}{t / t_numpy:>8.1f}")
    per = 1e6 * t_score / max(n, 1)
    print(f"\nbudget ≤ {BUDGET_US:.0f} µs per assessment: scoring.score {per:.0f} µs -> {'OK' if per <= BUDGET_US else 'OVER'}")
    return 0 if diff < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
