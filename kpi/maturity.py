"""The city's maturity picture from per-enterprise rows (db.stats.maturity_rows): level distributions,
smart-factory tier candidates and level transitions. Counts are integers, shares exact Fractions;
rounding happens only for display (kpi.tables.percent_value).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

LEVELS = (0, 1, 2, 3, 4, 5)  # 0 = below level 1

# National reference distributions (domain.md §1.7): CESI 智能制造发展指数报告, self-diagnosis on the
# c3mep platform (self-selected samples, not random). Bands: ≤ level 1, level 2, level 3, ≥ level 4 (percent).
NATIONAL_REFERENCE = {2020: (75, 14, 6, 5), 2021: (69, 15, 7, 9), 2022: (63, 21, 12, 4)}
BANDS = ((0, 1), (2, 2), (3, 3), (4, 5))

# Shandong smart-factory tiers (domain.md §9): (tier key, minimum level, confidence). References, not decisions.
TIERS = (("gate_basic", 2), ("gate_advanced", 2), ("gate_excellent", 3))

MIN_CELL = 5  # the publication export shows no count of fewer than 5 enterprises


def level_of(row: dict) -> int:
    return int(row["level"] or 0)


def distribution(rows: Iterable[dict]) -> Counter:
    """Enterprises per level (all six levels present, zero where none)."""
    counts = Counter({level: 0 for level in LEVELS})
    counts.update(level_of(r) for r in rows)
    return counts


def distribution_by(rows: Iterable[dict], key: str, keys: Iterable[str] = ()) -> dict[str, Counter]:
    """Level distribution per value of ``key`` ("district" or "industry_code"); ``keys`` come first."""
    groups: dict[str, list[dict]] = {k: [] for k in keys}
    for row in rows:
        groups.setdefault(row[key] or "", []).append(row)
    return {k: distribution(v) for k, v in groups.items()}


def band_shares(counts: Counter) -> list[Fraction | None]:
    """Shares of the reference bands (≤1, 2, 3, ≥4) in a distribution; None when nobody is counted."""
    total = sum(counts.values())
    if not total:
        return [None] * len(BANDS)
    return [Fraction(sum(counts[lv] for lv in range(lo, hi + 1)), total) for lo, hi in BANDS]


@dataclass(frozen=True)
class TierCount:
    tier: str
    min_level: int
    candidates: int
    assessed: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.candidates, self.assessed) if self.assessed else None


def tier_candidates(rows: Iterable[dict]) -> list[TierCount]:
    """Enterprises whose latest effective level reaches each tier's minimum (a reference count)."""
    levels = [level_of(r) for r in rows]
    return [TierCount(tier, need, sum(1 for lv in levels if lv >= need), len(levels)) for tier, need in TIERS]


def transitions(rows: Iterable[dict]) -> dict[int, Counter]:
    """first level -> Counter(latest level) over enterprises assessed more than once."""
    matrix = {level: Counter({to: 0 for to in LEVELS}) for level in LEVELS}
    for row in rows:
        if row["first_assessment_id"] != row["assessment_id"]:
            matrix[int(row["first_level"] or 0)][level_of(row)] += 1
    return matrix


def only(rows: Iterable[dict], district: str | None = None, industry: str | None = None,
         level: int | None = None) -> list[dict]:
    """The rows of one district, industry division and/or level (None = all): a drill-down cell."""
    return [r for r in rows if (district is None or r["district"] == district)
            and (industry is None or r["industry_code"] == industry)
            and (level is None or level_of(r) == level)]
