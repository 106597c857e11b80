"""Collect every visible string of an AppTest run and find English words on a Chinese page.

Used by tests/test_chinese.py. "Visible" means: text fields of each element's protobuf (labels,
bodies, options, help, placeholders...), the headers and cells of data frames, and the titles
and field names of charts (their tooltips show them).
"""

from __future__ import annotations

import json
import re

from google.protobuf.message import Message

# Proto fields that are ids or settings, never shown as text.
HIDDEN_FIELDS = {"id", "form_id", "type", "tag", "raw_value", "page_script_hash", "url", "icon", "language",
                 "spec", "data", "theme", "element_type", "fragment_id", "script_hash", "key", "color",
                 "default", "value", "set_value", "format", "step", "min", "max", "use_container_width",
                 "width", "height", "vega_lite_theme", "selection_mode", "page", "query_string", "autocomplete",
                 "label_visibility", "filter_mode", "column_config", "editing_mode", "dialog_dismissible",
                 "datasets"}

# ASCII words allowed on a Chinese page: standard names, acronyms the industry uses in Chinese
# text, units, and web addresses. Anything else of 3+ letters is untranslated text.
ALLOWED = {
    "GB", "ERP", "MES", "PLM", "SCADA", "APP", "APPs", "SaaS", "PaaS", "IaaS", "WMS", "APS", "CRM", "SRM", "MOM",
    "PDM", "DCS", "PLC", "OPC", "IoT", "AGV", "CAD", "CAE", "CAM", "CAPP", "MRO", "QMS", "EMS", "LIMS", "IPv",
    "LAN", "WAN", "NB", "VPN", "SDN", "TSN", "OT", "IT", "AI", "BIM", "OA", "EAM", "TPM", "KPI", "OEE", "SPC",
    "ISO", "IEC", "CMMM", "DCMM", "Wi", "Fi", "www", "cn", "com", "https", "http", "c3mep", "pdf", "PDF",
    "Excel", "WPS", "CSV", "XLSX", "HMI", "RFID", "MQTT", "PON", "EPON", "GPON", "NC", "CNC", "DNC", "QR",
    "SCM", "TMS", "LES", "CPS", "DT", "GIS", "HR", "BI", "ETL", "API", "SQL", "UTC", "kWh", "MW", "kW",
    "ERR", "GBT", "SME", "EDI", "ESB", "Modbus", "Profibus", "QoS", "MRP", "VMI", "GPS",
}
# Whole alphabetic tokens only: codes mixing letters and digits (ent1, zibo2025, IPv6) are identifiers.
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{3,}(?![A-Za-z0-9])")
CODE_SPAN = re.compile(r"`[^`]*`")  # inline code: a value to type verbatim (a user name), not prose
LINK_TARGET = re.compile(r"\]\([^)]*\)")
WEB_ADDRESS = re.compile(r"(?:https?://)?www\.[\w.-]+")
# Streamlit's Markdown directives (":blue-badge[自评]", ":material/check:") are markup, not words.
ST_DIRECTIVE = re.compile(r":material/[a-z_]+:|:[a-z]+(?:-[a-z]+)*\[")
FILE_NAME = re.compile(r"[\w./-]+\.(?:yaml|md|py|pdf|xlsx|csv)\b")


def _proto_strings(message: Message, out: list[str]) -> None:
    for field, value in message.ListFields():
        if field.name in HIDDEN_FIELDS:
            continue
        items = value if isinstance(value, (list, tuple)) or hasattr(value, "extend") else [value]
        for item in items:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Message):
                _proto_strings(item, out)


# Encoding channels whose field name never reaches the reader (no axis, legend or tooltip of their own).
UNSHOWN_CHANNELS = {"order", "detail", "key", "href", "text", "description", "url"}


def _chart_strings(spec: str, out: list[str]) -> None:
    # An axis, legend or tooltip shows its title, or the field name when it has none.
    def walk(node, channel=None):
        if isinstance(node, dict):
            hidden = channel in UNSHOWN_CHANNELS or ("legend" in node and node["legend"] is None
                                                      and "axis" not in node) or ("axis" in node and node["axis"] is None)
            if isinstance(node.get("field"), str) and not hidden:
                title = node.get("title", node["field"])
                if isinstance(title, str):
                    out.append(title)
            for k, v in node.items():
                if k == "title" and isinstance(v, str) and "field" not in node:
                    out.append(v)
                elif k not in ("data", "datasets"):
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, channel)
    walk(json.loads(spec))


def _only_style(body: str) -> bool:
    body = (body or "").strip()
    return body.startswith("<style>") and body.endswith("</style>") and body.count("<style>") == 1


def visible_strings(at) -> list[str]:
    """Every string a user could read on the rendered page (main area and sidebar)."""
    out: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if str(getattr(proto, "id", "")).endswith("-lang"):
            pass  # the language switch reads "语言 / Language · 中文 · English" on purpose: findable by both
        elif kind == "html" and _only_style(getattr(proto, "body", "")):
            pass  # a style sheet (e.g. ui/evidence.localise_uploaders) is never shown as text
        elif kind == "code":
            pass  # a command to type verbatim (e.g. `python manage.py publish FILE`), not prose
        elif kind in ("dataframe", "arrow_data_frame", "table"):
            frame = node.value
            out.extend(str(c) for c in frame.columns)
            out.extend(str(v) for v in frame.astype(str).to_numpy().ravel())
        elif isinstance(proto, Message):
            if hasattr(proto, "spec") and isinstance(getattr(proto, "spec", None), str) and proto.spec:
                _chart_strings(proto.spec, out)
            _proto_strings(proto, out)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def english_words(strings: list[str], also_allowed: set[str] = frozenset()) -> list[tuple[str, str]]:
    """(word, the string it is in) for each ASCII word of 3+ letters that is not allowed."""
    found = []
    for s in strings:
        text = WEB_ADDRESS.sub(" ", FILE_NAME.sub(" ", CODE_SPAN.sub(" ", LINK_TARGET.sub("]", ST_DIRECTIVE.sub(" ", s)))))
        for word in WORD.findall(text):
            if word not in ALLOWED and word not in also_allowed:
                found.append((word, s[:80]))
    return found


# Drawn only from a colour-emoji font: pictographs outside the BMP, and the BMP ones whose default presentation is
# emoji. A PC without such a font (a plain Debian desktop, many locked-down office PCs) shows an empty box.
_EMOJI_ONLY = re.compile("[\U0001F000-\U0001FAFF\u2705\u231A\u231B\u23E9-\u23F3\u274C\u2753-\u2755\u2757\u2B50\u2B55]")


def emoji_only_characters(strings: list[str]) -> list[tuple[str, str]]:
    """(character, the string it stands in) for every character that needs an emoji font to be seen."""
    return [(ch, s) for s in strings for ch in _EMOJI_ONLY.findall(s)]
