"""One widget per question, saved to the database the moment the answer is given.

Each widget's state is synchronised from the database whenever the stored revision of its
item differs from the one this browser session last saw (a colleague's change, a fresh
session after a refresh). A change goes to the database in the widget's callback with the
revision the user saw, so a colleague's newer answer is never silently overwritten.
"""

from __future__ import annotations

import streamlit as st

from accounts.auth import end_local_session
from assessments import filling
from db.assessments import ReadOnly, StoredAnswer
from db.connection import DATABASE_ERRORS
from db.identity import AccessDenied, NotFound, SessionEnded
from questionnaires.model import SCALE4, YES_NO, Question, Questionnaire, Section
from startup.bootstrap import ensure_ready
from ui.errors import safe_callback
from ui.evidence import render_evidence_section
from ui.i18n import lang, t, tx
from ui.review_notes import render_item_note
from ui.text import local_time, md_escape

SCALE4_LABELS = {
    "not_met": ("不满足", "Not met"),
    "partly_met": ("部分满足", "Partly met"),
    "largely_met": ("大部分满足", "Largely met"),
    "fully_met": ("全部满足", "Fully met"),
}
YES_NO_LABELS = {"yes": ("是", "Yes"), "no": ("否", "No")}


def _label(pair: tuple[str, str]) -> str:
    return pair[1] if lang() == "en" else pair[0]


def widget_key(aid: int, item_id: str) -> str:
    return f"w:{aid}:{item_id}"


def na_key(aid: int, item_id: str) -> str:
    return f"na:{aid}:{item_id}"


def reason_key(aid: int, item_id: str) -> str:
    return f"nar:{aid}:{item_id}"


def _seen() -> dict:
    return st.session_state.setdefault("_seen_rev", {})


def _messages() -> dict:
    return st.session_state.setdefault("_item_msg", {})


def _to_widget(question: Question | None, value):
    if question is not None and question.type == "multiple_choice":
        return list(value or [])
    return value


def _option_ids(question: Question, values) -> list:
    """Multiselect values as option ids.

    Streamlit 1.67 keeps a keyed multiselect's identity across label changes, and the browser
    sends back the *labels* it shows: after a language switch they arrive in the old language.
    Map labels of either language back to their option ids; drop anything else.
    """
    by_label = {}
    for o in question.options:
        by_label[o.label.get("zh")] = o.id
        by_label[o.label.get("en")] = o.id
    ids = []
    for v in values or []:
        option = v if v in question.option_ids else by_label.get(v)
        if option is not None and option not in ids:
            ids.append(option)
    return ids


def sync_from_db(aid: int, item_id: str, question: Question | None, stored: StoredAnswer | None) -> None:
    """Put the stored answer into the widget state when this session has not seen its revision."""
    rev = stored.rev if stored else 0
    seen = _seen()
    key = (aid, item_id)
    # A section has no value widget: its not-applicable checkbox tells whether the state is present.
    present = widget_key(aid, item_id) if question is not None else na_key(aid, item_id)
    if seen.get(key) == rev and present in st.session_state:
        return
    value = stored.value if stored else None
    reason = stored.na_reason if stored else None
    if question is not None:
        st.session_state[widget_key(aid, item_id)] = _to_widget(question, value)
    st.session_state[na_key(aid, item_id)] = reason is not None
    st.session_state[reason_key(aid, item_id)] = reason or ""
    seen[key] = rev


def _apply_outcome(aid: int, item_id: str, question: Question | None, outcome,
                   shown: StoredAnswer | None = None) -> None:
    seen, messages = _seen(), _messages()
    if outcome.status in ("saved", "unchanged"):
        seen[(aid, item_id)] = outcome.answer.rev
        messages.pop((aid, item_id), None)
    elif outcome.status == "conflict":
        current = outcome.answer
        seen[(aid, item_id)] = current.rev if current else 0
        if question is not None:
            st.session_state[widget_key(aid, item_id)] = _to_widget(question, current.value if current else None)
        st.session_state[na_key(aid, item_id)] = bool(current and current.na_reason is not None)
        st.session_state[reason_key(aid, item_id)] = (current.na_reason if current else "") or ""
        messages[(aid, item_id)] = ("warning", t("conflict", who=md_escape(current.updated_by) if current else "?",
                                          when=_when(current.updated_at) if current else ""))
    else:
        # A refused value must not stay in the field as if it were accepted: show the stored one again.
        stored = outcome.answer if outcome.answer is not None else shown
        if question is not None:
            st.session_state[widget_key(aid, item_id)] = _to_widget(question, stored.value if stored else None)
        why = outcome.message
        text = t("not_saved", why=tx(why) if hasattr(why, "zh") else str(why))
        if question is not None:
            text += " " + (t("restored_stored") if stored is not None and stored.value is not None else t("restored_empty"))
        messages[(aid, item_id)] = ("error", text)


