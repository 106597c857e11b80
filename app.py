"""Router only: sign-in gate, language switch and the pages of the signed-in role."""

import streamlit as st

from auth import current_identity, emit_pending_cookie, sign_out
from bootstrap import demo_enabled
from i18n import t

st.set_page_config(page_title=t("app_title"), page_icon="🏭", layout="wide")

PAGES = {
    "enterprise": [("app_pages/ent_assessments.py", "page_assessments", "📋"),
                   ("app_pages/ent_fill.py", "page_fill", "✍️"),
                   ("app_pages/result.py", "page_result", "📊"),
                   ("app_pages/ent_profile.py", "page_profile", "🏢")],
    "provider": [("app_pages/provider_enterprises.py", "page_provider", "🏭"),
                 ("app_pages/result.py", "page_result", "📊")],
    "bureau": [("app_pages/bureau_overview.py", "page_bureau", "🏙️"),
               ("app_pages/bureau_kpi.py", "page_bureau_kpi", "🎯"),
               ("app_pages/result.py", "page_result", "📊"),
               ("app_pages/ent_profile.py", "page_profile", "🏢")],
    "admin": [("app_pages/admin_users.py", "page_users", "👤"),
              ("app_pages/admin_questionnaires.py", "page_questionnaires", "🗂️")],
}

identity = current_identity()
emit_pending_cookie()

with st.sidebar:
    st.radio(t("language"), ["zh", "en"], key="lang", horizontal=True,
             format_func={"zh": "中文", "en": "English"}.get)
    if identity is not None:
        st.markdown(f"**{identity.display_name}**  \n{t('role_' + identity.role)}")
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
nav.run()
