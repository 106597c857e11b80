"""Admin: accounts (list, create, reset password)."""

import pandas as pd
import streamlit as st

from auth import require_role
from bootstrap import ensure_ready
from db.enterprises import list_enterprises
from db.identity import ROLES
from db.users import UserError, create_user, list_users, set_password
from i18n import t
from passwords import password_problem

identity = require_role("admin")
db = ensure_ready()
st.title(t("page_users"))
st.dataframe(pd.DataFrame(list_users(db)), hide_index=True, width="stretch")

enterprises = {e["id"]: e["name"] for e in list_enterprises(db, identity)}
providers = {p["id"]: p["name"] for p in db.query("SELECT id, name FROM providers ORDER BY name")}
with st.form("create_user"):
    st.subheader(t("create_user"))
    username = st.text_input(t("username"), key="new_username")
    display = st.text_input(t("display_name"), key="new_display")
    role = st.selectbox(t("role"), ROLES, format_func=lambda r: t("role_" + r), key="new_role")
    enterprise = st.selectbox(t("enterprise"), [None, *enterprises], format_func=lambda i: enterprises.get(i, "—"),
                              key="new_enterprise")
    provider = st.selectbox(t("role_provider"), [None, *providers], format_func=lambda i: providers.get(i, "—"),
                            key="new_provider")
    password = st.text_input(t("password"), type="password", key="new_password")
    if st.form_submit_button(t("create_user"), type="primary"):
        problem = password_problem(password)
        if problem:
            st.error(t("password_weak", why=problem))
        else:
            try:
                create_user(db, username, password, role, display, enterprise_id=enterprise, provider_id=provider,
                            must_change_password=True)
                st.success(t("created"))
            except UserError as exc:
                st.error(str(exc))

with st.form("reset_password"):
    st.subheader(t("reset_password"))
    who = st.text_input(t("username"), key="reset_username")
    new = st.text_input(t("new_password"), type="password", key="reset_password")
    if st.form_submit_button(t("reset_password")):
        problem = password_problem(new)
        if problem:
            st.error(t("password_weak", why=problem))
        else:
            try:
                set_password(db, who, new, must_change=True)
                st.success(t("done"))
            except UserError as exc:
                st.error(str(exc))
