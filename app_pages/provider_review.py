"""Item-by-item review of one submitted assessment: confirm or adjust with a reason, comment, return or verify.

Every save carries the review revision this page showed (optimistic locking, db/reviews.py): a
colleague's save in between refuses it with a message, and the page shows their version.
The bureau reads the same page without any control.
"""


import pandas as pd
import streamlit as st

from accounts.auth import end_local_session, require_role
from assessments import filling
from db import reviews
from db.assessments import current_result, load_answers, split_answers
from db.connection import DATABASE_ERRORS
from db.identity import AccessDenied, NotFound, SessionEnded
from questionnaires.conditions import visibility
from questionnaires.model import SCALE4, YES_NO, Question
from review import verification
from startup.bootstrap import ensure_ready
from ui.common import assessment_id_from_url, assessment_link_is_bad, status_label
from ui.errors import safe_callback
from ui.evidence import render_evidence_list
from ui.i18n import lang, t, tx
from ui.question_widgets import db_error_message
from ui.text import local_time, md_escape

identity = require_role("provider", "bureau")
db = ensure_ready()
aid = assessment_id_from_url()
if aid is None:
    st.title(t("page_review"))
    if assessment_link_is_bad():
        st.error(t("bad_link"))
    else:
        st.info(t("rv_choose"))
    st.stop()
try:
    state = reviews.review_state(db, identity, aid)
    self_result = current_result(db, identity, aid)
    stored = load_answers(db, identity, aid)
except NotFound:
    st.title(t("page_review"))
    st.error(t("not_found"))
    st.stop()
assessment = state.assessment
if assessment["status"] == "draft":  # nothing to review before the enterprise submits
    st.title(t("page_review"))
    st.info(t("rv_not_awaiting"))
    st.stop()
questionnaire = filling.questionnaire_of(assessment)
language = lang()
can_act = identity.role == "provider" and assessment["status"] == "submitted"
round_no = assessment["round_no"] or 1
REV_KEY, MSG_KEY = f"rv_rev:{aid}", f"rv_msg:{aid}"
st.session_state[REV_KEY] = state.rev  # the revision this page shows: every save is checked against it

st.title(f"{t('page_review')} · {tx(questionnaire.title)}")
st.caption(f"{md_escape(assessment['enterprise_name'])} · #{aid} · {status_label(assessment['status'])} · "
           f"{t('q_round', n=round_no)}")
message = st.session_state.pop(MSG_KEY, None)
if message:
    getattr(st, message[0])(message[1])
if not can_act:
    st.info(t("rv_readonly_bureau") if identity.role == "bureau" else t("rv_readonly", why=t("rv_not_awaiting")))

answers, na = split_answers(stored)


def summary(result: dict | None) -> str:
    if not result or result.get("method") in (None, "none"):
        return "—"
    if result.get("method") == "rule":
        return t("rv_outcome_yes") if result.get("outcome") else t("rv_outcome_no")
    level = tx(questionnaire.scoring.level_name(result["level"])) if result.get("level") is not None else "—"
    return t("rv_score_level", level=level, score=f"{result['score']:.2f}")


verified_stored = current_result(db, identity, aid, "verified") if assessment["status"] == "verified" else None
if verified_stored is not None:
    verified_now, verified_label = verified_stored["detail"], t("rv_verified")
else:
    verified_now = verification.verified_result(questionnaire, answers, na, state.adjustments())
    verified_label = t("rv_verified_preview")
m1, m2 = st.columns(2)
m1.metric(t("rv_self"), summary(self_result["detail"] if self_result else None))
m2.metric(verified_label, summary(verified_now))
if verified_stored is None:
    st.caption(t("rv_preview_note"))


def _flash(kind: str, text: str) -> None:
    st.session_state[MSG_KEY] = (kind, text)


def _write(action) -> bool:
    """Run one review write from a callback; say what happened. True when it was stored."""
    try:
        action()
    except SessionEnded:
        end_local_session("not_saved_signed_out")
    except reviews.ReviewConflict as exc:
        _flash("warning", t("rv_conflict", rev=exc.current_rev))
    except reviews.ReviewRefused as exc:
        _flash("error", t(exc.key))
    except (NotFound, AccessDenied):
        _flash("error", t("not_found"))
    except DATABASE_ERRORS as exc:
        _flash("error", db_error_message(exc))
    else:
        return True
    return False


