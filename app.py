"""Router only: sign-in gate, forced password change, language switch and the pages of the signed-in role."""

from pathlib import Path

import streamlit as st

from accounts.auth import current_identity, emit_pending_redirect, sign_out
from db.connection import release_connections
from startup.bootstrap import DatabaseModeError, check_served_address, demo_enabled
from ui.errors import show_pending, show_unexpected
from ui.i18n import lang, t
from ui.language import hide_english_input_hints, language_switch
from ui.text import md_escape

# The tab icon stays an emoji: for a Material Symbol Streamlit fetches the favicon from fonts.gstatic.com, which the
# content security policy of deploy/ refuses (tests/browser/test_proxy.py saw it).
st.set_page_config(page_title=t("app_title"), page_icon="🏭", layout="wide")

# Material Symbols (bundled with Streamlit as a font) rather than emoji: they render the same everywhere,
# also where no colour-emoji font is installed (headless Chromium, some Linux desktops showed empty boxes).
PAGES = {
    "enterprise": [("app_pages/ent_assessments.py", "page_assessments", ":material/assignment:"),
                   ("app_pages/ent_fill.py", "page_fill", ":material/edit_note:"),
                   ("app_pages/result.py", "page_result", ":material/bar_chart:"),
                   ("app_pages/ent_profile.py", "page_profile", ":material/business:")],
    "provider": [("app_pages/provider_enterprises.py", "page_provider", ":material/factory:"),
                 ("app_pages/provider_queue.py", "page_queue", ":material/inbox:"),
                 ("app_pages/provider_review.py", "page_review", ":material/fact_check:"),
                 ("app_pages/result.py", "page_result", ":material/bar_chart:")],
    "bureau": [("app_pages/bureau_overview.py", "page_bureau", ":material/location_city:"),
               ("app_pages/bureau_kpi.py", "page_bureau_kpi", ":material/flag:"),
               ("app_pages/provider_queue.py", "page_queue", ":material/inbox:"),
               ("app_pages/provider_review.py", "page_review", ":material/fact_check:"),
               ("app_pages/bureau_onboarding.py", "page_bureau_onboarding", ":material/badge:"),
               ("app_pages/result.py", "page_result", ":material/bar_chart:"),
               ("app_pages/ent_profile.py", "page_profile", ":material/business:"),
               ("app_pages/providers_admin.py", "page_providers", ":material/handshake:"),
               ("app_pages/audit_log.py", "page_audit", ":material/history:")],
    "admin": [("app_pages/admin_users.py", "page_users", ":material/person:"),
              ("app_pages/admin_questionnaires.py", "page_questionnaires", ":material/folder_open:"),
              ("app_pages/providers_admin.py", "page_providers", ":material/handshake:"),
              ("app_pages/audit_log.py", "page_audit", ":material/history:")],
}

try:  # also when started as `streamlit run app.py`, not only through serve.py
    check_served_address(st.get_option("server.address"))
except DatabaseModeError:
    st.error(t("demo_public_refused"))
    st.stop()

identity = current_identity()
emit_pending_redirect()

with st.sidebar:
    language_switch(identity)
if lang() == "zh":
    hide_english_input_hints()
with st.sidebar:
    if identity is not None:
        st.markdown(f"**{md_escape(identity.display_name)}**  \n{t('role_' + identity.role)}")
        if st.button(t("sign_out"), key="sign_out"):
            sign_out()
            st.rerun()
    if demo_enabled():
        st.info(t("demo_banner"))

# Every page path any role has: an anonymous visitor (or one who must change the password) who
# follows a deep link gets the sign-in (or password) page under that path, so the link, query
# included, is still there to return to, instead of Streamlit's "page not found" box.
KNOWN_PATHS = sorted({Path(path).stem for role_pages in PAGES.values() for path, _, _ in role_pages}
                     | {"account", "login"})


def _gate(script: str, title: str) -> list:
    # The default page is served at "/" only (its own url_path is never matched), hence "gate".
    return [st.Page(script, title=title, url_path="gate", default=True)] + [
        st.Page(script, title=title, url_path=p) for p in KNOWN_PATHS]


if identity is None:
    nav = st.navigation(_gate("app_pages/login.py", t("login_title")), position="hidden")
elif identity.must_change_password:  # read from the database on every rerun: no reload or deep link skips it
    nav = st.navigation(_gate("app_pages/account.py", t("change_password")), position="hidden")
else:
    pages = [st.Page(path, title=t(title), icon=icon, default=(i == 0))
             for i, (path, title, icon) in enumerate(PAGES[identity.role])]
    pages.append(st.Page("app_pages/account.py", title=t("change_password"), icon=":material/key:"))
    nav = st.navigation(pages)
    st.session_state["_last_page"] = nav.url_path
show_pending()
try:
    nav.run()
except Exception as exc:  # st.stop / st.rerun / st.switch_page are BaseExceptions and pass through
    show_unexpected(exc)
finally:
    release_connections()  # PostgreSQL: this run's pooled connection goes back for the next run (any thread)
