"""Bureau: the city's maturity picture (levels, weakest sub-domains, tier candidates, transitions),
drill-down to enterprises and their results, and exports of every table (issue 11 §5, §6)."""

import os

import altair as alt
import pandas as pd
import streamlit as st

from accounts.auth import require_role
from db.exports import count_answer_rows, iter_answer_rows
from db.stats import assessed_per_questionnaire, maturity_rows, picture_cells, weakest_subdomains
from exports.answers import write_csv, write_xlsx
from kpi import maturity as mat
from kpi import maturity_tables as tables
from kpi.export import csv_bytes, xlsx_bytes
from questionnaires import registry
from reports.explain import local_time, subdomain_name
from startup.bootstrap import ensure_ready
from ui.i18n import t, tx
from zibo.reference import DISTRICTS, district_label, industry_label

identity = require_role("bureau")
db = ensure_ready()
lang = st.session_state.get("lang", "zh")
st.title(t("page_bureau"))
st.subheader(t("city_title"))
st.caption(t("city_intro"))

maturity = {q.id: q for q in registry.load_all().values() if q.scoring.method in ("cmmm", "cmmm_quick")}
c1, c2, c3 = st.columns([2, 1, 1])
assessed_per = assessed_per_questionnaire(db, identity)  # the questionnaire most answered comes first
by_title = {tx(maturity[q].title): q for q in sorted(maturity, key=lambda q: (-assessed_per.get(q, 0), q))}
qid = by_title[c1.selectbox(t("city_questionnaire"), list(by_title), key=f"city_q_{lang}")]
district = c2.selectbox(t("col_district"), [None, *DISTRICTS], key="city_district",
                        format_func=lambda d: t("city_all_districts") if d is None else district_label(d, lang))
cells = picture_cells(db, identity, qid)
industries = sorted({c.industry_code for c in cells if c.industry_code})
industry = c3.selectbox(t("col_industry"), [None, *industries], key="city_industry",
                        format_func=lambda c: t("city_all_industries") if c is None else industry_label(c))
publication = st.checkbox(t("city_publication"), key="city_publication")
if publication:
    st.caption(t("city_publication_note"))
suffix = f"{qid}_{district or 'city'}_{industry or 'all'}"
questionnaire = registry.latest(qid)
LEVEL_COLUMNS = [tables.level_name(t, lv) for lv in mat.LEVELS]


def full_height(table: pd.DataFrame) -> int:
    return 38 + 35 * len(table)


