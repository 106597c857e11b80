"""Change one's own password (forced at first sign-in of a generated admin)."""

import streamlit as st

from auth import require_role
from bootstrap import ensure_ready
from db.users import change_password
from i18n import t
from passwords import password_problem

identity = require_role("enterprise", "provider", "bureau", "admin")
st.title(t("change_password"))
if st.session_state.get("must_change_password"):
    st.warning(t("must_change"))
with st.form("change_password"):
    old = st.text_input(t("old_password"), type="password", key="pw_old")
    new = st.text_input(t("new_password"), type="password", key="pw_new")
    ok = st.form_submit_button(t("change_password"), type="primary")
if ok:
    problem = password_problem(new)
    if problem:
        st.error(t("password_weak", why=problem))
    elif not change_password(ensure_ready(), identity, old, new):
        st.error(t("password_wrong"))
    else:
        st.session_state.pop("must_change_password", None)
        st.success(t("password_changed"))
        st.rerun()
