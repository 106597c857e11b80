"""Admin: the questionnaire versions the app has loaded and their manifest status."""

import pandas as pd
import streamlit as st

from accounts.auth import require_role
from questionnaires import registry
from ui.i18n import STRINGS, t, tx


def method_label(method: str) -> str:
    key = "method_" + method
    return t(key) if key in STRINGS else method


identity = require_role("admin")
st.title(t("page_questionnaires"))
manifest = registry.read_manifest()
rows = []
for (qid, version), q in sorted(registry.load_all().items()):
    entry = manifest.get(f"{qid}@{version}")
    # File names and versions are what `manage.py publish` takes, so they stay verbatim; the rest is translated.
    rows.append({t("col_title"): tx(q.title), t("col_version"): version,
                 t("col_file"): q.source_file, t("col_questions"): len(q.questions),
                 t("col_audience"): t("audience_" + q.audience) if q.audience in ("enterprise", "demo") else q.audience,
                 t("col_scoring"): f"{method_label(q.scoring.method)} {q.scoring.version}" if q.scoring else "—",
                 t("col_published"): "✔" if entry else "—"})
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption(t("questionnaire_admin_help"))
st.code("python manage.py publish FILE\npython manage.py rescore", language="bash")
