"""Decide what an uploaded evidence file is by its bytes, not its name, and make its name safe to show.

Accepted kinds: PDF, PNG, JPEG, Office Open XML (docx, xlsx, pptx: a zip whose
[Content_Types].xml names the matching main part; macro-enabled variants are refused) and the
legacy OLE formats (doc, xls, ppt). The file name's extension must agree with the content, so a
PDF called "report.exe" or a ZIP renamed "photo.png" is refused.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from questionnaires.model import Text

DEFAULT_MAX_MB = 20
MAX_NAME_CHARS = 120

# kind -> (accepted extensions, MIME type for downloads)
KINDS = {
    "pdf": ({".pdf"}, "application/pdf"),
    "png": ({".png"}, "image/png"),
    "jpeg": ({".jpg", ".jpeg"}, "image/jpeg"),
    "docx": ({".docx"}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ({".xlsx"}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ({".pptx"}, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "ole": ({".doc", ".xls", ".ppt"}, "application/octet-stream"),
}
ACCEPTED_EXTENSIONS = sorted({ext.lstrip(".") for exts, _ in KINDS.values() for ext in exts})
_OOXML_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTENT_TYPES_LIMIT = 1_000_000  # bytes of [Content_Types].xml we are willing to inflate
_UNSAFE_NAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


class EvidenceRefused(ValueError):
    """An upload that is not stored; ``text`` says why in both languages."""

    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    mime: str
    name: str  # sanitised, for display and download


def _label(kind: str) -> str:
    return "Office 97-2003" if kind == "ole" else kind.upper()


def max_bytes() -> int:
    """Largest accepted evidence file in bytes ($ZB_EVIDENCE_MAX_MB, default 20 MB)."""
    return int(float(os.environ.get("ZB_EVIDENCE_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024)


def _ooxml_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_LIMIT:
                return None
            types = archive.read(info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    for kind, main in _OOXML_MAIN.items():
        if main in types:
            return kind
    return None  # macro-enabled (docm, xlsm...) and any other zip


def sniff(data: bytes) -> str | None:
    """The kind of file the bytes are (a key of KINDS), or None if it is none we accept."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_OLE_MAGIC):
        return "ole"
    if data.startswith(b"PK\x03\x04"):
        return _ooxml_kind(data)
    return None


def safe_name(filename: str) -> str:
    """The file name as we show and offer it: last path part only, no control or reserved characters,
    no leading dots, at most MAX_NAME_CHARS characters (extension kept)."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split()).lstrip(". ")
    stem, ext = os.path.splitext(name)
    if len(name) > MAX_NAME_CHARS:
        name = stem[: MAX_NAME_CHARS - len(ext)] + ext
    return name


def check_upload(filename: str, data: bytes) -> CheckedFile:
    """Accept an upload or raise EvidenceRefused with a message naming what is wrong."""
    limit = max_bytes()
    if len(data) > limit:
        raise EvidenceRefused(Text(
            f"文件“{safe_name(filename)}”过大（{len(data) / 1048576:.1f} MB），单个证明材料不能超过 {limit // 1048576} MB。",
            f"The file {safe_name(filename)!r} is too large ({len(data) / 1048576:.1f} MB); "
            f"the limit is {limit // 1048576} MB."))
    if not data:
        raise EvidenceRefused(Text("文件为空，未保存。", "The file is empty; nothing was stored."))
    name = safe_name(filename)
    ext = os.path.splitext(name)[1].lower()
    if not name or not os.path.splitext(name)[0] or not ext:
        raise EvidenceRefused(Text("文件名无效：应有文件名和扩展名（如 报告.pdf）。",
                                   "Invalid file name: it needs a name and an extension (report.pdf)."))
    kind = sniff(data)
    accepted = "、".join(ACCEPTED_EXTENSIONS)
    if kind is None:
        raise EvidenceRefused(Text(
            f"文件“{name}”的内容不是可接受的类型（仅接受 PDF、PNG/JPEG 图片和 Office 文档：{accepted}），未保存。",
            f"The content of {name!r} is not an accepted type (PDF, PNG/JPEG images, Office documents: "
            f"{', '.join(ACCEPTED_EXTENSIONS)}); nothing was stored."))
    extensions, mime = KINDS[kind]
    if ext not in extensions:
        raise EvidenceRefused(Text(
            f"文件“{name}”的扩展名与内容不符（内容为 {_label(kind)}，应使用 {'、'.join(sorted(extensions))}），未保存。",
            f"The extension of {name!r} does not match its content ({_label(kind)}; use "
            f"{', '.join(sorted(extensions))}); nothing was stored."))
    return CheckedFile(kind=kind, mime=mime, name=name)