def item_key(question: Question, part: str) -> str:
    item = state.items.get(question.id) or {}
    # A new key whenever the stored decision changes (here or by a colleague): the form shows it afresh.
    return f"rv:{aid}:{round_no}:{question.id}:{item.get('at') or '0'}:{part}"


@safe_callback
def save_item(question: Question) -> None:
    action = st.session_state.get(item_key(question, "action"))
    value = st.session_state.get(item_key(question, "value"))
    result = {}

    def run():
        result["out"] = verification.save_item(
            ensure_ready(), identity, questionnaire, aid, question.id, action=None if action == "none" else action,
            value=value, reason=st.session_state.get(item_key(question, "reason")),
            comment=st.session_state.get(item_key(question, "comment")), expected_rev=st.session_state[REV_KEY])

    if _write(run):
        rev, problem = result["out"]
        if problem:
            _flash("error", t("rv_not_saved", why=tx(problem)))
        else:
            _flash("success", t("rv_saved", rev=rev))


def value_widget(question: Question, current) -> None:
    key = item_key(question, "value")
    qt = question.type
    if qt in ("single_choice", "scale4", "yes_no"):
        options = {"scale4": list(SCALE4), "yes_no": list(YES_NO)}.get(qt, list(question.option_ids))
        index = options.index(current) if current in options else None
        st.selectbox(t("rv_value"), options, index=index, key=key, placeholder=t("choose_one"),
                     format_func=lambda v: verification.answer_text(question, v, language))
    elif qt == "multiple_choice":
        st.multiselect(t("rv_value"), list(question.option_ids), default=[v for v in current or []
                                                                         if v in question.option_ids],
                       key=key, placeholder=t("choose_many"),
                       format_func=lambda v: verification.answer_text(question, v, language))
    elif qt == "integer":
        st.number_input(t("rv_value"), value=int(current) if isinstance(current, int | float) else 0, step=1, key=key)
    elif qt in ("decimal", "percentage"):
        st.number_input(t("rv_value"), value=float(current) if isinstance(current, int | float) else 0.0,
                        step=0.1, format="%.2f", key=key)
    else:
        st.text_input(t("rv_value"), value=current or "", key=key)


def render_item(question: Question, number: int) -> None:
    item = state.items.get(question.id) or {}
    answer = stored.get(question.id)
    with st.container(border=True):
        st.markdown(f"**{number}. {md_escape(tx(question.text))}**")
        if answer is not None and answer.na_reason is not None:
            shown = t("rv_na", why=md_escape(answer.na_reason))
        elif answer is not None and answer.value is not None:
            shown = md_escape(verification.answer_text(question, answer.value, language))
        else:
            shown = t("rv_no_answer")
        st.markdown(t("rv_answer") + shown)
        if question.evidence:
            st.caption(t("evidence") + tx(question.evidence))
        render_evidence_list(db, identity, aid, question.id)  # the enterprise's files; access checked in db/
        if item.get("action") == "confirm":
            st.caption("✓ " + t("rv_state_confirm") + " · " +
                       t("rv_by", who=md_escape(item.get("reviewer_name")), when=local_time(item.get("at"))))
        elif item.get("action") == "adjust":
            st.caption("✎ " + t("rv_state_adjust", value=md_escape(verification.answer_text(
                question, item["verified_value"], language)), reason=md_escape(item.get("reason"))) + " · " +
                t("rv_by", who=md_escape(item.get("reviewer_name")), when=local_time(item.get("at"))))
        if item.get("comment") and not can_act:
            st.caption(t("rv_comment") + "：" + md_escape(item["comment"]))
        if not can_act:
            return
        with st.form(key=f"rvf:{aid}:{round_no}:{question.id}", border=False):
            choices = ["none", "confirm", "adjust"]
            st.radio(t("rv_action"), choices, index=choices.index(item.get("action") or "none"), horizontal=True,
                     key=item_key(question, "action"), format_func=lambda a: t("rv_action_" + a))
            current = item.get("verified_value") if item.get("action") == "adjust" else (
                answer.value if answer is not None else None)
            value_widget(question, current)
            st.text_input(t("rv_reason"), value=item.get("reason") or "", max_chars=reviews.MAX_REASON,
                          key=item_key(question, "reason"))
            st.text_area(t("rv_comment"), value=item.get("comment") or "", max_chars=reviews.MAX_COMMENT,
                         key=item_key(question, "comment"), height=68)
            st.form_submit_button(t("rv_save_item"), on_click=save_item, args=(question,))


