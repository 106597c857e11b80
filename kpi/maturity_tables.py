"""The maturity-picture tables exactly as shown and exported (one builder for both, so they agree row for row).

``label`` is the UI string function (i18n.t). ``publication`` tables replace every count of 1–4
enterprises, and every figure of a group of fewer than 5, by "<5" (kpi.maturity.MIN_CELL).
Decision: no complementary suppression; a suppressed count can be derived from a row total only
when exactly one cell of the row is small, which the bureau accepts for a self-assessment census.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from fractions import Fraction

import pandas as pd

from kpi.maturity import BANDS, LEVELS, MIN_CELL, NATIONAL_REFERENCE, TierCount, band_shares, level_of
from kpi.tables import percent_value, rounded
from zibo.reference import district_label, industry_label

Label = Callable[..., str]
SMALL = "<5"


def level_name(label: Label, level: int) -> str:
    return label("city_level_0") if level == 0 else label("city_level_n", n=level)


def _level_cells(label: Label, counts: Counter) -> dict:
    total = sum(counts.values())
    cells = {level_name(label, lv): counts[lv] for lv in LEVELS}
    cells[label("city_col_total")] = total
    at_least_2 = sum(counts[lv] for lv in LEVELS if lv >= 2)
    cells[label("city_col_share2")] = percent_value(Fraction(at_least_2, total) if total else None)
    return cells


def level_table(groups: dict[str, Counter], group_label: str, name: Callable[[str], str], label: Label) -> pd.DataFrame:
    """One row per group (district, industry, or one "全市" row): enterprises per level, total, share ≥ level 2."""
    return pd.DataFrame([{group_label: name(g), **_level_cells(label, c)} for g, c in groups.items()])


def city_level_table(counts: Counter, label: Label) -> pd.DataFrame:
    return level_table({"city": counts}, label("city_col_scope"), lambda _: label("city_all"), label)


def district_level_table(groups: dict[str, Counter], label: Label, lang: str) -> pd.DataFrame:
    return level_table(groups, label("col_district"), lambda d: district_label(d, lang), label)


def industry_level_table(groups: dict[str, Counter], label: Label) -> pd.DataFrame:
    return level_table(groups, label("col_industry"), industry_label, label)


def reference_table(counts: Counter, label: Label) -> pd.DataFrame:
    """Zibo's shares in the national report's bands beside CESI's 2020–2022 distributions (percent)."""
    bands = [label("city_band", lo=lo, hi=hi) if lo != hi else level_name(label, lo) for lo, hi in BANDS]
    bands[0], bands[-1] = label("city_band_low"), label("city_band_high")
    rows = [{label("city_col_source"): label("city_ref_zibo", n=sum(counts.values())),
             **{b: percent_value(s) for b, s in zip(bands, band_shares(counts), strict=True)}}]
    for year, shares in NATIONAL_REFERENCE.items():
        rows.append({label("city_col_source"): label("city_ref_national", year=year),
                     **{b: float(s) for b, s in zip(bands, shares, strict=True)}})
    return pd.DataFrame(rows)


def weakest_table(rows: list[dict], name: Callable[[str], str], label: Label) -> pd.DataFrame:
    """Sub-domains, lowest mean score first (exact mean rounded half up to 2 decimals for display only)."""
    return pd.DataFrame([{label("city_col_rank"): i, label("city_col_subdomain"): name(r["subdomain"]),
                          label("city_col_mean"): rounded(r["mean_score"], 2), label("city_col_enterprises"): r["enterprises"]}
                         for i, r in enumerate(rows, start=1)])


def tier_table(tiers: list[TierCount], label: Label) -> pd.DataFrame:
    return pd.DataFrame([{label("city_col_tier"): label(t.tier), label("city_col_min_level"): t.min_level,
                          label("city_col_candidates"): t.candidates, label("city_col_assessed"): t.assessed,
                          label("city_col_share"): percent_value(t.share),
                          label("city_col_source"): _tier_source(label, t.min_level)}
                         for t in tiers])


def _tier_source(label: Label, min_level: int) -> str:
    return label("gate_src_shandong") if min_level == 2 else label("gate_src_excellent") + label("gate_conf_k")


def transition_table(matrix: dict[int, Counter], label: Label) -> pd.DataFrame:
    """Rows: level of the first assessment; columns: level of the latest one."""
    return pd.DataFrame([{label("city_col_first"): level_name(label, first),
                          **{level_name(label, to): row[to] for to in LEVELS}} for first, row in matrix.items()])


def enterprise_table(rows: list[dict], label: Label, lang: str, local_time: Callable[[str | None], str]) -> pd.DataFrame:
    """The drill-down list: one row per enterprise of the chosen cell."""
    return pd.DataFrame([{
        label("city_col_enterprise"): r["name"], label("city_col_credit_code"): r["credit_code"],
        label("col_district"): district_label(r["district"], lang), label("col_industry"): industry_label(r["industry_code"]),
        label("city_col_level"): level_name(label, level_of(r)),
        label("city_col_basis"): label("city_basis_verified" if r["verified"] else "city_basis_self"),
        label("city_col_submitted"): local_time(r["submitted_at"]), label("city_col_assessment"): r["assessment_id"],
    } for r in rows], columns=[label(k) for k in ("city_col_enterprise", "city_col_credit_code", "col_district",
                                                   "col_industry", "city_col_level", "city_col_basis",
                                                   "city_col_submitted", "city_col_assessment")])


def for_publication(table: pd.DataFrame, count_columns: list[str], total_column: str | None = None,
                    share_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy with every count of 1–4 as "<5"; a row whose total is below 5 has all its figures suppressed."""
    out = table.astype(object).copy()
    for i in out.index:
        small_group = total_column is not None and 0 < int(table.at[i, total_column]) < MIN_CELL
        for column in count_columns + list(share_columns):
            value = table.at[i, column]
            if column in share_columns:
                if small_group:
                    out.at[i, column] = SMALL
            elif small_group or (value is not None and 0 < int(value) < MIN_CELL):
                out.at[i, column] = SMALL
    return out
