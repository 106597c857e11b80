"""Bureau: create enterprise records and accounts from the roster, and hand out the one-time passwords."""

import pandas as pd
import streamlit as st

from accounts.auth import require_role, session_ended_on_write
from db.identity import SessionEnded
from db.onboarding import onboard, onboarding_status
from db.roster import roster_years
from kpi.export import xlsx_bytes
from startup.bootstrap import ensure_ready
from ui.i18n import t
from zibo.reference import DISTRICTS, district_label

identity = require_role("bureau")
db = ensure_ready()
lang = st.session_state.get("lang", "zh")
st.title(t("onb_title"))
st.caption(t("onb_intro"))


def account_sheet(issued) -> pd.DataFrame:
    """The sheet handed to the enterprises (Chinese headers when the page is in Chinese)."""
    return pd.DataFrame([{t("onb_col_name"): i.name, t("onb_col_code"): i.credit_code,
                          t("onb_col_user"): i.username, t("onb_col_password"): i.password} for i in issued],
                        columns=[t("onb_col_name"), t("onb_col_code"), t("onb_col_user"), t("onb_col_password")])


years = roster_years(db, identity)
if not years:
    st.info(t("onb_no_roster"))
    st.stop()
c1, c2 = st.columns(2)
year = c1.selectbox(t("kpi_roster_year"), [y["year"] for y in years], key="onb_year")
district = c2.selectbox(t("col_district"), [None, *DISTRICTS], key="onb_district",
                        format_func=lambda d: t("city_all_districts") if d is None else district_label(d, lang))
status = onboarding_status(db, identity, year, district)
pending = status["roster"] - status["with_account"]
st.write(t("onb_status", roster=status["roster"], records=status["with_record"], accounts=status["with_account"],
           pending=pending))
if st.button(t("onb_run"), key="onb_run", type="primary", disabled=pending == 0):
    bar = st.progress(0.0, text=t("onb_progress", done=0, total=pending))
    try:
        issued, created = onboard(db, identity, year, district, lambda done, of: bar.progress(
            done / of if of else 1.0, text=t("onb_progress", done=done, total=of)))
    except SessionEnded:
        session_ended_on_write()
    st.session_state["onb_issued"] = (year, district, issued, created)
    st.rerun()

if "onb_issued" in st.session_state:
    done_year, done_district, issued, created = st.session_state["onb_issued"]
    if created["accounts"] or created["enterprises"]:
        st.success(t("onb_done", **created))
    else:
        st.info(t("onb_nothing"))
    if issued:
        st.warning(t("onb_sheet_warning"))
        sheet = account_sheet(issued)
        st.dataframe(sheet, hide_index=True, width="stretch", key="onb_sheet_table")
        name = f"accounts_{done_year}_{done_district or 'city'}"
        st.download_button(t("onb_download"), xlsx_bytes(sheet, t("onb_sheet")), file_name=f"{name}.xlsx",
                           key="onb_download", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
