"""Who is signed in: password sign-in, a revocable token cookie that survives a refresh, role guards.

The browser holds only a random token; the database holds its SHA-256, the user, the
last activity and the expiry (db/users.py). Every rerun re-checks the token, so a
revoked or idle session ends at once, not at the next refresh.
"""

from __future__ import annotations

import json
import os

import streamlit as st

from bootstrap import ensure_ready
from db import users
from db.identity import Identity
from i18n import t

COOKIE = "zb_session"


def idle_minutes() -> int:
    """Inactivity limit in minutes ($ZB_SESSION_IDLE_MINUTES, default 30)."""
    return int(os.environ.get("ZB_SESSION_IDLE_MINUTES", "30"))


def _set_cookie_script(token: str | None) -> str:
    if token:
        value = f"{COOKIE}={token}; path=/; max-age={users.SESSION_MAX_HOURS * 3600}; SameSite=Strict"
    else:
        value = f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"
    return f"<script>document.cookie = {json.dumps(value)};</script>"


def emit_pending_cookie() -> None:
    """Write or clear the session cookie in the browser, once, after sign-in or sign-out."""
    if "_cookie_op" in st.session_state:
        token = st.session_state.pop("_cookie_op")
        st.html(_set_cookie_script(token), unsafe_allow_javascript=True, width=1)


def current_identity() -> Identity | None:
    """The signed-in identity, from this session or from the token cookie of an earlier one."""
    db = ensure_ready()
    token = st.session_state.get("_token")
    if token is None and not st.session_state.get("_signed_out"):
        cookie = st.context.cookies.get(COOKIE)
        token = cookie if isinstance(cookie, str) and 0 < len(cookie) <= 128 else None
    identity = users.resume_session(db, token, idle_minutes())
    if identity is None:
        if st.session_state.get("_token"):
            st.session_state["_expired"] = True
        st.session_state.pop("_token", None)
        st.session_state.pop("identity", None)
        return None
    st.session_state["_token"] = token
    st.session_state["identity"] = identity
    return identity


def sign_in(username: str, password: str) -> str | None:
    """Check the password and open a session; returns an error message or None."""
    db = ensure_ready()
    result = users.authenticate(db, username, password)
    if result.identity is None:
        if result.error == "locked":
            return t("locked", until=(result.locked_until or "")[:16].replace("T", " ") + " UTC")
        return t("bad_credentials")
    token = users.open_session(db, result.identity)
    st.session_state["_token"] = token
    st.session_state["identity"] = result.identity
    st.session_state["_cookie_op"] = token
    st.session_state["must_change_password"] = result.must_change_password
    st.session_state.pop("_signed_out", None)
    st.session_state.pop("_expired", None)
    return None


def sign_out() -> None:
    users.revoke_session(ensure_ready(), st.session_state.get("_token"))
    lang = st.session_state.get("lang", "zh")
    st.session_state.clear()
    st.session_state["lang"] = lang
    st.session_state["_signed_out"] = True
    st.session_state["_cookie_op"] = None


def require_role(*roles: str) -> Identity:
    """Stop the page unless the signed-in user has one of ``roles``. Call at the top of every page."""
    identity = current_identity()
    if identity is None or identity.role not in roles:
        st.error(t("not_authorised"))
        st.stop()
    return identity
