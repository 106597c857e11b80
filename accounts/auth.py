"""Who is signed in: throttled password sign-in, an HttpOnly session cookie set by a server route, role guards.

The browser holds only a random token, in an HttpOnly, SameSite=Strict cookie that no script can
read or write: after the password check the sign-in page stores a one-time hand-off code in the
database and sends the browser to /auth/complete (serve.py), which exchanges the code for the
session token, sets the cookie and redirects back to where the user was going. The database
holds the token's SHA-256, the user, the last activity and the expiry (db/users.py). Every rerun
re-checks the token, and every write re-checks it again inside its transaction.
"""

from __future__ import annotations

import html
import ipaddress
from datetime import datetime
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import streamlit as st

from db import users
from db.identity import Identity
from startup.bootstrap import ensure_ready
from ui.i18n import t

COOKIE = "zb_session"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def idle_minutes() -> int:
    """Inactivity limit in minutes ($ZB_SESSION_IDLE_MINUTES, default 30)."""
    return users.idle_minutes()


def safe_next(target: str | None) -> str:
    """A same-origin path (with query) to return to after sign-in; anything else becomes '/'."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def here() -> str:
    """The path and query of the page this session shows (for returning after sign-in)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    page = ctx.pages_manager.intended_page_name if ctx is not None else None
    page = page or st.session_state.get("_last_page") or ""
    if page.strip("/") in ("login", "gate"):  # the sign-in page itself: return to the home page
        page = ""
    query = {k: v for k, v in st.query_params.to_dict().items() if k}
    path = "/" + quote(page.strip("/"))
    return safe_next(path + ("?" + urlencode(query) if query else ""))


# Fixed script text, the URL in an attribute: behind the proxy's Content-Security-Policy the script
# is allowed by its SHA-256 (deploy/render_nginx.py hashes NAVIGATE_JS), which a URL inside would change.
NAVIGATE_JS = "window.location.replace(document.currentScript.dataset.to);"


def _navigate_script(url: str) -> str:
    return f'<script data-to="{html.escape(url, quote=True)}">{NAVIGATE_JS}</script>'


def emit_pending_redirect() -> None:
    """After sign-in or sign-out, send the browser to the cookie route (once)."""
    url = st.session_state.pop("_redirect", None)
    if url:
        st.html(_navigate_script(url), unsafe_allow_javascript=True, width=1)
        st.link_button(t("redirect_continue"), url)  # shown only if scripts are blocked


def current_identity() -> Identity | None:
    """The signed-in identity, from this session or from the session cookie; re-read from the database."""
    db = ensure_ready()
    token = st.session_state.get("_token")
    if token is None and not st.session_state.get("_signed_out"):
        cookie = st.context.cookies.get(COOKIE)
        token = cookie if isinstance(cookie, str) and 0 < len(cookie) <= 128 else None
    identity = users.resume_session(db, token, idle_minutes())
    if identity is None:
        if st.session_state.get("_token"):
            st.session_state["_expired"] = True
            st.session_state["_return_to"] = here()
        st.session_state.pop("_token", None)
        st.session_state.pop("identity", None)
        return None
    st.session_state["_token"] = token
    st.session_state["identity"] = identity
    return identity


def retry_time(retry_at: datetime) -> str:
    """HH:MM in Asia/Shanghai (with the date when it is not today there)."""
    local = retry_at.astimezone(SHANGHAI)
    today = datetime.now(SHANGHAI).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")


def client_address() -> str | None:
    """The client's address as Streamlit sees it (None on loopback; behind a proxy, the proxy's unless
    the proxy's X-Forwarded-For is trusted, see README)."""
    try:
        address = st.context.ip_address
        return str(ipaddress.ip_address(address)) if isinstance(address, str) else None
    except (ValueError, RuntimeError):
        return None


def sign_in(username: str, password: str, next_path: str | None = None) -> str | None:
    """Check the password and open a session; returns an error message or None.

    On success the session is usable at once in this Streamlit session, and the browser is sent
    to /auth/complete to receive the HttpOnly cookie that keeps it across reloads.
    """
    db = ensure_ready()
    result = users.authenticate(db, username, password, client_address())
    if result.identity is None:
        if result.error == "throttled":
            return t("throttled", at=retry_time(result.retry_at))
        return t("bad_credentials")
    token = users.open_session(db, result.identity)
    code = users.issue_handoff(db, token)
    st.session_state["_token"] = token
    st.session_state["identity"] = result.identity
    st.session_state["_redirect"] = "/auth/complete?" + urlencode({"code": code, "next": safe_next(next_path)})
    st.session_state.pop("_signed_out", None)
    st.session_state.pop("_expired", None)
    return None


def end_local_session(notice: str | None = None) -> None:
    """Forget the sign-in in this Streamlit session, remembering where the user was and why."""
    lang = st.session_state.get("lang", "zh")
    return_to = here()
    st.session_state.clear()
    st.session_state["lang"] = lang
    st.session_state["_signed_out"] = True  # the cookie still arrives with every rerun: ignore it
    st.session_state["_return_to"] = return_to
    if notice:
        st.session_state["_login_notice"] = notice


def sign_out() -> None:
    """Revoke this session in the database and clear the cookie (through /auth/signout)."""
    users.revoke_session(ensure_ready(), st.session_state.get("_token"))
    end_local_session()
    st.session_state.pop("_return_to", None)
    st.session_state["_redirect"] = "/auth/signout"


def session_ended_on_write() -> None:
    """A write was refused because the session is over: say nothing was saved and go to sign-in."""
    end_local_session(notice="not_saved_signed_out")
    st.rerun()


def require_role(*roles: str, allow_must_change: bool = False) -> Identity:
    """Stop the page unless the signed-in user has one of ``roles``. Call at the top of every page.

    A user who still has to change the password gets no page but the password change.
    """
    identity = current_identity()
    if identity is None or identity.role not in roles:
        st.error(t("not_authorised"))
        st.stop()
    if identity.must_change_password and not allow_must_change:
        st.warning(t("must_change"))
        st.stop()
    return identity
