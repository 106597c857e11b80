"""Evidence files in the page: the list with downloads (for every role that may open them) and,
on the fill page while the assessment is open, an uploader and delete buttons."""

from __future__ import annotations

import json

import streamlit as st

from accounts.auth import end_local_session
from db.assessments import ReadOnly
from db.evidence import attach, delete_evidence, evidence_for_item, open_evidence
from db.identity import AccessDenied, NotFound, SessionEnded
from evidence.content import EvidenceRefused, max_bytes
from startup.bootstrap import ensure_ready
from ui.errors import safe_callback
from ui.i18n import t, tx
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
        cols = st.columns([5, 2, 2] if allow_delete else [5, 2])
        cols[0].markdown(f":material/attach_file: {md_escape(f['filename'])}  \n"
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
            messages.append(("error", md_escape(tx(exc.text))))  # names the file: user text
        except (NotFound, AccessDenied, ReadOnly):
            messages.append(("error", t("evidence_not_allowed")))
        else:
            messages.append(("success", t("evidence_saved", name=md_escape(one.name))))
    worst = "error" if any(kind == "error" for kind, _ in messages) else "success"
    st.session_state[_message_key(assessment_id, item_id)] = (worst, "  \n".join(m for _, m in messages))
    nonce = _nonce_key(assessment_id, item_id)
    st.session_state[nonce] = st.session_state.get(nonce, 0) + 1  # a fresh, empty uploader


def localise_uploaders() -> None:
    """Streamlit's drop zone says "Upload" and "50MB per file" in English whatever the page language;
    cover both with the page's own words (CSS only: no script, nothing else on the page changes)."""
    note = json.dumps(t("evidence_dropzone", mb=max_bytes() // 1048576),
                      ensure_ascii=False)
    button = json.dumps(t("evidence_choose"), ensure_ascii=False)
    st.html(f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] > * {{ visibility: hidden; }}
[data-testid="stFileUploaderDropzoneInstructions"] {{ position: relative; }}
[data-testid="stFileUploaderDropzoneInstructions"]::after {{ content: {note}; position: absolute; left: 0;
  top: 50%; transform: translateY(-50%); font-size: 0.875rem; opacity: 0.7; }}
[data-testid="stFileUploaderDropzone"] button, [data-testid="stFileUploaderDropzone"] button * {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button svg {{ width: 1rem; height: 1rem; }}
[data-testid="stFileUploaderDropzone"] button::after {{ content: {button}; font-size: 0.875rem; }}
</style>""")


def render_evidence_section(ctx, item_id: str, disabled: bool) -> None:
    """On the fill page: the item's files, and while the assessment is open an uploader and delete buttons."""
    identity, aid = ctx["identity"], ctx["aid"]
    if not disabled and not ctx.get("_uploader_words"):
        ctx["_uploader_words"] = True  # once per page run (ctx is made anew each run)
        localise_uploaders()
    db = ensure_ready()
    render_evidence_list(db, identity, aid, item_id, allow_delete=not disabled)
    message = st.session_state.pop(_message_key(aid, item_id), None)
    if message:
        (st.error if message[0] == "error" else st.success)(message[1])
    if disabled:
        return
    key = f"evu:{aid}:{item_id}:{st.session_state.get(_nonce_key(aid, item_id), 0)}"
    # No type= filter: Streamlit would refuse other names itself, in English; our check says why in Chinese.
    st.file_uploader(t("evidence_upload", mb=max_bytes() // 1048576),
                     accept_multiple_files=True, key=key, on_change=_on_upload, args=(identity, aid, item_id, key))
