"""Unexpected errors: a Chinese message with a reference number that is also in the server log.

Two entry points: ``show_unexpected`` for an error raised while a page runs (app.py wraps
``nav.run()``), and ``safe_callback`` for widget callbacks, which Streamlit runs before the page
script, outside that wrapper; their message is shown by ``show_pending`` at the top of the next page.
"""

from __future__ import annotations

import functools
import logging
import secrets
import sys

import streamlit as st

from db.connection import DATABASE_ERRORS
from db.identity import SessionEnded
from ui.i18n import t

log = logging.getLogger("zibo.pages")
if not log.handlers:  # Streamlit configures only its own loggers; make ours reach the server log too
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

PENDING = "_pending_error"


def new_reference() -> str:
    """A short reference a user can read out on the phone: ERR-7F3A91C2."""
    return "ERR-" + secrets.token_hex(4).upper()


def _logged_message(exc: BaseException) -> str:
    ref = new_reference()
    log.error("unexpected page error %s", ref, exc_info=(type(exc), exc, exc.__traceback__))
    text = str(exc).lower()
    if isinstance(exc, DATABASE_ERRORS) and ("locked" in text or "busy" in text):
        return t("page_db_busy", ref=ref)
    if isinstance(exc, DATABASE_ERRORS):
        return t("page_db_unavailable", ref=ref)
    return t("error_ref", ref=ref)


def show_unexpected(exc: BaseException) -> str:
    """Log the traceback under a new reference and show the user a Chinese message naming it.

    Streamlit's control-flow exceptions (st.stop, st.rerun, st.switch_page) derive from
    BaseException, not Exception, so a caller's ``except Exception`` never reaches them here.
    """
    if isinstance(exc, SessionEnded):
        # A write refused because the session is over, on a page without its own handling:
        # nothing was stored; say so and go to sign-in, which returns here afterwards.
        from accounts.auth import session_ended_on_write

        session_ended_on_write()
    message = _logged_message(exc)
    st.error(message)
    return message


def safe_callback(fn):
    """A widget callback whose unexpected errors become the Chinese message with a logged reference."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SessionEnded:
            from accounts.auth import end_local_session

            end_local_session("not_saved_signed_out")
        except Exception as exc:  # control flow (st.rerun...) is BaseException and passes
            st.session_state[PENDING] = _logged_message(exc)
    return run


def show_pending() -> None:
    """Show (once) the message of a callback that failed just before this run."""
    message = st.session_state.pop(PENDING, None)
    if message:
        st.error(message)
