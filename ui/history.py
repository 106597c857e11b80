"""The enterprise's assessment history table and the "start pre-filled" control."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assessments import filling
from db.assessments import last_submitted
from db.enterprises import ProfileIncomplete
from db.identity import Identity
from questionnaires.model import Questionnaire
from scoring import shown
from ui.common import questionnaire_title, status_label
from ui.i18n import t
from ui.profile import local_time


def result_label(assessment: dict) -> str:
    """Level (maturity), verdict (adoption rule) or nothing yet, as a reader sees it."""
    if assessment.get("level") is not None:
        return t("level_n", n=assessment["level"]) if assessment["level"] else t("level_below")
    if assessment.get("outcome") is not None:
        return t("applies") if assessment["outcome"] else t("not_applies")
    return "—"


def history_frame(assessments: list[dict]) -> pd.DataFrame:
    """One row per assessment: questionnaire, number, status, dates (Beijing time), level/verdict, score."""
    return pd.DataFrame([{
        t("hist_questionnaire"): questionnaire_title(a),
        t("hist_id"): f"#{a['id']}",
        t("hist_status"): status_label(a["status"]),
        t("hist_started"): local_time(a["created_at"]),
        t("hist_submitted"): local_time(a.get("submitted_at")) or "—",
        t("hist_result"): result_label(a),
        # rounded for display only; the stored score keeps full precision
        t("hist_score"): "—" if a.get("score") is None else shown(a['score']),
        t("hist_prefilled"): f"#{a['prefilled_from']}" if a.get("prefilled_from") else "—",
    } for a in assessments])


def render_history(assessments: list[dict]) -> None:
    st.markdown(f"**{t('hist_title')}**")
    if assessments:
        st.dataframe(history_frame(assessments), hide_index=True, width="stretch")


def render_prefill_button(db, identity: Identity, questionnaire: Questionnaire, has_open: bool,
                          enabled: bool = True) -> None:
    """Offer a new assessment pre-filled from the last submitted one (only when none is open)."""
    if has_open:
        return
    source = last_submitted(db, identity, questionnaire.id)
    if source is None:
        return
    st.caption(t("prefill_help", when=local_time(source["submitted_at"]), id=source["id"]))
    if st.button(t("prefill_start"), key=f"prefill_{questionnaire.id}", disabled=not enabled):
        try:
            aid, _ = filling.start_prefilled(db, identity, questionnaire)
        except ProfileIncomplete:
            st.error(t("profile_incomplete", fields="…"))
            return
        st.switch_page("app_pages/ent_fill.py", query_params={"a": str(aid)})
