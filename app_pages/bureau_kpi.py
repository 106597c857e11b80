"""Bureau: the industrial-internet adoption rate over the roster, against the targets; roster import; targets."""

import hashlib
from datetime import datetime
from fractions import Fraction

import altair as alt
import pandas as pd
import streamlit as st

from accounts.auth import require_role
from db.kpi import adoption_rows, targets_for
from db.roster import list_targets, roster_years, set_target
from imports.roster import FIELD_EN, FIELD_ZH, import_preview, preview_file
from kpi import adoption as kpi
from kpi.export import csv_bytes, xlsx_bytes
from kpi.tables import district_table, industry_table, percent_value, rounded, trend_table
from startup.bootstrap import ensure_ready
from ui.i18n import t
from zibo.reference import DISTRICTS, district_label

identity = require_role("bureau")
db = ensure_ready()
lang = st.session_state.get("lang", "zh")
today = datetime.now(kpi.SHANGHAI).date()
st.title(t("page_bureau_kpi"))


def exports(table: pd.DataFrame, name: str, key: str) -> None:
    """xlsx and csv (UTF-8 with BOM) of exactly the table shown."""
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(t("kpi_export_xlsx"), xlsx_bytes(table, name), file_name=f"{name}.xlsx", key=f"xlsx_{key}",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c2.download_button(t("kpi_export_csv"), csv_bytes(table), file_name=f"{name}.csv", key=f"csv_{key}",
                       mime="text/csv")


def full_height(table: pd.DataFrame) -> int:
    """Pixel height that shows every row of a short table without an inner scroll bar."""
    return 38 + 35 * len(table)


def target_text(target: kpi.Target | None) -> str:
    return kpi.percent_text(target.value / 100) if target else t("kpi_no_target")


def headline(tally: kpi.Tally, target: kpi.Target | None, scope_name: str, year: int, definition_key: str) -> None:
    st.subheader(t("kpi_scope_title", scope=scope_name))
    c1, c2, c3, c4 = st.columns(4)
    delta = None
    if target and tally.rate is not None:
        delta = t("kpi_delta", d=f"{percent_value(tally.rate - target.value / 100):+.1f}")
    c1.metric(t("kpi_rate"), kpi.percent_text(tally.rate), delta)
    c1.caption(t("kpi_vs_target", target=target_text(target), year=target.year) if target else t("kpi_no_target"))
    c2.metric(t("kpi_coverage"), kpi.percent_text(tally.coverage))
    c2.caption(t("kpi_coverage_detail", assessed=tally.assessed, roster=tally.roster))
    if target:
        needed = kpi.gap(tally, target.value)
        c3.metric(t("kpi_gap"), t("kpi_gap_value", n=needed) if needed else t("kpi_gap_reached"))
        c3.caption(t("kpi_gap_detail", required=kpi.required(target.value, tally.roster), roster=tally.roster,
                     target=target_text(target)))
    else:
        c3.metric(t("kpi_gap"), "—")
        c3.caption(t("kpi_no_target"))
    c4.metric(t("kpi_awaiting"), tally.awaiting_review)
    c4.caption(t("kpi_awaiting_detail"))
    st.caption(t("kpi_applying_detail", n=tally.applying, v=tally.applying_verified, s=tally.applying_self))
    st.caption(t(definition_key, year=year))


def district_chart(table: pd.DataFrame, target: kpi.Target | None) -> alt.LayerChart | alt.Chart:
    data = pd.DataFrame({"unit": table[t("col_district")], "rate": table[t("col_rate")],
                         "coverage": table[t("col_coverage")]})
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("unit:N", sort=None, title=None, axis=alt.Axis(labelAngle=-30, labelOverlap=False)),
        y=alt.Y("rate:Q", title=t("kpi_chart_rate"), scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("unit:N", title=t("col_district")), alt.Tooltip("rate:Q", title=t("col_rate")),
                 alt.Tooltip("coverage:Q", title=t("col_coverage"))])
    if target is None:
        return bars
    rule = alt.Chart(pd.DataFrame({"target": [float(target.value)]})).mark_rule(color="red", strokeDash=[6, 4]).encode(
        y="target:Q", tooltip=[alt.Tooltip("target:Q", title=t("col_target"))])
    return bars + rule


