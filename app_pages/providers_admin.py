"""Bureau and admin: provider organisations, their users, and which enterprises each one serves."""

import hashlib

import pandas as pd
import streamlit as st

from accounts.auth import require_role, session_ended_on_write
from accounts.passwords import password_problem
from db.identity import SessionEnded
from db.providers import (
    assign_enterprise,
    assignment_table,
    create_provider_org,
    create_provider_user,
    list_providers,
    provider_users,
)
from db.users import UserError
from imports.assignments import import_preview, preview_file
from startup.bootstrap import ensure_ready
from ui.evidence import localise_uploaders
from ui.i18n import lang, t, tx
from ui.text import local_time, md_escape

identity = require_role("bureau", "admin")
db = ensure_ready()
st.title(t("page_providers"))

notice = st.session_state.pop("_providers_notice", None)
if notice:
    st.success(notice)


def _run(action, success: str) -> bool:
    """A write: errors in the user's language, a dead session sends to sign-in."""
    try:
        action()
    except UserError as exc:
        st.error(md_escape(tx(exc.text)))  # may name a provider or user: user text
        return False
    except SessionEnded:
        session_ended_on_write()
    st.session_state["_providers_notice"] = success
    return True


providers = list_providers(db, identity)
names = {p["id"]: p["name"] for p in providers}

st.subheader(t("providers_list"))
if providers:
    st.dataframe(pd.DataFrame([{t("provider_name"): p["name"], t("col_users"): p["users"],
                                t("col_assigned"): p["enterprises"]} for p in providers]),
                 hide_index=True, width="stretch", key="providers_table")
with st.form("create_provider", clear_on_submit=True):
    new_name = st.text_input(t("provider_name"), max_chars=100, key="new_provider_name")
    if st.form_submit_button(t("provider_create")):
        if _run(lambda: create_provider_org(db, identity, new_name), t("provider_created", name=md_escape(new_name.strip()))):
            st.rerun()

if providers:
    with st.container(border=True):
        st.subheader(t("provider_users"))
        pid = st.selectbox(t("col_provider"), list(names), format_func=names.get, key="users_provider")
        members = provider_users(db, identity, pid)
        if members:
            st.dataframe(pd.DataFrame([{t("username"): u["username"], t("display_name"): u["display_name"],
                                        t("user_status"): t("user_active") if u["active"] else t("user_inactive")}
                                       for u in members]), hide_index=True, key="provider_members")
        with st.form("create_provider_user", clear_on_submit=True):
            st.markdown(f"**{t('provider_user_create')}**")
            username = st.text_input(t("username"), max_chars=64, key="pu_username")
            display = st.text_input(t("display_name"), max_chars=100, key="pu_display")
            password = st.text_input(t("password"), type="password", max_chars=256, key="pu_password")
            st.caption(t("new_user_must_change"))
            if st.form_submit_button(t("provider_user_create")):
                problem = password_problem(password)
                if problem:
                    st.error(t("password_weak", why=tx(problem)))
                elif _run(lambda: create_provider_user(db, identity, pid, username, password, display),
                          t("provider_user_created", user=md_escape(username.strip()))):
                    st.rerun()

rows = assignment_table(db, identity)
with st.container(border=True):
    st.subheader(t("assign_one"))
    ents = {r["id"]: r for r in rows}
    eid = st.selectbox(t("assign_enterprise"), list(ents), key="assign_ent",
                       format_func=lambda i: f"{ents[i]['name']} · {ents[i]['credit_code']}")
    current = ents[eid]["provider_id"] if eid in ents else None
    options = [None, *names]
    target = st.selectbox(t("assign_to"), options, index=options.index(current) if current in options else 0,
                          format_func=lambda i: names.get(i, t("no_provider")), key=f"assign_to_{eid}")
    if st.button(t("assign_save"), key="assign_save", disabled=eid is None or target == current):
        ent_name = ents[eid]["name"]
        if _run(lambda: assign_enterprise(db, identity, eid, target),
                t("assign_saved", ent=md_escape(ent_name), prov=md_escape(names.get(target, t("no_provider"))))):
            st.rerun()

with st.container(border=True):
    st.subheader(t("assign_bulk"))
    st.caption(t("assign_help"))
    default = st.selectbox(t("assign_default"), [None, *names], format_func=lambda i: names.get(i, "—"),
                           key="assign_default")
    localise_uploaders()
    upload = st.file_uploader(t("assign_file"), type=["xlsx", "csv"],
                              key=f"assign_file_{st.session_state.get('assign_round', 0)}")
    if upload is not None:
        data = upload.getvalue()
        digest = (hashlib.sha256(data).hexdigest(), default)
        cached = st.session_state.get("assign_preview")
        if not cached or cached[0] != digest:
            cached = st.session_state["assign_preview"] = (digest, preview_file(db, upload.name, data, default))
        preview = cached[1]
        st.write(t("assign_summary", total=preview.total_rows, valid=len(preview.valid), bad=preview.bad_rows))
        field_names = {"credit_code": t("credit_code"), "provider": t("col_provider"), "file": t("assign_file")}
        if preview.problems:
            st.error(t("roster_problems"))
            st.dataframe(pd.DataFrame([{t("col_row"): p.row, t("col_field"): field_names.get(p.field, p.field),
                                        t("col_problem"): p.get(lang())} for p in preview.problems]),
                         hide_index=True, width="stretch", key="assign_problems")
        else:
            st.success(t("assign_clean"))
        only_valid = bool(preview.problems)
        if preview.valid and not preview.file_problem and not preview.problems:
            go = st.button(t("assign_import", n=len(preview.valid)), type="primary", key="assign_import")
        elif preview.valid and not preview.file_problem:
            confirmed = st.checkbox(t("roster_confirm_partial"), key="assign_confirm")
            go = st.button(t("assign_import_valid", n=len(preview.valid), bad=preview.bad_rows),
                           disabled=not confirmed, key="assign_import_valid")
        else:
            st.warning(t("roster_nothing"))
            go = False
        if go:
            box = {}

            def apply():
                box["n"] = import_preview(db, identity, preview, only_valid=only_valid)

            if _run(apply, ""):
                st.session_state["_providers_notice"] = t("assign_imported", n=box["n"])
                st.session_state.pop("assign_preview", None)
                st.session_state["assign_round"] = st.session_state.get("assign_round", 0) + 1  # empty uploader
                st.rerun()

st.subheader(t("assign_table"))
st.dataframe(pd.DataFrame([{t("enterprise"): r["name"], t("credit_code"): r["credit_code"],
                            t("col_provider"): r["provider"] or t("no_provider"),
                            t("col_assigned_at"): local_time(r["assigned_at"])} for r in rows]),
             hide_index=True, width="stretch", key="assignment_table")
