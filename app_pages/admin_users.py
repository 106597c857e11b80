"""Admin: accounts — list, create, deactivate/reactivate, change binding, issue a one-time password (all audited)."""

import pandas as pd
import streamlit as st

from accounts.auth import require_role, session_ended_on_write
from accounts.passwords import password_problem
from db.enterprises import list_enterprises
from db.identity import ROLES, SessionEnded
from db.providers import list_providers
from db.users import UserError, create_account, issue_one_time_password, list_users, set_active, set_binding
from startup.bootstrap import ensure_ready
from ui.i18n import t, tx

identity = require_role("admin")
db = ensure_ready()
st.title(t("page_users"))

accounts = list_users(db)
table = pd.DataFrame([{
    t("username"): u["username"], t("display_name"): u["display_name"], t("role"): t("role_" + u["role"]),
    t("enterprise"): u["enterprise"] or "", t("role_provider"): u["provider"] or "",
    t("user_status"): t("user_active") if u["active"] else t("user_inactive"),
    t("user_demo"): t("yes") if u["is_demo"] else "",
} for u in accounts])
st.dataframe(table, hide_index=True, width="stretch")

enterprises = {e["id"]: e["name"] for e in list_enterprises(db, identity)}
providers = {p["id"]: p["name"] for p in list_providers(db, identity)}


def _run(action, success_key: str, **fmt) -> bool:
    """Carry out an admin write; errors shown in the user's language, a dead session sends to sign-in."""
    try:
        action()
    except UserError as exc:
        st.error(tx(exc.text))
        return False
    except SessionEnded:
        session_ended_on_write()
    st.session_state["_admin_notice"] = t(success_key, **fmt)
    return True


notice = st.session_state.pop("_admin_notice", None)
if notice:
    st.success(notice)
issued = st.session_state.pop("_issued_password", None)
if issued:
    st.warning(t("otp_shown_once", user=issued[0]))
    st.code(issued[1], language=None)

with st.container(border=True):
    st.subheader(t("manage_user"))
    by_id = {u["id"]: u for u in accounts}
    uid = st.selectbox(t("username"), list(by_id), key="manage_user",
                       format_func=lambda i: f"{by_id[i]['username']} · {by_id[i]['display_name']}")
    user = by_id.get(uid)
    if user is not None:
        cols = st.columns(2)
        if user["active"]:
            if cols[0].button(t("deactivate"), key="deactivate", disabled=user["id"] == identity.user_id):
                if _run(lambda: set_active(db, identity, user["id"], False), "deactivated", user=user["username"]):
                    st.rerun()
        elif cols[0].button(t("reactivate"), key="reactivate"):
            if _run(lambda: set_active(db, identity, user["id"], True), "reactivated", user=user["username"]):
                st.rerun()
        if cols[1].button(t("issue_otp"), key="issue_otp"):
            box = {}

            def issue():
                box["pw"] = issue_one_time_password(db, identity, user["username"])

            if _run(issue, "otp_issued", user=user["username"]):
                st.session_state["_issued_password"] = (user["username"], box["pw"])
                st.rerun()
        if user["role"] in ("enterprise", "provider"):
            options = enterprises if user["role"] == "enterprise" else providers
            current = user["enterprise_id"] if user["role"] == "enterprise" else user["provider_id"]
            keys = list(options)
            target = st.selectbox(t("binding"), keys, index=keys.index(current) if current in keys else None,
                                  format_func=options.get, key=f"binding_{user['id']}")
            if st.button(t("save_binding"), key="save_binding", disabled=target is None or target == current):
                ent, prov = (target, None) if user["role"] == "enterprise" else (None, target)
                if _run(lambda: set_binding(db, identity, user["id"], ent, prov), "binding_saved",
                        user=user["username"]):
                    st.rerun()

with st.form("create_user"):
    st.subheader(t("create_user"))
    username = st.text_input(t("username"), key="new_username", max_chars=64)
    display = st.text_input(t("display_name"), key="new_display", max_chars=100)
    role = st.selectbox(t("role"), ROLES, format_func=lambda r: t("role_" + r), key="new_role")
    enterprise = st.selectbox(t("enterprise"), [None, *enterprises], format_func=lambda i: enterprises.get(i, "—"),
                              key="new_enterprise")
    provider = st.selectbox(t("role_provider"), [None, *providers], format_func=lambda i: providers.get(i, "—"),
                            key="new_provider")
    password = st.text_input(t("password"), type="password", key="new_password", max_chars=256)
    st.caption(t("new_user_must_change"))
    if st.form_submit_button(t("create_user"), type="primary"):
        problem = password_problem(password)
        if problem:
            st.error(t("password_weak", why=tx(problem)))
        else:
            def create():
                create_account(db, identity, username, password, role, display, enterprise_id=enterprise,
                               provider_id=provider)

            if _run(create, "created_user", user=username.strip()):
                st.rerun()