def show(table: pd.DataFrame, name: str, key: str, counts: list[str] | None = None, total: str | None = None,
         shares: tuple[str, ...] = ()) -> None:
    """The table, then xlsx and csv (UTF-8 with BOM) of exactly it; suppressed when for publication."""
    # A share with no enterprises behind it is shown as "—" (Streamlit would write "None"); the export
    # keeps the cell empty, which is what a spreadsheet reader expects.
    shown = table.copy()
    for column in shown.columns[shown.isna().any()]:
        shown[column] = shown[column].map(lambda v: "—" if pd.isna(v) else f"{v:g}")
    st.dataframe(shown, hide_index=True, width="stretch", height=full_height(table), key=f"city_table_{key}")
    if publication and counts is None:
        return  # lists of enterprises are never published
    out = tables.for_publication(table, counts, total, shares) if publication else table
    name = f"{name}_publication" if publication else name
    b1, b2, _ = st.columns([1, 1, 4])
    b1.download_button(t("city_export_xlsx"), xlsx_bytes(out, name), file_name=f"{name}.xlsx", key=f"xlsx_{key}",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    b2.download_button(t("city_export_csv"), csv_bytes(out), file_name=f"{name}.csv", key=f"csv_{key}",
                       mime="text/csv")


def level_export(table: pd.DataFrame, name: str, key: str) -> None:
    show(table, name, key, LEVEL_COLUMNS + [t("city_col_total")], t("city_col_total"), (t("city_col_share2"),))


counts = mat.level_counts(cells, district, industry)
assessed = sum(counts.values())
m1, m2, m3 = st.columns(3)
m1.metric(t("city_metric_assessed"), assessed)
m2.metric(t("city_metric_verified"), mat.verified_count(cells, district, industry))
share2 = tables.percent_value(mat.band_shares(counts)[1] + mat.band_shares(counts)[2]
                              + mat.band_shares(counts)[3]) if assessed else None
m3.metric(t("city_metric_level2"), "—" if share2 is None else f"{share2:.1f} %")
if not assessed:
    st.info(t("city_no_results"))

st.subheader(t("city_sec_levels"))
city_table = tables.city_level_table(counts, t)
chart_data = pd.DataFrame({"level": LEVEL_COLUMNS, "n": [counts[lv] for lv in mat.LEVELS]})
st.altair_chart(alt.Chart(chart_data).mark_bar().encode(
    x=alt.X("level:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
    # Whole enterprises on the axis: no 0.5 ticks when the counts are small.
    y=alt.Y("n:Q", title=t("city_col_enterprises"), axis=alt.Axis(tickMinStep=1, format="d")),
    tooltip=[alt.Tooltip("level:N", title=t("level")), alt.Tooltip("n:Q", title=t("city_col_enterprises"))]),
    width="stretch")
level_export(city_table, f"maturity_levels_{suffix}", "levels")

st.subheader(t("city_sec_reference"))
st.caption(t("city_ref_caption"))
reference = tables.reference_table(counts, t)
show(reference, f"maturity_reference_{suffix}", "reference", [], None,
     tuple(c for c in reference.columns if c != t("city_col_source")) if assessed < mat.MIN_CELL else ())

st.subheader(t("city_sec_district"))
by_district = tables.district_level_table(mat.level_counts_by(cells, "district", None, industry, DISTRICTS), t, lang)
level_export(by_district, f"maturity_by_district_{qid}_{industry or 'all'}", "district")

st.subheader(t("city_sec_industry"))
by_industry = tables.industry_level_table(mat.level_counts_by(cells, "industry_code", district, None), t)
level_export(by_industry, f"maturity_by_industry_{qid}_{district or 'city'}", "industry")

st.subheader(t("city_sec_weakest"))
st.caption(t("city_weakest_caption"))
weakest = tables.weakest_table(weakest_subdomains(db, identity, qid, district, industry),
                               lambda sd: subdomain_name(questionnaire, sd, lang), t)
show(weakest, f"weakest_subdomains_{suffix}", "weakest", [t("city_col_enterprises")] if len(weakest) else [])

st.subheader(t("city_sec_tiers"))
st.caption(t("city_tiers_caption"))
tiers = tables.tier_table(mat.tier_candidates(counts), t)
show(tiers, f"tier_candidates_{suffix}", "tiers", [t("city_col_candidates"), t("city_col_assessed")],
     t("city_col_assessed"), (t("city_col_share"),))

st.subheader(t("city_sec_transitions"))
st.caption(t("city_transitions_caption"))
transitions = tables.transition_table(mat.transitions(cells, district, industry), t)
show(transitions, f"level_transitions_{suffix}", "transitions", LEVEL_COLUMNS)

st.subheader(t("city_sec_drill"))
st.caption(t("city_drill_caption"))
level = st.selectbox(t("city_drill_level"), [None, *mat.LEVELS], key="city_level",
                     format_func=lambda lv: t("city_all_levels") if lv is None else tables.level_name(t, lv))
if district is None and industry is None and level is None:
    st.caption(t("city_drill_choose"))  # the whole city's list would be tens of thousands of rows
    cell = []
else:
    cell = maturity_rows(db, identity, qid, district, industry, level)
    st.caption(t("city_drill_count", n=len(cell)))
    listing = tables.enterprise_table(cell, t, lang, local_time)
    show(listing, f"enterprises_{suffix}_{'all' if level is None else level}", "enterprises")
if cell:
    by_assessment = {r["assessment_id"]: r for r in cell}
    chosen = st.selectbox(t("city_drill_pick"), list(by_assessment), key="city_pick",
                          format_func=lambda a: f"{by_assessment[a]['name']} · {by_assessment[a]['credit_code']}")
    st.page_link("app_pages/result.py", label=t("city_drill_open"), icon=":material/bar_chart:", query_params={"a": str(chosen)})

st.subheader(t("city_sec_answers"))
st.caption(t("city_answers_caption"))
total = count_answer_rows(db, identity, qid, district, industry)
st.caption(t("city_answers_rows", n=total))
f1, f2, _ = st.columns([1, 1, 4])
fmt = "csv" if f1.button(t("city_answers_make", fmt="CSV"), key="answers_csv") else (
    "xlsx" if f2.button(t("city_answers_make", fmt="Excel"), key="answers_xlsx") else None)
if fmt:
    bar = st.progress(0.0, text=t("city_answers_progress", done=0, total=total))

    def progress(done: int, of: int) -> None:
        bar.progress(min(1.0, done / of) if of else 1.0, text=t("city_answers_progress", done=done, total=of))

    writer = write_csv if fmt == "csv" else write_xlsx
    path = writer(iter_answer_rows(db, identity, qid, district, industry), t, total, progress, lang)
    try:
        size = os.path.getsize(path)
        st.success(t("city_answers_ready", size=f"{size / 1_048_576:.1f} MB"))
        with open(path, "rb") as handle:
            st.download_button(t("city_answers_download"), handle, file_name=f"answers_{suffix}.{fmt}",
                               key="answers_download", mime="text/csv" if fmt == "csv" else
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    finally:
        os.unlink(path)
