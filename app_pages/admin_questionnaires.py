"""Admin: the questionnaire versions the app has loaded and their manifest status."""

import pandas as pd
import streamlit as st

from auth import require_role
from i18n import t, tx
from questionnaires import registry

identity = require_role("admin")
st.title(t("page_questionnaires"))
manifest = registry.read_manifest()
rows = []
for (qid, version), q in sorted(registry.load_all().items()):
    entry = manifest.get(f"{qid}@{version}")
    rows.append({"id": qid, "version": version, "title": tx(q.title), "file": q.source_file,
                 "questions": len(q.questions), "audience": q.audience,
                 "scoring": f"{q.scoring.method} {q.scoring.version}" if q.scoring else "—",
                 "published": "✅" if entry else "—"})
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption("docs/questionnaire-format.md · python manage.py publish FILE · python manage.py rescore")
