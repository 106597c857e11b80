"""On the fill page: the "请确认或修改" banner and the "确认本节" button of pre-filled sections."""

from __future__ import annotations

import streamlit as st

from accounts.auth import end_local_session
from db.assessments import confirm_section
from db.identity import Identity, SessionEnded
from startup.bootstrap import ensure_ready
from ui.i18n import t
from ui.profile import local_time


def pending_suffix(state: dict[str, dict], section_id: str) -> str:
    """A mark for the section list while a pre-filled section awaits confirmation."""
    row = state.get(section_id)
    return f" · ⚠️ {t('prefill_pending')}" if row is not None and not row["confirmed_at"] else ""


def _confirm(identity: Identity, assessment_id: int, section_id: str) -> None:
    # a callback runs in the next rerun's thread: take that thread's connection, not the page's
    try:
        confirm_section(ensure_ready(), identity, assessment_id, section_id)
    except SessionEnded:
        end_local_session("not_saved_signed_out")


def render_prefill_banner(identity: Identity, assessment_id: int, state: dict[str, dict], section_id: str,
                          read_only: bool) -> None:
    """Banner + confirm button for an unconfirmed pre-filled section; a caption once it is confirmed."""
    row = state.get(section_id)
    if row is None:
        return
    if row["confirmed_at"]:
        st.caption(t("prefill_confirmed", who=row["confirmed_by_name"] or "—", when=local_time(row["confirmed_at"])))
        return
    with st.container(border=True):
        st.warning(t("prefill_banner", n=row["items"], src=row["source_assessment_id"]), icon=":material/edit_note:")
        if not read_only:
            st.button(t("prefill_confirm"), key=f"confirm_section_{section_id}", type="primary",
                      on_click=_confirm, args=(identity, assessment_id, section_id))
