"""The city's maturity picture from the counts db.stats reads: level distributions, smart-factory
tier candidates and level transitions. Counts are integers, shares exact Fractions;
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


def _in(cell, district: str | None, industry: str | None) -> bool:
    return (district is None or cell.district == district) and (industry is None or cell.industry_code == industry)


def level_counts(cells: Iterable, district: str | None = None, industry: str | None = None) -> Counter:
    """Enterprises per latest effective level (all six levels present) in the scope, from db.stats.picture_cells."""
    counts = Counter({level: 0 for level in LEVELS})
    for cell in cells:
        if _in(cell, district, industry):
            counts[cell.level] += cell.n
    return counts


def level_counts_by(cells: Iterable, by: str, district: str | None = None, industry: str | None = None,
                    keys: Iterable[str] = ()) -> dict[str, Counter]:
    """level_counts per "district" or "industry_code" (``keys`` first, then the others sorted)."""
    found: dict[str, Counter] = {}
    for cell in cells:
        if _in(cell, district, industry):
            group = getattr(cell, by)
            if group not in found:
                found[group] = Counter({level: 0 for level in LEVELS})
            found[group][cell.level] += cell.n
    order = list(dict.fromkeys([*keys, *sorted(found)]))
    return {g: found.get(g, Counter({level: 0 for level in LEVELS})) for g in order}


def verified_count(cells: Iterable, district: str | None = None, industry: str | None = None) -> int:
    return sum(c.n for c in cells if c.verified and _in(c, district, industry))


def tier_candidates(counts: Counter) -> list[TierCount]:
    """Enterprises whose latest effective level reaches each tier's minimum (a reference count)."""
    assessed = sum(counts.values())
    return [TierCount(tier, need, sum(n for lv, n in counts.items() if lv >= need), assessed) for tier, need in TIERS]


def transitions(cells: Iterable, district: str | None = None, industry: str | None = None) -> dict[int, Counter]:
    """first level -> Counter(latest level), over enterprises assessed more than once."""
    matrix = {level: Counter({to: 0 for to in LEVELS}) for level in LEVELS}
    for cell in cells:
        if cell.reassessed and _in(cell, district, industry):
            matrix[cell.first_level][cell.level] += cell.n
    return matrix
