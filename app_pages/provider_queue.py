"""Review queue: submitted assessments of the provider's enterprises (bureau: all, read-only), oldest first."""

from datetime import UTC, datetime, timedelta

import streamlit as st

from accounts.auth import require_role
from db import reviews
from startup.bootstrap import ensure_ready
from ui.common import questionnaire_title, status_label
from ui.i18n import lang, t
from ui.text import local_time, md_escape, parse_utc
from zibo.reference import DISTRICTS, INDUSTRIES, district_label, industry_label

WAIT_DAYS = (0, 1, 3, 7, 14)

identity = require_role("provider", "bureau")
db = ensure_ready()
st.title(t("page_queue"))
if identity.role == "bureau":
    st.caption(t("q_bureau_readonly"))
language = lang()

c1, c2, c3, c4 = st.columns(4)
statuses = c1.multiselect(t("q_status"), list(reviews.REVIEW_STATUSES), default=["submitted"],
                          format_func=status_label, key="q_status")
district = c2.selectbox(t("district"), [None, *DISTRICTS], key="q_district",
                        format_func=lambda d: t("q_all") if d is None else district_label(d, language))
industry = c3.selectbox(t("industry"), [None, *INDUSTRIES], key="q_industry",
                        format_func=lambda c: t("q_all") if c is None else industry_label(c))
days = c4.selectbox(t("q_waiting"), WAIT_DAYS, key="q_wait",
                    format_func=lambda n: t("q_wait_any") if n == 0 else t("q_wait_days", n=n))

now = datetime.now(UTC)
before = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if days else None
rows = reviews.queue(db, identity, statuses or ["submitted"], district, industry, before)
if not rows:
    st.info(t("q_none"))
    st.stop()
st.caption(t("q_count", n=len(rows)))


def waiting(submitted_at: str | None) -> str:
    if not submitted_at:
        return ""
    span = now - parse_utc(submitted_at)
    return t("q_wait_dh", d=span.days, h=span.seconds // 3600)


for a in rows:
    with st.container(border=True):
        cols = st.columns([5, 2, 1])
        cols[0].markdown(f"**{md_escape(a['enterprise_name'])}** · {questionnaire_title(a)} · #{a['id']} · "
                         f"{t('q_round', n=a['round_no'] or 1)}  \n"
                         f"{md_escape(district_label(a['district'], language))} · "
                         f"{md_escape(industry_label(a['industry_code']))}")
        cols[0].caption(t("q_submitted", when=local_time(a["submitted_at"]), wait=waiting(a["submitted_at"])))
        cols[1].markdown(status_label(a["status"]))
        acts = identity.role == "provider" and a["status"] == "submitted"
        if cols[2].button(t("q_open_review") if acts else t("q_open_view"), key=f"rv_{a['id']}",
                          type="primary" if acts else "secondary"):
            st.switch_page("app_pages/provider_review.py", query_params={"a": str(a["id"])})
