"""Small display helpers shared by pages."""

from __future__ import annotations

import streamlit as st

from i18n import t, tx
from questionnaires import registry

STATUS_ICON = {"draft": "📝", "submitted": "📨", "returned": "↩️", "verified": "✅"}


def status_label(status: str) -> str:
    return f"{STATUS_ICON.get(status, '')} {t('status_' + status)}"


def questionnaire_title(assessment: dict) -> str:
    try:
        return tx(registry.get(assessment["questionnaire_id"], assessment["questionnaire_version"]).title)
    except KeyError:
        return f"{assessment['questionnaire_id']} v{assessment['questionnaire_version']}"


def assessment_id_from_url() -> int | None:
    """The assessment chosen in the URL (?a=…); the data layer still decides whether it may be seen."""
    raw = st.query_params.get("a")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