def db_error_message(exc: Exception) -> str:
    """What a failed write means for the user, in their language: busy, read-only, or unavailable."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return t("db_busy")
    if "readonly" in text or "read-only" in text:
        return t("db_read_only")
    return t("db_unavailable")


def _when(ts: str) -> str:
    return local_time(ts)


def _save(ctx, item_id: str, value=None, na_reason=None) -> None:
    question = ctx["questionnaire"].questions.get(item_id)
    # Callbacks run in the next rerun's thread: take that thread's connection, never the render's.
    # What the user typed stays in the field when the write fails: they can try again.
    try:
        outcome = filling.save_item(ensure_ready(), ctx["identity"], ctx["questionnaire"], ctx["aid"], item_id,
                                    value, expected_rev=_seen().get((ctx["aid"], item_id), 0), na_reason=na_reason)
    except SessionEnded:
        # Nothing was stored. A callback cannot rerun itself: the rerun that follows shows sign-in,
        # with the notice, and returns here afterwards.
        end_local_session("not_saved_signed_out")
        return
    except ReadOnly:
        _messages()[(ctx["aid"], item_id)] = ("error", t("submitted_meanwhile"))
        return
    except (NotFound, AccessDenied):
        _messages()[(ctx["aid"], item_id)] = ("error", t("not_found"))
        return
    except DATABASE_ERRORS as exc:
        _messages()[(ctx["aid"], item_id)] = ("error", db_error_message(exc))
        return
    _apply_outcome(ctx["aid"], item_id, question, outcome, ctx["stored"].get(item_id))


@safe_callback
def _on_value_change(ctx, question: Question) -> None:
    key = widget_key(ctx["aid"], question.id)
    value = st.session_state.get(key)
    if question.type == "multiple_choice":
        value = _option_ids(question, value)
        st.session_state[key] = value
    if question.type == "multiple_choice" and value:
        exclusive = ctx["questionnaire"].exclusive_options.get(question.id)
        previous = ctx.get("previous", {}).get(question.id) or []
        if exclusive in value and len(value) > 1:
            # "none of these" just ticked clears the rest; ticking another option clears "none".
            value = [exclusive] if exclusive not in previous else [v for v in value if v != exclusive]
            st.session_state[key] = value
    _save(ctx, question.id, value)


@safe_callback
def _on_na_change(ctx, item_id: str) -> None:
    aid = ctx["aid"]
    if not st.session_state.get(na_key(aid, item_id)):
        st.session_state[reason_key(aid, item_id)] = ""
        question = ctx["questionnaire"].questions.get(item_id)
        stored = ctx["stored"].get(item_id)
        if stored is not None and stored.na_reason is not None:
            _save(ctx, item_id, None)
            if question is not None:
                st.session_state[widget_key(aid, item_id)] = _to_widget(question, None)


@safe_callback
def _on_reason_change(ctx, item_id: str) -> None:
    reason = (st.session_state.get(reason_key(ctx["aid"], item_id)) or "").strip()
    if reason:
        _save(ctx, item_id, na_reason=reason)


def render_section_na(ctx, section: Section, disabled: bool) -> bool:
    """The section's "not applicable" switch; returns True when the section is declared not applicable."""
    aid = ctx["aid"]
    sync_from_db(aid, section.id, None, ctx["stored"].get(section.id))
    st.checkbox(t("section_na"), key=na_key(aid, section.id), disabled=disabled,
                on_change=_on_na_change, args=(ctx, section.id))
    if st.session_state.get(na_key(aid, section.id)):
        st.text_input(t("na_reason"), key=reason_key(aid, section.id), disabled=disabled,
                      on_change=_on_reason_change, args=(ctx, section.id))
        _show_message(section.id, ctx, required_reason=True)
        stored = ctx["stored"].get(section.id)
        return stored is not None and stored.na_reason is not None
    _show_message(section.id, ctx)
    return False


