"""The KPI tables exactly as shown and exported (one builder for both, so they agree row for row).

``label`` is the UI string function (i18n.t); rates are percentages rounded for display only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

from kpi.adoption import QuarterPoint, Tally, Target, gap, target_for
from zibo.reference import district_label, industry_label

Label = Callable[..., str]


def rounded(value: Fraction, digits: int = 1) -> float:
    """An exact value rounded half up for display."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def percent_value(value: Fraction | None, digits: int = 1) -> float | None:
    """A share as a percentage number rounded half up for display (None when undefined)."""
    return None if value is None else rounded(value * 100, digits)


def _counts(label: Label, t: Tally, target: Target | None) -> dict:
    return {label("col_roster"): t.roster, label("col_assessed"): t.assessed,
            label("col_coverage"): percent_value(t.coverage), label("col_applying"): t.applying,
            label("col_verified"): t.applying_verified, label("col_self"): t.applying_self,
            label("col_awaiting"): t.awaiting_review, label("col_rate"): percent_value(t.rate),
            label("col_target"): float(target.value) if target else None,
            label("col_gap"): gap(t, target.value) if target else None}


def district_table(tallies: dict[str, Tally], targets: list[dict], year: int, label: Label, lang: str) -> pd.DataFrame:
    """One row per district/zone; each row against its own target (else the city's)."""
    return pd.DataFrame([{label("col_district"): district_label(d, lang),
                          **_counts(label, t, target_for(targets, year, d))} for d, t in tallies.items()])


def industry_table(tallies: dict[str, Tally], target: Target | None, label: Label) -> pd.DataFrame:
    """One row per industry division on the roster, against the city target."""
    return pd.DataFrame([{label("col_industry"): industry_label(code), **_counts(label, t, target)}
                         for code, t in tallies.items()])


def trend_table(points: list[QuarterPoint], target: Target | None, label: Label) -> pd.DataFrame:
    """One row per quarter: new and cumulative applying, coverage and rate."""
    return pd.DataFrame([{
        label("col_quarter"): label("quarter_label", year=p.quarter[0], q=p.quarter[1]),
        label("col_new"): p.new_applying, label("col_applying"): p.applying, label("col_assessed"): p.assessed,
        label("col_roster"): p.roster, label("col_coverage"): percent_value(p.coverage),
        label("col_rate"): percent_value(p.rate), label("col_target"): float(target.value) if target else None,
    } for p in points])
