"""Benchmark scoring.score on the full CMMM questionnaire against a vectorised NumPy computation of S.

Usage: python bench/bench_scoring.py [N] [ROUNDS]   (default 10,000 synthetic assessments, 3 rounds)

Input for both: the answers as the app holds them — a dict item id -> "fully_met" … plus the
manufacturing type, and a dict of not-applicable sub-domains (with a reason) per assessment.
Types are mixed (discrete / process / mixed, so relevance matters) and about one assessment in
five declares one or two sub-domains not applicable.

- project: ``scoring.score`` per assessment (relevance, weights, the full explained result);
- numpy floor: the same S and level for all N at once in NumPy, *encoding included*
  (answer dicts -> value matrix, type and not-applicable masks);
- numpy arrays: the floor's array computation alone, from already-encoded arrays.

The rounds alternate the methods and the best round of each counts (the machine is shared).
The exit status is 1 if the two disagree (|ΔS| > 1e-9 or a different level).
"""

from __future__ import annotations

import sys
import time
from itertools import repeat
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scoring  # noqa: E402
from questionnaires.conditions import visibility  # noqa: E402
from questionnaires.loader import load_file  # noqa: E402
from questionnaires.model import SCALE4  # noqa: E402

TARGET_RATIO = 3.0  # scoring.score within 3× of the NumPy floor


