"""Small display helpers shared by pages."""

from __future__ import annotations

import streamlit as st

from questionnaires import registry
from ui.i18n import STRINGS, t, tx

# Text symbols, not emoji: without an emoji font (a plain Debian desktop, a locked-down PC) emoji showed as empty boxes.
STATUS_ICON = {"draft": "✎", "submitted": "✉", "returned": "↩", "verified": "✔"}
MAX_ID = 2**63 - 1  # SQLite's INTEGER range: a larger ?a= would overflow inside the query


def status_label(status: str) -> str:
    """The status as users read it (icon + translated word), never the raw key."""
    key = "status_" + str(status)
    return f"{STATUS_ICON.get(status, '')} {t(key) if key in STRINGS else t('status_unknown')}"


def questionnaire_title(assessment: dict) -> str:
    try:
        return tx(registry.get(assessment["questionnaire_id"], assessment["questionnaire_version"]).title)
    except KeyError:
        return t("unknown_questionnaire", v=assessment["questionnaire_version"])


def parse_assessment_id(raw) -> int | None:
    """An assessment id from URL text: a positive integer within SQLite's range, else None."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 19:  # isdigit also refuses signs, spaces, and huge inputs early
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def assessment_id_from_url() -> int | None:
    """The assessment chosen in the URL (?a=…); the data layer still decides whether it may be seen."""
    return parse_assessment_id(st.query_params.get("a"))


def assessment_link_is_bad() -> bool:
    """True when the URL carries an ?a= that is not a valid assessment number (mistyped, cut, huge)."""
    raw = st.query_params.get("a")
    return raw is not None and parse_assessment_id(raw) is None
