"""The explained result of one assessment (enterprise: its own; provider: assigned; bureau: all)."""

from datetime import UTC, datetime

import streamlit as st

from accounts.auth import require_role
from assessments import filling
from db.assessments import current_result, get_assessment, load_answers, split_answers
from db.enterprises import get_enterprise
from db.identity import NotFound
from db.peers import MIN_PEERS, peer_standing, previous_result
from reports import charts
from reports.explain import SHANGHAI, explain, local_time, peer_lines, report_filename, subdomain_changes
from reports.pdf import ReportContext, build_pdf, pdf_font
from reports.workbook import build_workbook
from scoring import shown
from startup.bootstrap import ensure_ready
from ui.common import assessment_id_from_url, assessment_link_is_bad, status_label
from ui.i18n import lang, t, tx
from ui.result_view import Download, ResultExtras, render_result
from ui.review_notes import render_review_summary
from ui.text import md_escape

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

identity = require_role("enterprise", "provider", "bureau")
db = ensure_ready()
aid = assessment_id_from_url()
if aid is None:
    if assessment_link_is_bad():
        st.error(t("bad_link"))
    else:
        st.info(t("choose_assessment"))
    st.stop()
try:
    assessment = get_assessment(db, identity, aid)
    result = current_result(db, identity, aid)
    # A verified assessment shows the provider's verified result; the self result is named beside it.
    verified = current_result(db, identity, aid, "verified") if assessment["status"] == "verified" else None
    enterprise = get_enterprise(db, identity, assessment["enterprise_id"])
except NotFound:
    st.error(t("not_found"))
    st.stop()
questionnaire = filling.questionnaire_of(assessment)
st.title(f"{t('page_result')} · {tx(questionnaire.title)}")
st.caption(f"{md_escape(assessment['enterprise_name'])} · #{aid} · {status_label(assessment['status'])}")
render_review_summary(db, identity, questionnaire, assessment)
if verified is not None and result is not None and result.get("level") is not None:
    st.caption(t("rv_self_line", level=tx(questionnaire.scoring.level_name(result["level"])),
                 score=f"{result['score']:.2f}"))
result = verified or result
if result is None or result["detail"]["method"] not in ("cmmm", "cmmm_quick", "rule"):
    st.info(t("no_result"))
    st.stop()

language = lang()
ex = explain(questionnaire, result, verified=verified is not None, lang=language)
peers = tuple(peer_lines(peer_standing(db, identity, aid), language, MIN_PEERS))
previous = previous_result(db, identity, aid)
changes, change_title = (), ""
if previous is not None and previous["detail"]["method"] == result["detail"]["method"] and ex.method != "rule":
    changes = tuple(subdomain_changes(questionnaire, result["detail"], previous["detail"], language))
    before = explain(filling.questionnaire_of(previous), previous, lang=language)
    change_title = t("res_change", date=local_time(previous["submitted_at"] or previous["computed_at"])[:10],
                     level=before.level_name, score=shown(before.score))
answers, na = split_answers(load_answers(db, identity, aid))
day = datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y%m%d")


def make_pdf() -> bytes:
    pngs = () if ex.method == "rule" else (charts.to_png(charts.radar_chart(ex)), charts.to_png(charts.level_chart(ex)))
    context = ReportContext(enterprise, peers=peers, change_title=change_title,
                            changes=tuple((c.name, "—" if c.previous is None else shown(c.previous),
                                           "—" if c.now is None else shown(c.now),
                                           "—" if c.delta is None else f"{c.delta:+.2f}") for c in changes))
    return build_pdf(ex, context, pngs)


def make_workbook() -> bytes:
    return build_workbook(ex, questionnaire, result["detail"], enterprise, answers, na)


downloads = ()
try:  # the PDF and its chart images need a CJK font; say so instead of failing on the click
    pdf_font()
    charts.cjk_font()
    downloads = (Download(t("res_download_pdf"), report_filename(questionnaire.id, enterprise["name"], day, "pdf",
                                                                   language), "application/pdf", make_pdf,
                          "download_pdf"),)
except charts.NoCjkFont as exc:
    st.error(t("res_pdf_unavailable", why=exc))
downloads += (
    Download(t("res_download_xlsx"), report_filename(questionnaire.id, enterprise["name"], day, "xlsx", language),
             XLSX, make_workbook, "download_xlsx"),
)
full_page = "app_pages/ent_assessments.py" if ex.method == "cmmm_quick" and identity.role == "enterprise" else None
render_result(ex, ResultExtras(peers=peers, change_title=change_title, changes=changes, first_time=previous is None,
                               downloads=downloads, full_assessment_page=full_page))
