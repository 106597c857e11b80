"""Service provider overview: assessment states, where enterprises over-rate themselves, the enterprises."""

import pandas as pd
import streamlit as st

from accounts.auth import require_role
from db import reviews
from db.assessments import STATUSES, list_assessments
from db.enterprises import list_enterprises
from questionnaires import registry
from reports.explain import subdomain_name
from review import verification
from startup.bootstrap import ensure_ready
from ui.common import questionnaire_title, status_label
from ui.i18n import t
from ui.text import local_time, md_escape
from zibo.reference import district_label, industry_label

identity = require_role("provider")
db = ensure_ready()
st.title(t("page_provider"))
enterprises = list_enterprises(db, identity)
if not enterprises:
    st.info(t("no_assigned"))
    st.stop()
lang = st.session_state.get("lang", "zh")

st.subheader(t("ov_status"))
counts = reviews.status_counts(db, identity)
for col, status in zip(st.columns(len(STATUSES)), STATUSES, strict=True):
    col.metric(status_label(status), counts.get(status, 0))
st.page_link("app_pages/provider_queue.py", label=t("ov_queue_link"), icon=":material/inbox:")

st.subheader(t("ov_diff"))
differences = verification.subdomain_differences(reviews.self_and_verified(db, identity))
if not differences:
    st.caption(t("ov_diff_none"))
else:
    st.caption(t("ov_diff_caption"))
    rows = []
    for (qid, sd), (mean, n) in sorted(differences.items(), key=lambda kv: -kv[1][0]):
        q = registry.latest(qid)
        rows.append({t("ov_questionnaire"): questionnaire_title({"questionnaire_id": qid,
                                                                  "questionnaire_version": q.version}),
                     t("ov_subdomain"): subdomain_name(q, sd, lang),
                     t("ov_mean_diff"): f"{mean:+.2f}", t("ov_n"): n})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

assessments = list_assessments(db, identity)
for e in enterprises:
    with st.container(border=True):
        st.markdown(f"**{md_escape(e['name'])}**  \n{t('credit_code')}：{md_escape(e['credit_code'])} · "
                    f"{md_escape(district_label(e['district'], lang))} · {md_escape(industry_label(e['industry_code']))}")
        mine = [a for a in assessments if a["enterprise_id"] == e["id"]]
        if not mine:
            st.caption(t("no_assessments"))
        for a in mine:
            cols = st.columns([4, 2, 1, 1])
            cols[0].markdown(f"{questionnaire_title(a)} · #{a['id']} · {local_time(a['updated_at'])}")
            cols[1].markdown(status_label(a["status"]))
            if a["status"] != "draft" and cols[2].button(t("view_result"), key=f"r_{a['id']}"):
                st.switch_page("app_pages/result.py", query_params={"a": str(a["id"])})
            if a["status"] != "draft" and cols[3].button(
                    t("q_open_review") if a["status"] == "submitted" else t("q_open_view"), key=f"v_{a['id']}"):
                st.switch_page("app_pages/provider_review.py", query_params={"a": str(a["id"])})