vis = visibility(questionnaire, answers, na)
sections = [s for s in questionnaire.sections if s.id in vis.sections]
reviewed = {s.id: sum(1 for q in s.questions if q.id in state.items) for s in sections}
nav_col, main_col = st.columns([1, 3])
SECTION_KEY = f"rv_section:{aid}"


def remember_section() -> None:
    st.session_state.setdefault("_rv_chosen", {})[aid] = st.session_state[SECTION_KEY]


with nav_col:
    # The chosen section is kept in our own state and put back into the widget before it is drawn:
    # the radio's labels change with the counts, and Streamlit would otherwise reset it to the first.
    chosen = st.session_state.get("_rv_chosen", {}).get(aid)
    if chosen not in reviewed:
        chosen = sections[0].id if sections else None
    st.session_state[SECTION_KEY] = chosen
    section_id = st.radio(t("rv_section"), [s.id for s in sections], key=SECTION_KEY,
                          format_func=lambda sid: f"{tx(questionnaire.section(sid).title)} · {reviewed[sid]}",
                          on_change=remember_section)
with main_col:
    section = questionnaire.section(section_id) if section_id else None
    if section is not None:
        st.header(tx(section.title))
        if section.id in na:
            st.info(t("rv_na", why=md_escape(na[section.id])))
        number = 0
        for question in section.questions:
            if question.id in vis.questions:
                number += 1
                render_item(question, number)


def item_label(item_id: str) -> str:
    question = questionnaire.questions.get(item_id)
    return tx(question.text)[:60] if question else item_id


@safe_callback
def finish(kind: str) -> None:
    comment = st.session_state.get(f"rv_overall:{aid}:{round_no}")
    expected = st.session_state[REV_KEY]
    revisit = st.session_state.get(f"rv_revisit:{aid}:{round_no}:{expected}") or []
    connection = ensure_ready()
    if kind == "return":
        done = _write(lambda: reviews.return_for_revision(connection, identity, aid, revisit,
                                                          overall_comment=comment, expected_rev=expected))
        if done:
            _flash("success", t("rv_returned_done"))
    elif kind == "verify":
        if _write(lambda: verification.verify(connection, identity, questionnaire, aid, overall_comment=comment,
                                           expected_rev=expected)):
            _flash("success", t("rv_verified_done"))
    elif _write(lambda: reviews.save_overall_comment(connection, identity, aid, comment, expected_rev=expected)):
        _flash("success", t("rv_saved", rev=expected + 1))


if can_act:
    st.divider()
    with st.form(key=f"rv_finish:{aid}:{round_no}:{state.rev}"):
        st.text_area(t("rv_overall"), value=(state.round or {}).get("overall_comment") or "",
                     max_chars=reviews.MAX_COMMENT, key=f"rv_overall:{aid}:{round_no}")
        flagged = [k for k, v in state.items.items() if v.get("action") == "adjust" or v.get("comment")]
        st.multiselect(t("rv_revisit"), list(questionnaire.questions), default=flagged, format_func=item_label,
                       key=f"rv_revisit:{aid}:{round_no}:{state.rev}", placeholder=t("choose_many"))
        b1, b2, b3 = st.columns(3)
        b1.form_submit_button(t("rv_save_overall"), on_click=finish, args=("comment",))
        b2.form_submit_button(t("rv_return"), on_click=finish, args=("return",))
        b3.form_submit_button(t("rv_verify"), on_click=finish, args=("verify",), type="primary")

history = reviews.rounds(db, identity, aid)
if history:
    with st.expander(t("rv_history"), expanded=not can_act):
        for r in history:
            st.markdown(t("rv_round_line", n=r["round_no"], status=t("rv_round_" + r["status"]),
                          who=md_escape(r.get("reviewer_name")), when=local_time(r["closed_at"] or r["opened_at"])))
            if r.get("overall_comment"):
                st.caption(t("rv_overall") + "：" + md_escape(r["overall_comment"]))
            rows = []
            for item_id, item in r["items"].items():
                rows.append({t("rv_item"): item_label(item_id),
                             t("rv_col_action"): t("rv_action_" + (item.get("action") or "none")),
                             t("rv_col_comment"): item.get("comment") or "",
                             t("rv_revisit_mark"): "✓" if item.get("revisit") else "",
                             t("rv_value"): verification.answer_text(questionnaire.questions[item_id],
                                                                  item["verified_value"], language)
                             if item.get("action") == "adjust" and item_id in questionnaire.questions else ""})
            if rows:
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
