"""The company-profile form (field-level messages, audit trail) and the "profile first" gate."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from db.enterprises import (
    PRODUCTION_TYPES,
    PROFILE_FIELDS,
    ProfileInvalid,
    get_enterprise,
    profile_changes,
    profile_missing,
    update_profile,
)
from db.identity import Identity
from ui.i18n import lang, t, tx
from zibo.reference import DISTRICTS, INDUSTRIES, district_label, industry_label

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEXT_FIELDS = ("name", "credit_code", "employees", "revenue_wan", "contact_name", "contact_phone")


def local_time(iso: str | None) -> str:
    """A stored UTC timestamp shown in Beijing time (Asia/Shanghai), to the minute."""
    if not iso:
        return ""
    return pd.Timestamp(iso).tz_convert(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def field_value_label(field: str, value) -> str:
    """A stored profile value as a reader sees it (labels, not codes)."""
    if value is None or value == "":
        return "—"
    if field == "district":
        return district_label(value, lang())
    if field == "industry_code":
        return industry_label(value)
    if field == "above_scale":
        return t("above_scale_yes") if int(value) else t("above_scale_no")
    if field == "production_type":
        zh, en = PRODUCTION_TYPES.get(value, (value, value))
        return en if lang() == "en" else zh
    return str(value)


def missing_labels(enterprise: dict) -> str:
    return "、".join(tx(PROFILE_FIELDS[f]) for f in profile_missing(enterprise))


def render_profile_gate(db, identity: Identity) -> bool:
    """On the assessments page: True when the profile is complete, else a message and a link to the profile."""
    enterprise = get_enterprise(db, identity, identity.enterprise_id)
    if not profile_missing(enterprise):
        return True
    st.warning(t("profile_incomplete", fields=missing_labels(enterprise)))
    st.page_link("app_pages/ent_profile.py", label=t("profile_go"), icon=":material/business:")
    return False


def _key(eid: int, field: str) -> str:
    return f"pf:{eid}:{field}"


def _load_defaults(enterprise: dict) -> None:
    """Fill the form's widget state from the stored profile, once per enterprise (kept while editing)."""
    eid = enterprise["id"]
    if st.session_state.get(f"pf_loaded:{eid}"):
        return
    for field in PROFILE_FIELDS:
        value = enterprise.get(field)
        if field in TEXT_FIELDS:
            value = "" if value is None else str(value)
        st.session_state[_key(eid, field)] = value
    st.session_state[f"pf_loaded:{eid}"] = True


def render_profile_form(db, identity: Identity, enterprise: dict) -> None:
    """The profile form of one enterprise; saving validates every field and names each problem."""
    eid = enterprise["id"]
    _load_defaults(enterprise)
    problems: dict = st.session_state.get(f"pf_problems:{eid}") or {}
    flash = st.session_state.pop(f"pf_flash:{eid}", None)
    if flash:
        st.success(flash)
    if problems:
        st.error(t("profile_invalid", n=len(problems)))

    def error_for(field: str) -> None:
        if field in problems:
            st.error(t("profile_field_problem", field=tx(PROFILE_FIELDS[field]), why=tx(problems[field])),
                     icon="⚠️")

    label = {f: tx(text) for f, text in PROFILE_FIELDS.items()}
    with st.form(f"profile_{eid}"):
        st.text_input(label["name"], key=_key(eid, "name"), max_chars=100)
        error_for("name")
        st.text_input(label["credit_code"], key=_key(eid, "credit_code"), max_chars=40,
                      placeholder="91370303XXXXXXXXXX")
        error_for("credit_code")
        col1, col2 = st.columns(2)
        with col1:
            st.selectbox(label["district"], list(DISTRICTS), key=_key(eid, "district"), placeholder=t("choose"),
                         format_func=lambda v: district_label(v, lang()))
            error_for("district")
        with col2:
            st.selectbox(label["industry_code"], list(INDUSTRIES), key=_key(eid, "industry_code"),
                         placeholder=t("choose"), format_func=industry_label)
            error_for("industry_code")
        col1, col2 = st.columns(2)
        with col1:
            st.radio(label["above_scale"], [1, 0], key=_key(eid, "above_scale"), horizontal=True,
                     format_func=lambda v: field_value_label("above_scale", v))
            error_for("above_scale")
        with col2:
            st.radio(label["production_type"], list(PRODUCTION_TYPES), key=_key(eid, "production_type"),
                     horizontal=True, format_func=lambda v: field_value_label("production_type", v))
            error_for("production_type")
        col1, col2 = st.columns(2)
        with col1:
            st.text_input(label["employees"], key=_key(eid, "employees"), max_chars=10)
            error_for("employees")
        with col2:
            st.text_input(label["revenue_wan"], key=_key(eid, "revenue_wan"), max_chars=20)
            error_for("revenue_wan")
        col1, col2 = st.columns(2)
        with col1:
            st.text_input(label["contact_name"], key=_key(eid, "contact_name"), max_chars=50)
            error_for("contact_name")
        with col2:
            st.text_input(label["contact_phone"], key=_key(eid, "contact_phone"), max_chars=20)
            error_for("contact_phone")
        submitted = st.form_submit_button(t("profile_save"), type="primary")
    if submitted:
        values = {f: st.session_state.get(_key(eid, f)) for f in PROFILE_FIELDS}
        try:
            changes = update_profile(db, identity, eid, values)
        except ProfileInvalid as exc:
            st.session_state[f"pf_problems:{eid}"] = exc.problems
        else:
            st.session_state.pop(f"pf_problems:{eid}", None)
            st.session_state.pop(f"pf_loaded:{eid}", None)  # reload the normalised, stored values
            st.session_state[f"pf_flash:{eid}"] = (t("profile_saved", n=len(changes)) if changes
                                                   else t("profile_unchanged"))
        st.rerun()


def render_profile_history(db, identity: Identity, enterprise: dict) -> None:
    """Every audited profile change, field by field (old → new), newest first, in Beijing time."""
    rows = []
    for change in profile_changes(db, identity, enterprise["id"]):
        old, new = json.loads(change["old"] or "{}"), json.loads(change["new"] or "{}")
        for field in new:
            rows.append({t("audit_when"): local_time(change["at"]), t("audit_who"): change["who"] or "—",
                         t("audit_field"): tx(PROFILE_FIELDS[field]) if field in PROFILE_FIELDS else field,
                         t("audit_old"): field_value_label(field, old.get(field)),
                         t("audit_new"): field_value_label(field, new.get(field))})
    with st.expander(f"{t('profile_history')}（{len(rows)}）" if lang() == "zh" else
                     f"{t('profile_history')} ({len(rows)})"):
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
