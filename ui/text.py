"""Showing user text and stored times safely: one escaper for Markdown, one formatter for times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHOWN_ZONE = ZoneInfo("Asia/Shanghai")

# CommonMark lets any ASCII punctuation be backslash-escaped; escaping all of it also disarms
# Streamlit's own extensions (:red[...], :material/...:, $LaTeX$) and raw HTML.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=$:&\"'^%@/])")


def md_escape(text) -> str:
    """User text (names, comments, answers) made safe to embed in st.markdown / st.caption.

    Every Markdown, HTML, LaTeX and Streamlit-directive character is escaped and line breaks
    become spaces, so the text shows exactly as typed and can't add links, images or markup.
    """
    if text is None:
        return ""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def parse_utc(ts: str) -> datetime:
    """A stored timestamp (ISO-8601, UTC, with or without 'Z'/offset) as an aware datetime."""
    value = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def local_time(ts: str | None, *, date_only: bool = False) -> str:
    """A stored UTC time as Chinese users read it, in Asia/Shanghai: 2026-12-03 14:05 (or the date)."""
    if not ts:
        return ""
    try:
        shown = parse_utc(ts).astimezone(SHOWN_ZONE)
    except ValueError:
        return ""
    return shown.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")

