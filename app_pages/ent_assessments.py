"""Enterprise: the questionnaires on offer and the enterprise's own assessments."""

import streamlit as st

from auth import require_role, session_ended_on_write
from bootstrap import demo_enabled, ensure_ready
from db.assessments import OPEN_STATUSES, list_assessments, start_assessment
from db.identity import SessionEnded
from i18n import t, tx
from questionnaires import registry
from ui.common import questionnaire_title, status_label
from ui.history import render_history, render_prefill_button
from ui.profile import render_profile_gate

identity = require_role("enterprise")
db = ensure_ready()
mine = list_assessments(db, identity)

st.title(t("page_assessments"))
st.subheader(t("available"))
profile_complete = render_profile_gate(db, identity)
for q in registry.offered(demo_enabled()):
    open_one = next((a for a in mine if a["questionnaire_id"] == q.id and a["status"] in OPEN_STATUSES), None)
    with st.container(border=True):
        st.markdown(f"**{tx(q.title)}** · v{q.version}")
        if q.description:
            st.caption(tx(q.description))
        label = t("continue") if open_one else t("start")
        if st.button(label, key=f"start_{q.id}", type="primary", disabled=not (open_one or profile_complete)):
            try:
                aid, _ = start_assessment(db, identity, q.id, q.version)
            except SessionEnded:
                session_ended_on_write()
            st.switch_page("app_pages/ent_fill.py", query_params={"a": str(aid)})
        render_prefill_button(db, identity, q, open_one is not None, profile_complete)

st.subheader(t("history"))
if not mine:
    st.info(t("no_assessments"))
render_history(mine)
for a in mine:
    cols = st.columns([4, 2, 2, 2])
    cols[0].markdown(f"**{questionnaire_title(a)}**  \n#{a['id']} · {a['updated_at'][:10]}")
    cols[1].markdown(status_label(a["status"]))
    if a["status"] in OPEN_STATUSES:
        if cols[2].button(t("continue"), key=f"fill_{a['id']}"):
            st.switch_page("app_pages/ent_fill.py", query_params={"a": str(a["id"])})
    else:
        if cols[2].button(t("view_result"), key=f"result_{a['id']}"):
            st.switch_page("app_pages/result.py", query_params={"a": str(a["id"])})
    cols[3].caption(f"{a['answered']} ✓")
