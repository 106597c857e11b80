"""Evidence files in the page: the list with downloads (for every role that may open them) and,
on the fill page while the assessment is open, an uploader and delete buttons."""

from __future__ import annotations

import streamlit as st

from auth import end_local_session
from bootstrap import ensure_ready
from db.assessments import ReadOnly
from db.evidence import attach, delete_evidence, evidence_for_item, open_evidence
from db.identity import AccessDenied, NotFound, SessionEnded
from evidence.content import ACCEPTED_EXTENSIONS, EvidenceRefused, max_bytes
from i18n import t, tx
from ui.errors import safe_callback
from ui.text import local_time, md_escape


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{max(1, round(n / 1024))} KB"


def _nonce_key(aid: int, item_id: str) -> str:
    return f"evn:{aid}:{item_id}"


def _message_key(aid: int, item_id: str) -> str:
    return f"evm:{aid}:{item_id}"


def _loader(identity, evidence_id: int):
    """Bytes fetched only when the button is pressed, after the access check (in the download thread)."""
    def load() -> bytes:
        _, data = open_evidence(ensure_ready(), identity, evidence_id)
        return data
    return load


def render_evidence_list(db, identity, assessment_id: int, item_id: str, *, allow_delete: bool = False) -> None:
    """The files attached to an item, each with a download button; nothing if none or not allowed."""
    try:
        files = evidence_for_item(db, identity, assessment_id, item_id)
    except NotFound:
        return
    for f in files:
        cols = st.columns([6, 2, 1] if allow_delete else [6, 2])
        cols[0].markdown(f"📎 {md_escape(f['filename'])}  \n"
                         f":gray[{_size(f['size'])} · {local_time(f['uploaded_at'])} · {md_escape(f['uploaded_by_name'])}]")
        cols[1].download_button(t("evidence_download"), data=_loader(identity, f["id"]), file_name=f["filename"],
                                mime=f["mime"], key=f"evd:{f['id']}", on_click="ignore")
        if allow_delete:
            cols[2].button(t("evidence_delete"), key=f"evx:{f['id']}", on_click=_on_delete,
                           args=(identity, assessment_id, item_id, f["id"], f["filename"]))


@safe_callback
def _on_delete(identity, assessment_id: int, item_id: str, evidence_id: int, filename: str) -> None:
    try:
        delete_evidence(ensure_ready(), identity, evidence_id)
    except SessionEnded:
        end_local_session("not_saved_signed_out")
        return
    except (NotFound, AccessDenied, ReadOnly):
        st.session_state[_message_key(assessment_id, item_id)] = ("error", t("evidence_not_allowed"))
        return
    st.session_state[_message_key(assessment_id, item_id)] = ("success", t("evidence_deleted", name=md_escape(filename)))


@safe_callback
def _on_upload(identity, assessment_id: int, item_id: str, key: str) -> None:
    upload = st.session_state.get(key)
    if upload is None:
        return
    uploads = upload if isinstance(upload, list) else [upload]
    messages = []
    for one in uploads:
        try:
            attach(ensure_ready(), identity, assessment_id, item_id, one.name, one.getvalue())
        except SessionEnded:
            end_local_session("not_saved_signed_out")
            return
        except EvidenceRefused as exc:
            messages.append(("error", tx(exc.text)))
        except (NotFound, AccessDenied, ReadOnly):
            messages.append(("error", t("evidence_not_allowed")))
        else:
            messages.append(("success", t("evidence_saved", name=md_escape(one.name))))
    worst = "error" if any(kind == "error" for kind, _ in messages) else "success"
    st.session_state[_message_key(assessment_id, item_id)] = (worst, "  \n".join(m for _, m in messages))
    nonce = _nonce_key(assessment_id, item_id)
    st.session_state[nonce] = st.session_state.get(nonce, 0) + 1  # a fresh, empty uploader


def render_evidence_section(ctx, item_id: str, disabled: bool) -> None:
    """On the fill page: the item's files, and while the assessment is open an uploader and delete buttons."""
    identity, aid = ctx["identity"], ctx["aid"]
    db = ensure_ready()
    render_evidence_list(db, identity, aid, item_id, allow_delete=not disabled)
    message = st.session_state.pop(_message_key(aid, item_id), None)
    if message:
        (st.error if message[0] == "error" else st.success)(message[1])
    if disabled:
        return
    key = f"evu:{aid}:{item_id}:{st.session_state.get(_nonce_key(aid, item_id), 0)}"
    st.file_uploader(t("evidence_upload", mb=max_bytes() // 1048576), type=ACCEPTED_EXTENSIONS,
                     accept_multiple_files=True, key=key, on_change=_on_upload, args=(identity, aid, item_id, key))
