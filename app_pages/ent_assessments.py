"""Enterprise: the questionnaires on offer and the enterprise's own assessments."""

import streamlit as st

from accounts.auth import end_local_session, require_role, session_ended_on_write
from db.assessments import OPEN_STATUSES, ReadOnly, delete_draft, list_assessments, start_assessment
from db.enterprises import ProfileIncomplete
from db.identity import NotFound, SessionEnded
from questionnaires import registry
from startup.bootstrap import demo_enabled, ensure_ready
from ui.common import questionnaire_title, status_label
from ui.errors import safe_callback
from ui.history import render_history, render_prefill_button
from ui.i18n import t, tx
from ui.profile import render_profile_gate
from ui.text import local_time

identity = require_role("enterprise")
db = ensure_ready()
mine = list_assessments(db, identity)

st.title(t("page_assessments"))
notice = st.session_state.pop("_assessments_notice", None)
if notice:
    st.success(notice)

st.subheader(t("available"))
profile_complete = render_profile_gate(db, identity)
# Only demo mode offers the example questionnaire (registry.offered filters on its audience).
for q in registry.offered(demo_enabled()):
    open_one = next((a for a in mine if a["questionnaire_id"] == q.id and a["status"] in OPEN_STATUSES), None)
    last_closed = next((a for a in mine if a["questionnaire_id"] == q.id and a["status"] not in OPEN_STATUSES), None)
    with st.container(border=True):
        st.markdown(f"**{tx(q.title)}** · v{q.version}")
        if q.description:
            st.caption(tx(q.description))
        if open_one:
            label = t("continue")
        elif last_closed:
            label = t("start_new_round")
            st.caption(t("new_round_hint", aid=last_closed["id"]))
        else:
            label = t("start")
        if st.button(label, key=f"start_{q.id}", type="primary", disabled=not (open_one or profile_complete)):
            try:
                aid, _ = start_assessment(db, identity, q.id, q.version)
            except SessionEnded:
                session_ended_on_write()
            except ProfileIncomplete:
                st.rerun()
            st.switch_page("app_pages/ent_fill.py", query_params={"a": str(aid)})
        render_prefill_button(db, identity, q, open_one is not None, profile_complete)


def ask_delete(aid: int) -> None:
    st.session_state["_confirm_delete"] = aid


def cancel_delete() -> None:
    st.session_state.pop("_confirm_delete", None)


@safe_callback
def confirm_delete(aid: int) -> None:
    st.session_state.pop("_confirm_delete", None)
    try:
        delete_draft(ensure_ready(), identity, aid)
    except SessionEnded:
        end_local_session("not_saved_signed_out")
    except (ReadOnly, NotFound):
        st.session_state["_assessments_notice_error"] = t("not_deletable")
    else:
        st.session_state["_assessments_notice"] = t("deleted", aid=aid)


st.subheader(t("history"))
problem = st.session_state.pop("_assessments_notice_error", None)
if problem:
    st.error(problem)
if not mine:
    st.info(t("no_assessments"))
render_history(mine)
pending = st.session_state.get("_confirm_delete")
for a in mine:
    cols = st.columns([4, 2, 2, 2])
    cols[0].markdown(f"**{questionnaire_title(a)}**  \n#{a['id']} · {local_time(a['updated_at'])}")
    cols[1].markdown(status_label(a["status"]))
    if a["status"] in OPEN_STATUSES:
        if cols[2].button(t("continue"), key=f"fill_{a['id']}"):
            st.switch_page("app_pages/ent_fill.py", query_params={"a": str(a["id"])})
    else:
        if cols[2].button(t("view_result"), key=f"result_{a['id']}"):
            st.switch_page("app_pages/result.py", query_params={"a": str(a["id"])})
    cols[3].caption(t("answered_count", n=a["answered"]))
    if a["status"] == "draft":
        cols[3].button(t("delete_draft"), key=f"delete_{a['id']}", on_click=ask_delete, args=(a["id"],))
        if pending == a["id"]:
            with st.container(border=True):
                st.warning(t("delete_confirm", aid=a["id"], title=questionnaire_title(a), n=a["answered"]))
                yes, no = st.columns(2)
                yes.button(t("delete_yes"), key=f"delete_yes_{a['id']}", type="primary",
                           on_click=confirm_delete, args=(a["id"],))
                no.button(t("cancel"), key=f"delete_no_{a['id']}", on_click=cancel_delete)
