"""What the enterprise is told about the provider's review: beside each item and on the results page."""

from __future__ import annotations

import streamlit as st

from db import reviews
from db.identity import NotFound
from questionnaires.model import Questionnaire
from review import verification
from startup.bootstrap import ensure_ready
from ui.i18n import lang, t, tx
from ui.text import local_time, md_escape


def item_note_lines(questionnaire: Questionnaire, item_id: str, item: dict, language: str) -> list[str]:
    """The review note of one item as Markdown lines (user text escaped); empty when there is nothing to say."""
    lines = []
    if item.get("revisit"):
        lines.append("**" + t("rv_note_revisit") + "**")
    if item.get("action") == "adjust" and item_id in questionnaire.questions:
        value = verification.answer_text(questionnaire.questions[item_id], item["verified_value"], language)
        lines.append(t("rv_note_adjusted", value=md_escape(value), reason=md_escape(item.get("reason"))))
    if item.get("comment"):
        lines.append(t("rv_note_title", when=local_time(item.get("at"))) + md_escape(item["comment"]))
    return lines


def _notes(ctx) -> dict:
    if "_review_notes" not in ctx:  # once per rerun: ctx is made afresh on every run of the fill page
        try:
            closed = reviews.last_closed_round(ensure_ready(), ctx["identity"], ctx["aid"])
        except NotFound:
            closed = None
        ctx["_review_notes"] = closed["items"] if closed else {}
    return ctx["_review_notes"]


def render_item_note(ctx, item_id: str) -> None:
    """The provider's comment, verified value or revisit request next to an item of the questionnaire."""
    item = _notes(ctx).get(item_id)
    if not item:
        return
    lines = item_note_lines(ctx["questionnaire"], item_id, item, lang())
    if lines:
        (st.warning if item.get("revisit") else st.info)("  \n".join(lines), icon=":material/rate_review:")


def render_review_summary(db, identity, questionnaire: Questionnaire, assessment: dict) -> None:
    """On the results page: the latest return (items to revisit, comments) or verification, in plain words."""
    closed = reviews.last_closed_round(db, identity, assessment["id"])
    if closed is None:
        return
    language = lang()
    with st.container(border=True):
        if closed["status"] == "returned":
            st.warning(t("rv_ent_returned", when=local_time(closed["closed_at"])))
        else:
            st.success(t("rv_ent_verified", when=local_time(closed["closed_at"])))
        if closed.get("overall_comment"):
            st.markdown(t("rv_ent_overall", text=md_escape(closed["overall_comment"])))
        order = list(questionnaire.questions)
        for item_id in sorted(closed["items"], key=lambda k: order.index(k) if k in order else len(order)):
            lines = item_note_lines(questionnaire, item_id, closed["items"][item_id], language)
            question = questionnaire.questions.get(item_id)
            if lines and question is not None:
                st.markdown(f"- **{md_escape(tx(question.text))}**  \n" + "  \n".join(lines))
