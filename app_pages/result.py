"""The explained result of one assessment (enterprise: its own; provider: assigned; bureau: all)."""

import streamlit as st

import filling
from auth import require_role
from bootstrap import ensure_ready
from db.assessments import current_result, get_assessment
from db.identity import NotFound
from i18n import t, tx
from ui.common import assessment_id_from_url, assessment_link_is_bad, status_label
from ui.result_view import render_result
from ui.text import md_escape

identity = require_role("enterprise", "provider", "bureau")
db = ensure_ready()
aid = assessment_id_from_url()
if aid is None:
    if assessment_link_is_bad():
        st.error(t("bad_link"))
    else:
        st.info(t("choose_assessment"))
    st.stop()
try:
    assessment = get_assessment(db, identity, aid)
    result = current_result(db, identity, aid)
except NotFound:
    st.error(t("not_found"))
    st.stop()
questionnaire = filling.questionnaire_of(assessment)
st.title(f"{t('page_result')} · {tx(questionnaire.title)}")
st.caption(f"{md_escape(assessment['enterprise_name'])} · #{aid} · {status_label(assessment['status'])}")
if result is None:
    st.info(t("no_result"))
else:
    render_result(questionnaire, result)