def figures() -> None:
    years = roster_years(db, identity)
    if not years:
        st.info(t("kpi_no_roster"))
        return
    counts = {y["year"]: y["enterprises"] for y in years}
    c1, c2, c3 = st.columns([1, 1, 2])
    year = c1.selectbox(t("kpi_roster_year"), list(counts), key="kpi_year",
                        format_func=lambda y: t("kpi_year_option", year=y, n=counts[y]))
    district = c2.selectbox(t("kpi_filter_district"), [None, *DISTRICTS], key="kpi_district",
                            format_func=lambda d: t("kpi_all") if d is None else district_label(d, lang))
    verified_only = c3.checkbox(t("kpi_verified_only"), key="kpi_verified_only")
    definition = kpi.Definition(count_self_assessed=not verified_only)
    definition_key = "kpi_definition_verified" if verified_only else "kpi_definition"
    rows = adoption_rows(db, identity, year)
    targets = targets_for(db, identity)
    city_target = kpi.target_for(targets, year, "city")
    scoped = kpi.only(rows, district)
    scope_target = kpi.target_for(targets, year, district or "city")
    scope_name = district_label(district, lang) if district else t("kpi_city")
    suffix = f"{year}_{district or 'city'}"

    headline(kpi.tally(scoped, definition), scope_target, scope_name, year, definition_key)

    st.subheader(t("kpi_by_district"))
    by_district = district_table(kpi.by_district(rows, definition), targets, year, t, lang)
    st.altair_chart(district_chart(by_district, city_target), width="stretch")
    st.dataframe(by_district, hide_index=True, width="stretch", height=full_height(by_district), key="kpi_table_district")
    exports(by_district, f"adoption_by_district_{year}", "district")

    st.subheader(t("kpi_by_industry") + f"（{scope_name}）")
    by_industry = industry_table(kpi.by_industry(scoped, definition), scope_target, t)
    st.dataframe(by_industry, hide_index=True, width="stretch", height=full_height(by_industry), key="kpi_table_industry")
    exports(by_industry, f"adoption_by_industry_{suffix}", "industry")

    st.subheader(t("kpi_trend") + f"（{scope_name}）")
    points = kpi.trend(scoped, kpi.quarter_of_date(today), definition)
    if not points:
        st.caption(t("kpi_no_results"))
        return
    trend = trend_table(points, scope_target, t)
    line = alt.Chart(pd.DataFrame({"quarter": trend[t("col_quarter")], "rate": trend[t("col_rate")]})).mark_line(
        point=True).encode(x=alt.X("quarter:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
                           y=alt.Y("rate:Q", title=t("kpi_chart_rate"), scale=alt.Scale(domain=[0, 100])))
    if scope_target:
        line = line + alt.Chart(pd.DataFrame({"target": [float(scope_target.value)]})).mark_rule(
            color="red", strokeDash=[6, 4]).encode(y="target:Q")
    st.altair_chart(line, width="stretch")
    st.dataframe(trend, hide_index=True, width="stretch", height=full_height(trend), key="kpi_table_trend")
    exports(trend, f"adoption_trend_{suffix}", "trend")
    st.caption(t("kpi_trend_note"))
    if scope_target:
        projection = kpi.project(points, scope_target.value)
        if projection.already:
            st.info(t("kpi_projection_done"))
        elif projection.reached is None:
            st.info(t("kpi_projection_never", w=projection.window, n=projection.needed))
        else:
            pace = rounded(projection.pace)
            st.info(t("kpi_projection", w=projection.window, pace=pace, year=projection.reached[0],
                      q=projection.reached[1], n=projection.needed))


def roster_import() -> None:
    st.caption(t("roster_help"))
    year = int(st.number_input(t("roster_year"), min_value=2000, max_value=2100, value=today.year, step=1,
                               key="roster_year"))
    upload = st.file_uploader(t("roster_upload"), type=["xlsx", "csv"], key="roster_file")
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        cached = st.session_state.get("roster_preview")
        if not cached or cached[0] != digest:
            cached = st.session_state["roster_preview"] = (digest, upload.name, preview_file(upload.name, data))
        _, name, preview = cached
        st.write(t("roster_summary", total=preview.total_rows, valid=len(preview.valid), bad=preview.bad_rows))
        if preview.problems:
            st.error(t("roster_problems"))
            fields = FIELD_EN if lang == "en" else FIELD_ZH
            st.dataframe(pd.DataFrame([{t("col_row"): p.row, t("col_field"): fields.get(p.field, p.field),
                                        t("col_problem"): p.get(lang)} for p in preview.problems]),
                         hide_index=True, width="stretch", key="roster_problems")
        else:
            st.success(t("roster_clean"))
        only_valid = False
        if preview.clean:
            go = st.button(t("roster_import", n=len(preview.valid), year=year), type="primary", key="roster_import")
        elif preview.valid and not preview.file_problem:
            confirmed = st.checkbox(t("roster_confirm_partial"), key="roster_confirm")
            go = st.button(t("roster_import_valid", n=len(preview.valid), bad=preview.bad_rows),
                           disabled=not confirmed, key="roster_import_valid")
            only_valid = True
        else:
            st.warning(t("roster_nothing"))
            go = False
        if go:
            bar = st.progress(0.0, text=t("roster_progress", done=0, total=len(preview.valid)))
            counts = import_preview(db, identity, year, preview, only_valid=only_valid, source=name,
                                    progress=lambda done, total: bar.progress(
                                        done / total, text=t("roster_progress", done=done, total=total)))
            st.session_state.pop("roster_preview", None)
            st.session_state["kpi_year"] = year  # the figures tab (rendered after this one) shows the new roster
            st.success(t("roster_imported", year=year, **counts))
    years = roster_years(db, identity)
    if years:
        st.subheader(t("roster_years"))
        st.dataframe(pd.DataFrame([{t("col_year"): y["year"], t("col_enterprises"): y["enterprises"],
                                    t("col_imported_at"): shanghai_time(y["imported_at"])} for y in years]),
                     hide_index=True, key="roster_year_table")


def shanghai_time(utc_iso: str | None) -> str:
    if not utc_iso:
        return ""
    moment = datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(kpi.SHANGHAI)
    return moment.strftime("%Y-%m-%d %H:%M")


def scope_label(scope: str) -> str:
    return t("kpi_city") if scope == "city" else district_label(scope, lang)


def targets_editor() -> None:
    rows = list_targets(db, identity)
    st.dataframe(pd.DataFrame([{t("col_metric"): t("target_metric_ii"), t("col_year"): r["year"],
                                t("col_scope"): scope_label(r["scope"]), t("col_value"): float(Fraction(r["value"])),
                                t("col_updated"): shanghai_time(r["updated_at"])} for r in rows]),
                 hide_index=True, key="targets_table")
    with st.form("target_form"):
        c1, c2, c3 = st.columns(3)
        year = c1.number_input(t("target_year"), min_value=2000, max_value=2100, value=2025, step=1, key="target_year")
        scope = c2.selectbox(t("target_scope"), ["city", *DISTRICTS], format_func=scope_label, key="target_scope")
        value = c3.number_input(t("target_value"), min_value=0.0, max_value=100.0, value=45.0, step=0.5,
                                format="%.1f", key="target_value")
        if st.form_submit_button(t("target_save")):
            if not 0 < value <= 100:
                st.error(t("target_invalid"))
            else:
                text = f"{value:.1f}"  # the input has one decimal; keep it exact as decimal text
                set_target(db, identity, "ii_adoption_rate", int(year), scope, text)
                st.success(t("target_saved", scope=scope_label(scope), year=int(year), value=text))


tab_figures, tab_roster, tab_targets = st.tabs([t("kpi_tab_figures"), t("kpi_tab_roster"), t("kpi_tab_targets")])
with tab_roster:
    roster_import()
with tab_targets:
    targets_editor()
with tab_figures:
    figures()
