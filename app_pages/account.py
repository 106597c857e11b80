"""Change one's own password (forced at first sign-in and after an admin reset, until done)."""

import streamlit as st

from accounts.auth import require_role, session_ended_on_write
from accounts.passwords import password_problem
from db.identity import SessionEnded
from db.users import change_password
from startup.bootstrap import ensure_ready
from ui.i18n import t, tx

identity = require_role("enterprise", "provider", "bureau", "admin", allow_must_change=True)
st.title(t("change_password"))
if identity.must_change_password:
    st.warning(t("must_change"))
with st.form("change_password"):
    old = st.text_input(t("old_password"), type="password", key="pw_old", max_chars=256)
    new = st.text_input(t("new_password"), type="password", key="pw_new", max_chars=256)
    ok = st.form_submit_button(t("change_password"), type="primary")
if ok:
    problem = password_problem(new)
    if problem:
        st.error(t("password_weak", why=tx(problem)))
    else:
        try:
            changed = change_password(ensure_ready(), identity, old, new)
        except SessionEnded:
            session_ended_on_write()
        if not changed:
            st.error(t("password_wrong"))
        else:
            st.session_state["_password_changed"] = True
            st.rerun()
if st.session_state.pop("_password_changed", False):
    st.success(t("password_changed"))
