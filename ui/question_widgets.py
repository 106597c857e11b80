"""One widget per question, saved to the database the moment the answer is given.

Each widget's state is synchronised from the database whenever the stored revision of its
item differs from the one this browser session last saw (a colleague's change, a fresh
session after a refresh). A change goes to the database in the widget's callback with the
revision the user saw, so a colleague's newer answer is never silently overwritten.
"""

from __future__ import annotations

import streamlit as st

import filling
from auth import end_local_session
from bootstrap import ensure_ready
from db.assessments import StoredAnswer
from db.identity import SessionEnded
from i18n import lang, t, tx
from questionnaires.model import SCALE4, YES_NO, Question, Questionnaire, Section

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


def sync_from_db(aid: int, item_id: str, question: Question | None, stored: StoredAnswer | None) -> None:
    """Put the stored answer into the widget state when this session has not seen its revision."""
    rev = stored.rev if stored else 0
    seen = _seen()
    key = (aid, item_id)
    if seen.get(key) == rev and widget_key(aid, item_id) in st.session_state:
        return
    value = stored.value if stored else None
    reason = stored.na_reason if stored else None
    if question is not None:
        st.session_state[widget_key(aid, item_id)] = _to_widget(question, value)
    st.session_state[na_key(aid, item_id)] = reason is not None
    st.session_state[reason_key(aid, item_id)] = reason or ""
    seen[key] = rev


def _apply_outcome(aid: int, item_id: str, question: Question | None, outcome) -> None:
    seen, messages = _seen(), _messages()
    if outcome.status in ("saved", "unchanged"):
        seen[(aid, item_id)] = outcome.answer.rev
        messages.pop(item_id, None)
    elif outcome.status == "conflict":
        current = outcome.answer
        seen[(aid, item_id)] = current.rev if current else 0
        if question is not None:
            st.session_state[widget_key(aid, item_id)] = _to_widget(question, current.value if current else None)
        st.session_state[na_key(aid, item_id)] = bool(current and current.na_reason is not None)
        st.session_state[reason_key(aid, item_id)] = (current.na_reason if current else "") or ""
        messages[item_id] = ("warning", t("conflict", who=current.updated_by if current else "?",
                                          when=_when(current.updated_at) if current else ""))
    else:
        why = outcome.message
        messages[item_id] = ("error", t("not_saved", why=tx(why) if hasattr(why, "zh") else str(why)))


def _when(ts: str) -> str:
    return ts[:19].replace("T", " ") + " UTC" if ts else ""


def _save(ctx, item_id: str, value=None, na_reason=None) -> None:
    question = ctx["questionnaire"].questions.get(item_id)
    # Callbacks run in the next rerun's thread: take that thread's connection, never the render's.
    try:
        outcome = filling.save_item(ensure_ready(), ctx["identity"], ctx["questionnaire"], ctx["aid"], item_id, value,
                                    expected_rev=_seen().get((ctx["aid"], item_id), 0), na_reason=na_reason)
    except SessionEnded:
        # Nothing was stored. A callback cannot rerun itself: the rerun that follows shows sign-in,
        # with the notice, and returns here afterwards.
        end_local_session("not_saved_signed_out")
        return
    _apply_outcome(ctx["aid"], item_id, question, outcome)


def _on_value_change(ctx, question: Question) -> None:
    key = widget_key(ctx["aid"], question.id)
    value = st.session_state.get(key)
    if question.type == "multiple_choice" and value:
        exclusive = ctx["questionnaire"].exclusive_options.get(question.id)
        previous = ctx.get("previous", {}).get(question.id) or []
        if exclusive in value and len(value) > 1:
            # "none of these" just ticked clears the rest; ticking another option clears "none".
            value = [exclusive] if exclusive not in previous else [v for v in value if v != exclusive]
            st.session_state[key] = value
    _save(ctx, question.id, value)


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
    label = f"{number}. {tx(question.text)}" + ("" if question.required else (" （选填）" if lang() == "zh" else " (optional)"))
    is_na = question.allow_na and st.session_state.get(na_key(aid, qid))
    common = dict(key=key, help=tx(question.help) or None, disabled=disabled or bool(is_na),
                  on_change=_on_value_change, args=(ctx, question))
    qt = question.type
    if qt == "single_choice":
        labels = {o.id: tx(o.label) for o in question.options}
        st.radio(label, question.option_ids, format_func=labels.get, **common)
    elif qt == "multiple_choice":
        labels = {o.id: tx(o.label) for o in question.options}
        st.multiselect(label, question.option_ids, format_func=labels.get,
                       placeholder="请选择（可多选）" if lang() == "zh" else "Choose one or more", **common)
    elif qt == "scale4":
        st.radio(label, SCALE4, format_func=lambda v: _label(SCALE4_LABELS[v]), horizontal=True, **common)
    elif qt == "yes_no":
        st.radio(label, YES_NO, format_func=lambda v: _label(YES_NO_LABELS[v]), horizontal=True, **common)
    elif qt in ("integer", "decimal", "percentage"):
        unit = tx(question.unit) if question.unit else ("%" if qt == "percentage" else "")
        bounds = ""
        if question.min is not None or question.max is not None:
            lo = "" if question.min is None else f"{question.min:g}"
            hi = "" if question.max is None else f"{question.max:g}"
            bounds = t("range", lo=lo, hi=hi)
        if unit or bounds:
            label = f"{label} （{unit}{'；' if unit and bounds else ''}{bounds}）"
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
    _show_message(qid, ctx, required_reason=bool(is_na))


def _show_message(item_id: str, ctx, required_reason: bool = False) -> None:
    message = _messages().get(item_id)
    stored = ctx["stored"].get(item_id)
    if message:
        getattr(st, message[0])(message[1])
    elif required_reason and (stored is None or stored.na_reason is None):
        st.warning(t("na_reason_needed"))
    elif stored is not None and (stored.value is not None or stored.na_reason is not None):
        st.caption("✓ " + t("saved_at", who=stored.updated_by or "", when=_when(stored.updated_at)))


def make_context(identity, questionnaire: Questionnaire, aid: int, stored: dict) -> dict:
    """What every callback needs; ``previous`` holds the answers as shown, to tell what was just ticked."""
    return {"identity": identity, "questionnaire": questionnaire, "aid": aid, "stored": stored,
            "previous": {k: v.value for k, v in stored.items()}}
