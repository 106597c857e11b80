"""The language switch: per session, and remembered on the signed-in user across reloads and devices."""

from __future__ import annotations

import streamlit as st

from db.connection import DATABASE_ERRORS
from db.identity import SessionEnded
from db.users import get_language, set_language
from startup.bootstrap import ensure_ready
from ui.i18n import t

NAMES = {"zh": "中文", "en": "English"}


def _remember(identity) -> None:
    try:
        set_language(ensure_ready(), identity, st.session_state["lang"])
    except (*DATABASE_ERRORS, SessionEnded):
        pass  # the switch still works for this session; it is remembered at the next write the database allows


def language_switch(identity) -> None:
    """The sidebar language radio; on sign-in it starts from the user's stored choice."""
    if identity is not None and st.session_state.get("_lang_user") != identity.user_id:
        stored = get_language(ensure_ready(), identity)
        if stored is not None:
            st.session_state["lang"] = stored
        st.session_state["_lang_user"] = identity.user_id
    st.radio(t("language"), list(NAMES), key="lang", horizontal=True, format_func=NAMES.get,
             on_change=_remember if identity is not None else None, args=(identity,) if identity is not None else None)


def hide_english_input_hints() -> None:
    """Streamlit writes "Press Enter to apply" / "Press Enter to submit form" under focused inputs in English
    whatever the page language; on a Chinese page they are hidden (a hint only: Enter still works)."""
    st.html('<style>[data-testid="InputInstructions"] { display: none; }</style>')
