"""Router only: sign-in gate, language switch and the pages of the signed-in role."""

import streamlit as st

from auth import current_identity, emit_pending_cookie, sign_out
from bootstrap import demo_enabled
from i18n import t
from ui.errors import show_pending, show_unexpected
from ui.language import language_switch
from ui.text import md_escape

st.set_page_config(page_title=t("app_title"), page_icon="🏭", layout="wide")

PAGES = {
    "enterprise": [("app_pages/ent_assessments.py", "page_assessments", "📋"),
                   ("app_pages/ent_fill.py", "page_fill", "✍️"),
                   ("app_pages/result.py", "page_result", "📊")],
    "provider": [("app_pages/provider_enterprises.py", "page_provider", "🏭"),
                 ("app_pages/result.py", "page_result", "📊")],
    "bureau": [("app_pages/bureau_overview.py", "page_bureau", "🏙️"),
               ("app_pages/result.py", "page_result", "📊")],
    "admin": [("app_pages/admin_users.py", "page_users", "👤"),
              ("app_pages/admin_questionnaires.py", "page_questionnaires", "🗂️")],
}

identity = current_identity()
emit_pending_cookie()

with st.sidebar:
    language_switch(identity)
    if identity is not None:
        st.markdown(f"**{md_escape(identity.display_name)}**  \n{t('role_' + identity.role)}")
        if st.button(t("sign_out"), key="sign_out"):
            sign_out()
            st.rerun()
    if demo_enabled():
        st.info(t("demo_banner"))

if identity is None:
    pages = [st.Page("app_pages/login.py", title=t("login_title"), url_path="login", default=True)]
    nav = st.navigation(pages, position="hidden")
elif st.session_state.get("must_change_password"):
    nav = st.navigation([st.Page("app_pages/account.py", title=t("change_password"), default=True)])
else:
    pages = [st.Page(path, title=t(title), icon=icon, default=(i == 0))
             for i, (path, title, icon) in enumerate(PAGES[identity.role])]
    pages.append(st.Page("app_pages/account.py", title=t("change_password"), icon="🔑"))
    nav = st.navigation(pages)
show_pending()
try:
    nav.run()
except Exception as exc:  # st.stop / st.rerun / st.switch_page are BaseExceptions and pass through
    show_unexpected(exc)
