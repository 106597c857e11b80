"""Company profile: an enterprise keeps its own; the bureau picks any enterprise and keeps it too."""

import streamlit as st

from accounts.auth import require_role
from db.enterprises import editable_enterprises, get_enterprise, profile_missing
from db.identity import NotFound
from startup.bootstrap import ensure_ready
from ui.i18n import t
from ui.profile import missing_labels, render_profile_form, render_profile_history

identity = require_role("enterprise", "bureau")
db = ensure_ready()
st.title(t("page_profile"))
st.caption(t("profile_intro"))

if identity.role == "enterprise":
    try:
        enterprise = get_enterprise(db, identity, identity.enterprise_id or -1)
    except NotFound:
        st.error(t("profile_no_enterprise"))
        st.stop()
else:
    choices = {e["id"]: e["name"] for e in editable_enterprises(db, identity)}
    if not choices:
        st.info(t("no_result"))
        st.stop()
    chosen = st.selectbox(t("profile_choose"), list(choices), format_func=choices.get, key="profile_enterprise")
    enterprise = get_enterprise(db, identity, chosen)

missing = profile_missing(enterprise)
if missing:
    st.warning(t("profile_incomplete", fields=missing_labels(enterprise)))
else:
    st.success(t("profile_complete"))
render_profile_form(db, identity, enterprise)
render_profile_history(db, identity, enterprise)
