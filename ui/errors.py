"""Unexpected page errors: a Chinese message with a reference number that is also in the server log."""

from __future__ import annotations

import logging
import secrets
import sqlite3
import sys

import streamlit as st

from i18n import t

log = logging.getLogger("zibo.pages")
if not log.handlers:  # Streamlit configures only its own loggers; make ours reach the server log too
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def new_reference() -> str:
    """A short reference a user can read out on the phone: ERR-7F3A91C2."""
    return "ERR-" + secrets.token_hex(4).upper()


def show_unexpected(exc: BaseException) -> str:
    """Log the traceback under a new reference and show the user a Chinese message naming it.

    Streamlit's control-flow exceptions (st.stop, st.rerun, st.switch_page) derive from
    BaseException, not Exception, so a caller's ``except Exception`` never reaches them here.
    """
    ref = new_reference()
    log.error("unexpected page error %s", ref, exc_info=(type(exc), exc, exc.__traceback__))
    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        st.error(t("page_db_busy", ref=ref))
    elif isinstance(exc, sqlite3.OperationalError):
        st.error(t("page_db_unavailable", ref=ref))
    else:
        st.error(t("error_ref", ref=ref))
    return ref
