"""Bureau: share of above-scale manufacturers applying industrial internet against the 45 % target."""

import altair as alt
import pandas as pd
import streamlit as st

from auth import require_role
from bootstrap import ensure_ready
from db.stats import adoption_by_district, level_distribution
from i18n import t
from reference import district_label

TARGET = 45.0

identity = require_role("bureau")
db = ensure_ready()
lang = st.session_state.get("lang", "zh")
st.title(t("page_bureau"))

rows = adoption_by_district(db, identity)
roster = sum(r["roster"] for r in rows)
assessed = sum(r["assessed"] for r in rows)
applying = sum(r["applying"] for r in rows)
share = 100.0 * applying / roster if roster else 0.0
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("ii_share"), f"{share:.1f} %", t("points_vs_target", d=f"{share - TARGET:+.1f}", target=t("target_45")),
          delta_color="normal")
c2.metric(t("roster_count"), roster)
c3.metric(t("ii_assessed"), assessed)
c4.metric(t("ii_applies"), applying)

st.subheader(t("by_district"))
# Column names are what users read (table headers, chart tooltips): translated, never raw keys.
COLUMNS = {"district": t("district"), "roster": t("roster_count"), "assessed": t("ii_assessed"),
           "applying": t("ii_applies"), "share": t("share_percent")}
table = pd.DataFrame([{
    "district": district_label(r["district"], lang), "roster": r["roster"], "assessed": r["assessed"],
    "applying": r["applying"], "share": round(100.0 * r["applying"] / r["roster"], 1) if r["roster"] else 0.0,
} for r in rows]).rename(columns=COLUMNS)
if not table.empty:
    tooltip = [alt.Tooltip(f"{c}:{'N' if k == 'district' else 'Q'}") for k, c in COLUMNS.items()]
    bars = alt.Chart(table).mark_bar().encode(
        x=alt.X(f"{COLUMNS['district']}:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{COLUMNS['share']}:Q", title="%", scale=alt.Scale(domain=[0, 100])),
        tooltip=tooltip)
    target = alt.Chart(pd.DataFrame({t("target_45"): [TARGET]})).mark_rule(color="red", strokeDash=[6, 4]).encode(
        y=alt.Y(f"{t('target_45')}:Q", title="%"))
    st.altair_chart(bars + target, width="stretch")
    st.dataframe(table, hide_index=True, width="stretch")

st.subheader(t("maturity_distribution"))
levels = level_distribution(db, identity)
if levels:
    st.dataframe(pd.DataFrame([{t("level"): t("level_n", n=r["level"]) if r["level"] else t("level_below"),
                                t("enterprise_count"): r["enterprises"]} for r in levels]), hide_index=True)
else:
    st.caption(t("no_result"))
