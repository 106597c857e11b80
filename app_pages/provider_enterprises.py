"""Service provider: the enterprises assigned to it and their assessments."""

import streamlit as st

from auth import require_role
from bootstrap import ensure_ready
from db.assessments import list_assessments
from db.enterprises import list_enterprises
from i18n import t
from reference import district_label, industry_label
from ui.common import questionnaire_title, status_label
from ui.text import local_time, md_escape

identity = require_role("provider")
db = ensure_ready()
st.title(t("page_provider"))
enterprises = list_enterprises(db, identity)
if not enterprises:
    st.info(t("no_assigned"))
    st.stop()
lang = st.session_state.get("lang", "zh")
assessments = list_assessments(db, identity)
for e in enterprises:
    with st.container(border=True):
        st.markdown(f"**{md_escape(e['name'])}**  \n{t('credit_code')}：{md_escape(e['credit_code'])} · "
                    f"{md_escape(district_label(e['district'], lang))} · {md_escape(industry_label(e['industry_code']))}")
        mine = [a for a in assessments if a["enterprise_id"] == e["id"]]
        if not mine:
            st.caption(t("no_assessments"))
        for a in mine:
            cols = st.columns([4, 2, 2])
            cols[0].markdown(f"{questionnaire_title(a)} · #{a['id']} · {local_time(a['updated_at'])}")
            cols[1].markdown(status_label(a["status"]))
            if a["status"] != "draft" and cols[2].button(t("view_result"), key=f"r_{a['id']}"):
                st.switch_page("app_pages/result.py", query_params={"a": str(a["id"])})
