"""Enterprise: fill in an assessment section by section; every answer is saved as it is given."""


import streamlit as st

from accounts.auth import require_role, session_ended_on_write
from assessments import filling
from db.assessments import (
    OPEN_STATUSES,
    Incomplete,
    get_assessment,
    load_answers,
    prefill_state,
    split_answers,
    start_assessment,
)
from db.connection import DATABASE_ERRORS
from db.enterprises import ProfileIncomplete
from db.identity import NotFound, SessionEnded
from questionnaires.answers import progress
from questionnaires.conditions import visibility
from startup.bootstrap import ensure_ready
from ui.common import assessment_id_from_url, assessment_link_is_bad, status_label
from ui.i18n import t, tx
from ui.prefill import pending_suffix, render_prefill_banner
from ui.profile import render_profile_gate
from ui.question_widgets import db_error_message, make_context, render_question, render_section_na
from ui.text import md_escape

identity = require_role("enterprise")
db = ensure_ready()
aid = assessment_id_from_url()
if aid is None:
    if assessment_link_is_bad():
        st.error(t("bad_link"))
    else:
        st.info(t("choose_assessment"))
    st.page_link("app_pages/ent_assessments.py", label=t("page_assessments"), icon=":material/assignment:")
    st.stop()
try:
    assessment = get_assessment(db, identity, aid)
except NotFound:
    st.error(t("not_found"))
    st.page_link("app_pages/ent_assessments.py", label=t("page_assessments"), icon=":material/assignment:")
    st.stop()

questionnaire = filling.questionnaire_of(assessment)
stored = load_answers(db, identity, aid)
answers, na = split_answers(stored)
vis = visibility(questionnaire, answers, na)
prog = progress(questionnaire, answers, na)
read_only = assessment["status"] not in OPEN_STATUSES
sections = [s for s in questionnaire.sections if s.id in vis.sections]
prefilled = prefill_state(db, identity, aid)

current_id = st.query_params.get("s")
if current_id not in [s.id for s in sections]:
    current_id = sections[0].id
section = questionnaire.section(current_id)


def go_to(section_id: str) -> None:
    st.query_params["s"] = section_id
    st.session_state["_nav_section"] = section_id


def hidden_required() -> int:
    """Required questions not shown now because an answer has not (yet) opened them."""
    return sum(1 for s in questionnaire.sections if s.id not in vis.not_applicable
               for q in s.questions if q.required and q.id not in vis.questions)


st.title(tx(questionnaire.title))
done, total = prog[""]
st.caption(f"{md_escape(assessment['enterprise_name'])} · #{aid} · v{md_escape(questionnaire.version)} · "
           f"{status_label(assessment['status'])}")
st.progress(done / total if total else 1.0, text=t("progress", done=done, total=total))

# The required count follows the answers (follow-up questions open and close): say so, and say
# by how much it just changed, so 211 becoming 227 is never a surprise.
totals = st.session_state.setdefault("_fill_totals", {})
before = totals.get(aid)
totals[aid] = total
if not read_only:
    if before is not None and before != total:
        key = "required_more" if total > before else "required_fewer"
        st.info(t(key, before=before, total=total, n=abs(total - before)))
    hidden = hidden_required()
    if hidden:
        st.caption(t("required_explained", n=hidden))

if questionnaire.indicative:
    st.info(t("indicative"))
elif questionnaire.scoring is not None and questionnaire.scoring.method == "cmmm":
    st.caption(t("self_reference"))  # said before filling, not only on the result
if read_only:
    st.warning(t("read_only_" + assessment["status"]) if assessment["status"] in ("submitted", "verified")
               else t("read_only"))
    offer = st.columns(2)
    offer[0].page_link("app_pages/result.py", label=t("view_result"), icon=":material/bar_chart:", query_params={"a": str(aid)})
    if offer[1].button(t("start_new_round"), key="start_new_round"):
        try:
            new_aid, _ = start_assessment(db, identity, questionnaire.id, questionnaire.version)
        except SessionEnded:
            session_ended_on_write()
        except ProfileIncomplete:
            render_profile_gate(db, identity)
        else:
            st.switch_page("app_pages/ent_fill.py", query_params={"a": str(new_aid)})

nav_col, main_col = st.columns([1, 3])
with nav_col:
    st.markdown(f"**{t('sections')}**")
    labels = {}
    for s in sections:
        d, n = prog.get(s.id, (0, 0))
        mark = "✔" if d == n else f"{d}/{n}"
        labels[s.id] = f"{tx(s.title)} · {mark}{pending_suffix(prefilled, s.id)}"
    st.session_state["_nav_section"] = current_id
    st.radio(t("sections"), [s.id for s in sections], key="_nav_section", format_func=labels.get,
             label_visibility="collapsed", on_change=lambda: go_to(st.session_state["_nav_section"]))
    tried = st.session_state.setdefault("_submit_tried", set())
    if not read_only and st.button(t("submit"), key="submit", type="primary", width="stretch"):
        try:
            filling.submit(db, identity, aid)
        except SessionEnded:
            session_ended_on_write()
        except Incomplete:
            tried.add(aid)
        except DATABASE_ERRORS as exc:
            st.error(db_error_message(exc))
        else:
            tried.discard(aid)
            st.switch_page("app_pages/result.py", query_params={"a": str(aid)})

with main_col:
    # Recomputed on every run from the stored answers: the list shrinks as items are answered and
    # disappears when nothing is missing. Kept per assessment, so another assessment never sees it.
    problems = filling.missing(questionnaire, answers, na, prefilled) if aid in tried and not read_only else []
    if problems:
        with st.container(border=True):
            st.error(t("missing_title", n=len(problems)))
            for i, p in enumerate(problems[:30]):
                q = questionnaire.questions.get(p.item_id)
                where_section = questionnaire.section(p.section_id)
                where = tx(where_section.title) if where_section else ""
                item_section = questionnaire.section(p.item_id)
                what = tx(q.text) if q else (tx(item_section.title) if item_section else "")
                cols = st.columns([5, 1])
                cols[0].markdown(f"- **{where}** · {what[:60]} — {tx(p.message)}")
                cols[1].button(t("go_there"), key=f"jump_{i}", on_click=go_to, args=(p.section_id,))
            if len(problems) > 30:
                st.caption(t("more_problems", n=len(problems) - 30))
    elif aid in tried and not read_only:
        st.success(t("nothing_missing"))

    st.header(tx(section.title))
    render_prefill_banner(identity, aid, prefilled, section.id, read_only)
    if section.description:
        st.caption(tx(section.description))
    ctx = make_context(identity, questionnaire, aid, stored)
    section_na = render_section_na(ctx, section, read_only) if section.allow_na else False
    if not section_na:
        number = 0
        for question in section.questions:
            if question.id not in vis.questions:
                continue
            number += 1
            with st.container(border=True):
                render_question(ctx, question, number, read_only)

    index = [s.id for s in sections].index(current_id)
    prev_col, _, next_col = st.columns([1, 2, 1])
    if index > 0:
        prev_col.button("← " + t("previous"), key="prev", on_click=go_to, args=(sections[index - 1].id,))
    if index < len(sections) - 1:
        next_col.button(t("next") + " →", key="next", on_click=go_to, args=(sections[index + 1].id,))
