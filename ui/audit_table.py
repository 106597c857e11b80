"""The audit log as a table in the reader's language: Chinese action and record names, readable values."""

from __future__ import annotations

import json

import pandas as pd

from questionnaires import registry
from ui.common import status_label
from ui.i18n import STRINGS, t, tx
from ui.text import local_time

# Keys that appear in the old/new values, shown in the reader's language (others as stored).
VALUE_KEYS = {
    "provider": ("服务商", "provider"), "provider_id": ("服务商编号", "provider id"),
    "enterprise_id": ("企业编号", "enterprise id"), "item": ("题目", "item"), "file": ("文件", "file"),
    "size": ("大小（字节）", "size (bytes)"), "sha256": ("校验值", "SHA-256"), "username": ("用户名", "username"),
    "role": ("角色", "role"), "active": ("启用", "active"), "must_change_password": ("须修改密码", "must change password"),
    "questionnaire": ("问卷", "questionnaire"), "version": ("版本", "version"), "answers": ("已答题数", "answers"),
    "status": ("状态", "status"), "name": ("名称", "name"), "credit_code": ("统一社会信用代码", "credit code"),
    "district": ("区县", "district"), "industry_code": ("行业大类", "industry"), "contact_name": ("联系人", "contact"),
    "contact_phone": ("联系电话", "phone"), "employees": ("从业人员", "employees"),
    "revenue_wan": ("主营业务收入（万元）", "revenue (10,000 yuan)"), "production_type": ("生产类型", "production type"),
    "above_scale": ("规模以上", "above scale"), "year": ("年度", "year"), "value": ("值", "value"),
    "score": ("得分", "score"), "level": ("等级", "level"), "outcome": ("结论", "outcome"),
    "scoring_version": ("评分版本", "scoring version"), "from": ("来源评估", "from assessment"),
    "prefilled_from": ("沿用自评估", "pre-filled from"), "items": ("题数", "items"), "sections": ("部分", "sections"),
    "section": ("部分", "section"), "rows": ("行数", "rows"), "skipped_invalid_rows": ("跳过的无效行", "skipped rows"),
}


def _value(key: str, value, lang: str) -> str:
    """Stored codes shown as words: statuses, roles, questionnaires."""
    if key == "status" and isinstance(value, str):
        return status_label(value).strip()
    if key == "role" and isinstance(value, str) and f"role_{value}" in STRINGS:
        return t(f"role_{value}")
    if key == "questionnaire" and isinstance(value, str):
        try:
            return tx(registry.latest(value).title)
        except (KeyError, ValueError):
            return value
    return _scalar(value, lang)


def action_label(action: str) -> str:
    key = f"action_{action}"
    return t(key) if key in STRINGS else t("action_other")


def entity_label(entity: str) -> str:
    key = f"entity_{entity}"
    return t(key) if key in STRINGS else t("entity_other")


def _scalar(value, lang: str) -> str:
    if value is True:
        return "是" if lang == "zh" else "yes"
    if value is False:
        return "否" if lang == "zh" else "no"
    if value is None:
        return "—"
    return str(value)


def value_text(stored: str | None, lang: str) -> str:
    """A stored JSON value as 'key: value; …' with keys in the reader's language."""
    if not stored:
        return ""
    try:
        value = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(value, dict):
        return _scalar(value, lang)
    colon, sep = ("：", "；") if lang == "zh" else (": ", "; ")
    parts = []
    for key, v in value.items():
        label = VALUE_KEYS.get(key)
        name = (label[1] if lang == "en" else label[0]) if label else key
        parts.append(f"{name}{colon}{_value(key, v, lang)}")
    return sep.join(parts)


def audit_frame(rows: list[dict], lang: str) -> pd.DataFrame:
    """The rows of db.audit.query as the table the page shows and exports."""
    return pd.DataFrame([{
        t("col_when"): local_time(r["at"]),
        t("col_who"): r["who"] or t("audit_system"),
        t("col_action"): action_label(r["action"]),
        t("col_entity"): f"{entity_label(r['entity'])} {r['entity_id'] or ''}".strip(),
        t("col_old"): value_text(r["old"], lang),
        t("col_new_value"): value_text(r["new"], lang),
        t("col_reason"): r["reason"] or "",
    } for r in rows], columns=[t("col_when"), t("col_who"), t("col_action"), t("col_entity"), t("col_old"),
                               t("col_new_value"), t("col_reason")])
