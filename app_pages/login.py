"""Sign-in page (the only page an anonymous visitor gets); after signing in the user returns where they were."""

import streamlit as st

from accounts.auth import current_identity, here, sign_in
from startup.bootstrap import demo_enabled
from startup.demo import ACCOUNTS, DEMO_PASSWORD
from ui.i18n import t

if current_identity() is not None:  # guard: signed-in users have no business here
    st.rerun()

# Where to go after signing in: the deep link this visit came in on, or the page a session ended on.
if "_return_to" not in st.session_state:
    st.session_state["_return_to"] = here()

st.title(t("app_title"))
st.subheader(t("login_title"))
notice = st.session_state.pop("_login_notice", None)
if notice:
    st.error(t(notice))
elif st.session_state.pop("_expired", False):
    st.warning(t("expired"))
with st.form("login", clear_on_submit=False):
    username = st.text_input(t("username"), key="login_user", max_chars=200)
    password = st.text_input(t("password"), type="password", key="login_pw", max_chars=256)
    submitted = st.form_submit_button(t("sign_in"), type="primary")
if submitted:
    error = sign_in(username, password, st.session_state.get("_return_to"))
    if error:
        st.error(error)
    else:
        st.rerun()
if demo_enabled():
    st.caption(t("demo_accounts", pw=DEMO_PASSWORD))
    st.caption(" · ".join(f"`{u}` {t('role_' + role)}" for u, role, _, _ in ACCOUNTS))