class NumpyFloor:
    """S and level for many assessments at once: the GB/T 39117 arithmetic as array operations."""

    def __init__(self, q):
        s = self.s = q.scoring
        self.type_question = s.type_question
        self.types = q.questions[s.type_question].option_ids
        self.sd = list(s.subdomains)
        self.sd_index = {sd: i for i, sd in enumerate(self.sd)}
        self.levels = [lv.level for lv in s.levels]
        self.items = [x.id for sd in self.sd for x in q.section(sd).questions if x.type == "scale4"]
        self.value_of = dict(s.scale_values)
        item_sd = np.array([self.sd_index[q.questions[i].section_id] for i in self.items])
        item_lv = np.array([self.levels.index(q.questions[i].level) for i in self.items])
        self.item_sd = item_sd
        n_sd, n_lv = len(self.sd), len(self.levels)
        self.group = np.zeros((len(self.items), n_sd * n_lv))  # item -> (sub-domain, level) cell
        self.group[np.arange(len(self.items)), item_sd * n_lv + item_lv] = 1.0
        self.relevant = np.array([[i in visibility(q, {s.type_question: t}).questions for i in self.items]
                                  for t in self.types])  # types × items
        self.weights = np.array([[s.weights[t][sd] for sd in self.sd] for t in self.types])  # types × sub-domains
        self.edges = np.array([lv.min_score for lv in s.levels])

    def encode(self, assessments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values N × items, type index N, not-applicable N × sub-domains) from the answer dicts."""
        n, k = len(assessments), len(self.items)
        values = np.empty((n, k))
        get = self.value_of.get
        for row, (answers, _) in enumerate(assessments):
            values[row] = np.fromiter(map(get, map(answers.get, self.items), repeat(0.0, k)), float, k)
        type_of = {t: i for i, t in enumerate(self.types)}
        kind = np.fromiter((type_of[a[self.type_question]] for a, _ in assessments), np.intp, n)
        na = np.zeros((n, len(self.sd)), dtype=bool)
        for row, (_, reasons) in enumerate(assessments):
            for key in reasons:
                if key in self.sd_index:
                    na[row, self.sd_index[key]] = True
        return values, kind, na

    def compute(self, values, kind, na) -> tuple[np.ndarray, np.ndarray]:
        n_sd, n_lv = len(self.sd), len(self.levels)
        active = self.relevant[kind] & ~na[:, self.item_sd]
        counts = (active @ self.group).reshape(-1, n_sd, n_lv)
        sums = ((values * active) @ self.group).reshape(-1, n_sd, n_lv)
        present = counts > 0
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=present)
        w = self.weights[kind][:, :, None] * (present & (self.weights[kind][:, :, None] > 0))
        den = w.sum(axis=1)
        sn = np.divide((w * means).sum(axis=1), den, out=np.full(den.shape, np.nan), where=den > 0)
        passed = (sn >= self.s.pass_mark - scoring.TOLERANCE) | np.isnan(sn)
        gate = np.ones(sn.shape, dtype=bool)
        gate[:, 1:] = np.cumprod(passed[:, :-1], axis=1)
        total = np.where(gate & ~np.isnan(sn), sn, 0.0).sum(axis=1)
        level = (total[:, None] >= self.edges[None, :] - scoring.TOLERANCE).sum(axis=1)
        return total, level


def synthetic(q, n: int, seed: int = 2025) -> list[tuple[dict, dict]]:
    """n full assessments: each with its own maturity (share of high answers), so that every level
    occurs and the gating is exercised; mixed types."""
    s = q.scoring
    items = [qid for qid, x in q.questions.items() if x.type == "scale4"]
    rng = np.random.default_rng(seed)
    high = rng.uniform(0.72, 1.0, size=(n, 1))  # chance of an answer of at least "largely met"
    u = rng.random((n, len(items)))
    codes = np.where(u < high * 0.75, 3, np.where(u < high, 2, np.where(u < high + (1 - high) / 2, 1, 0))).tolist()
    types = rng.choice(q.questions[s.type_question].option_ids, size=n).tolist()
    out = []
    for row, mtype, draw in zip(codes, types, rng.random(n).tolist()):
        answers = {s.type_question: mtype, **{qid: SCALE4[c] for qid, c in zip(items, row)}}
        na = {}
        if draw < 0.2:
            for sd in rng.choice(s.subdomains, size=1 + int(draw < 0.05), replace=False).tolist():
                na[sd] = "本企业无此业务"
        out.append((answers, na))
    return out


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 10_000
    rounds = int(argv[1]) if len(argv) > 1 else 3
    q = load_file(ROOT / "questionnaires" / "cmmm_full_v1.yaml")
    assessments = synthetic(q, n)
    floor = NumpyFloor(q)
    scoring.score(q, *assessments[0])  # compile the plan outside the timing, like the app's first request

    best = {"project": float("inf"), "floor": float("inf"), "arrays": float("inf")}
    for _ in range(rounds):
        t0 = time.perf_counter()
        # keep what the floor gives (S and level), not 10,000 explained results: the app scores one
        # assessment at a time and stores it as JSON, and a list of them only makes work for the GC
        results = [(r["score"], r["level"]) for r in (scoring.score(q, answers, na) for answers, na in assessments)]
        best["project"] = min(best["project"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        encoded = floor.encode(assessments)
        t1 = time.perf_counter()
        total, level = floor.compute(*encoded)
        t2 = time.perf_counter()
        best["floor"] = min(best["floor"], t2 - t0)
        best["arrays"] = min(best["arrays"], t2 - t1)

    ours = np.array([score for score, _ in results])
    our_levels = np.array([level for _, level in results])
    diff = float(np.max(np.abs(ours - total))) if n else 0.0
    agree = diff <= 1e-9 and bool((our_levels == level).all())
    print(f"{n} synthetic assessments of {q.id} v{q.version} ({len(floor.items)} scale4 items, "
          f"{len(floor.sd)} sub-domains, mixed types, ~20 % with not-applicable sub-domains); "
          f"best of {rounds} rounds")
    print(f"level counts 0..5 = {np.bincount(our_levels, minlength=6).tolist()}; "
          f"max |ΔS| = {diff:.2g}, levels {'equal' if (our_levels == level).all() else 'DIFFER'}")
    print()
    print(f"{'method':<34}{'total s':>9}{'µs/assessment':>15}{'× floor':>9}{'× arrays':>10}")
    rows = (("project  scoring.score (full result)", best["project"]),
            ("numpy floor (encoding included)", best["floor"]),
            ("numpy arrays only", best["arrays"]))
    for name, t in rows:
        print(f"{name:<34}{t:>9.3f}{1e6 * t / max(n, 1):>15.1f}{t / best['floor']:>9.2f}{t / best['arrays']:>10.1f}")
    ratio = best["project"] / best["floor"]
    print(f"\ntarget: project within {TARGET_RATIO:.0f}× the NumPy floor -> {ratio:.2f}× "
          f"{'OK' if ratio <= TARGET_RATIO else 'OVER'}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
