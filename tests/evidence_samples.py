"""Small, genuine sample files of each accepted kind (and look-alikes) for the evidence tests."""

from __future__ import annotations

import io
import zipfile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def ooxml(kind: str, macro: bool = False) -> bytes:
    main = {"docx": "wordprocessingml.document", "xlsx": "spreadsheetml.sheet",
            "pptx": "presentationml.presentation"}[kind]
    content_type = (f"application/vnd.ms-{kind[:4]}.{'document' if kind == 'docx' else 'sheet'}.macroEnabled.main+xml"
                    if macro else f"application/vnd.openxmlformats-officedocument.{main}.main+xml")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                         f'content-types"><Override PartName="/main.xml" ContentType="{content_type}"/></Types>')
        archive.writestr("main.xml", "<x/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()
