"""Sign-in page (the only page an anonymous visitor gets)."""

import streamlit as st

from auth import current_identity, sign_in
from bootstrap import demo_enabled
from demo import ACCOUNTS, DEMO_PASSWORD
from i18n import t

if current_identity() is not None:  # guard: signed-in users have no business here
    st.rerun()

st.title(t("app_title"))
st.subheader(t("login_title"))
if st.session_state.pop("_expired", False):
    st.warning(t("expired"))
with st.form("login", clear_on_submit=False):
    username = st.text_input(t("username"), key="login_user")
    password = st.text_input(t("password"), type="password", key="login_pw")
    submitted = st.form_submit_button(t("sign_in"), type="primary")
if submitted:
    error = sign_in(username, password)
    if error:
        st.error(error)
    else:
        st.rerun()
if demo_enabled():
    st.caption(t("demo_accounts", pw=DEMO_PASSWORD))
    st.caption(" · ".join(f"`{u}` {t('role_' + role)}" for u, role, _, _ in ACCOUNTS))