def render_question(ctx, question: Question, number: int, disabled: bool) -> None:
    """One question: label, help, widget, not-applicable switch, evidence hint, save status."""
    aid, qid = ctx["aid"], question.id
    sync_from_db(aid, qid, question, ctx["stored"].get(qid))
    key = widget_key(aid, qid)
    if question.type == "multiple_choice":
        shown = st.session_state.get(key)
        ids = _option_ids(question, shown)
        if ids != shown or ctx.get("language_changed"):
            st.session_state[key] = ids  # also re-sends the labels in the new language to the browser
    label = f"{number}. {tx(question.text)}" + ("" if question.required else t("optional"))
    is_na = question.allow_na and st.session_state.get(na_key(aid, qid))
    common = dict(key=key, help=tx(question.help) or None, disabled=disabled or bool(is_na),
                  on_change=_on_value_change, args=(ctx, question))
    qt = question.type
    if qt == "single_choice":
        labels = {o.id: tx(o.label) for o in question.options}
        st.radio(label, question.option_ids, format_func=labels.get, **common)
    elif qt == "multiple_choice":
        labels = {o.id: tx(o.label) for o in question.options}
        # No "select all": it would tick exclusive options such as "none of these" or "office use only".
        st.multiselect(label, question.option_ids, format_func=labels.get, select_all=False,
                       placeholder=t("choose_many"), **common)
    elif qt == "scale4":
        st.radio(label, SCALE4, format_func=lambda v: _label(SCALE4_LABELS[v]), horizontal=True, **common)
    elif qt == "yes_no":
        st.radio(label, YES_NO, format_func=lambda v: _label(YES_NO_LABELS[v]), horizontal=True, **common)
    elif qt in ("integer", "decimal", "percentage"):
        unit = tx(question.unit) if question.unit else ("%" if qt == "percentage" else "")
        bounds = ""
        if question.min is not None and question.max is not None:
            bounds = t("range", lo=f"{question.min:g}", hi=f"{question.max:g}")
        elif question.min is not None:
            bounds = t("range_min", lo=f"{question.min:g}")
        elif question.max is not None:
            bounds = t("range_max", hi=f"{question.max:g}")
        if unit or bounds:
            opening, separator, closing = ("（", "；", "）") if lang() == "zh" else (" (", "; ", ")")
            label = f"{label}{opening}{unit}{separator if unit and bounds else ''}{bounds}{closing}"
        if qt == "integer":
            st.number_input(label, step=1, format="%d", **common)
        else:
            st.number_input(label, step=0.1, format="%.2f", **common)
    elif qt == "text":
        st.text_input(label, max_chars=question.max_length, **common)
    else:
        st.text_area(label, max_chars=question.max_length, **common)

    if question.allow_na:
        st.checkbox(t("na"), key=na_key(aid, qid), disabled=disabled, on_change=_on_na_change, args=(ctx, qid))
        if st.session_state.get(na_key(aid, qid)):
            st.text_input(t("na_reason"), key=reason_key(aid, qid), disabled=disabled,
                          on_change=_on_reason_change, args=(ctx, qid))
    if question.evidence:
        st.caption(t("evidence") + tx(question.evidence))
    render_item_note(ctx, qid)
    render_evidence_section(ctx, qid, disabled)
    _show_message(qid, ctx, required_reason=bool(is_na))


def _show_message(item_id: str, ctx, required_reason: bool = False) -> None:
    message = _messages().get((ctx["aid"], item_id))  # per assessment: items share ids
    stored = ctx["stored"].get(item_id)
    if message:
        getattr(st, message[0])(message[1])
    elif required_reason and (stored is None or stored.na_reason is None):
        st.warning(t("na_reason_needed"))
    elif stored is not None and (stored.value is not None or stored.na_reason is not None):
        st.caption("✓ " + t("saved_at", who=md_escape(stored.updated_by or ""), when=_when(stored.updated_at)))


def make_context(identity, questionnaire: Questionnaire, aid: int, stored: dict) -> dict:
    """What every callback needs; ``previous`` holds the answers as shown, to tell what was just ticked.

    On a language switch every widget is filled again from the database, so no answer shows blank
    or in the old language's labels.
    """
    language_changed = st.session_state.get("_fill_lang") not in (None, lang())
    if language_changed:
        st.session_state["_seen_rev"] = {}
    st.session_state["_fill_lang"] = lang()
    return {"identity": identity, "questionnaire": questionnaire, "aid": aid, "stored": stored,
            "previous": {k: v.value for k, v in stored.items()}, "language_changed": language_changed}
