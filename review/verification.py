"""Reviewing a submitted assessment: questionnaire rules applied to the review records of db/reviews.py.

No Streamlit here: pages and tests call these with the signed-in identity. Verified values are
checked like answers (questionnaires/answers.py); the verified score is the enterprise's answers
with the verified values substituted, scored by scoring.score.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import scoring
from db import reviews as store
from db.identity import Identity
from questionnaires.answers import normalise_value, value_problem
from questionnaires.model import SCALE4, YES_NO, Question, Questionnaire, Text

SCALE4_TEXT = {"not_met": Text("不满足", "Not met"), "partly_met": Text("部分满足", "Partly met"),
               "largely_met": Text("大部分满足", "Largely met"), "fully_met": Text("全部满足", "Fully met")}
YES_NO_TEXT = {"yes": Text("是", "Yes"), "no": Text("否", "No")}
NOT_AN_ITEM = Text("问卷中没有这一题", "no such question in this questionnaire")
VALUE_NEEDED = Text("请给出核验值", "give the verified value")
REASON_NEEDED = Text("调整核验值必须填写理由", "a reason is required to adjust a value")


def check_verified_value(questionnaire: Questionnaire, item_id: str, value: Any) -> tuple[Any, Text | None]:
    """(normalised value, problem) for a verified value of one question; problem None = acceptable."""
    question = questionnaire.questions.get(item_id)
    if question is None:
        return value, NOT_AN_ITEM
    value = normalise_value(question, value)
    if value is None:
        return value, VALUE_NEEDED
    return value, value_problem(question, value)


def save_item(db, identity: Identity, questionnaire: Questionnaire, assessment_id: int, item_id: str, *,
              action: str | None, value: Any = None, reason: str | None = None, comment: str | None = None,
              expected_rev: int) -> tuple[int | None, Text | None]:
    """Validate and store one review decision. Returns (new revision, None) or (None, problem); a refused
    decision changes nothing. Raises db.reviews.ReviewConflict when a colleague saved in between."""
    if item_id not in questionnaire.questions:
        return None, NOT_AN_ITEM
    if action == "adjust":
        if not (reason or "").strip():
            return None, REASON_NEEDED
        value, problem = check_verified_value(questionnaire, item_id, value)
        if problem is not None:
            return None, problem
    for text, limit in ((reason, store.MAX_REASON), (comment, store.MAX_COMMENT)):
        if text is not None and len(" ".join(str(text).split())) > limit:
            return None, Text(f"不能超过 {limit} 个字符", f"at most {limit} characters")
    rev = store.save_item(db, identity, assessment_id, item_id, action=action, verified_value=value, reason=reason,
                          comment=comment, expected_rev=expected_rev)
    return rev, None


def substituted(answers: dict, na: dict, adjustments: dict) -> tuple[dict, dict]:
    """The answers with the verified values in place of the enterprise's (an adjusted item is no longer N/A)."""
    answers, na = dict(answers), dict(na)
    for item, value in adjustments.items():
        answers[item] = value
        na.pop(item, None)
    return answers, na


def verified_result(questionnaire: Questionnaire, answers: dict, na: dict, adjustments: dict) -> dict:
    """The result of the answers with the verified values substituted (the live preview and the stored one)."""
    if questionnaire.scoring is None:
        return {"method": "none", "scoring_version": "none", "score": None, "level": None}
    return scoring.score(questionnaire, *substituted(answers, na, adjustments))


def verify(db, identity: Identity, questionnaire: Questionnaire, assessment_id: int, *,
           overall_comment: str | None, expected_rev: int) -> dict:
    """Store the verified result and lock the assessment (see db.reviews.verify)."""
    return store.verify(db, identity, assessment_id,
                        lambda answers, na, adj: verified_result(questionnaire, answers, na, adj),
                        overall_comment=overall_comment, expected_rev=expected_rev)


def answer_text(question: Question, value: Any, lang: str = "zh") -> str:
    """An answer as the reader reads it: option labels, not ids; numbers with their unit."""
    if value is None:
        return ""
    if question.type == "scale4" and value in SCALE4:
        return SCALE4_TEXT[value].get(lang)
    if question.type == "yes_no" and value in YES_NO:
        return YES_NO_TEXT[value].get(lang)
    if question.type in ("single_choice", "multiple_choice"):
        ids = value if isinstance(value, list) else [value]
        labels = [question.option(v).label.get(lang) if question.option(v) else str(v) for v in ids]
        return "、".join(labels) if lang == "zh" else ", ".join(labels)
    if question.type in ("integer", "decimal", "percentage"):
        unit = question.unit.get(lang) if question.unit else ("%" if question.type == "percentage" else "")
        return f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"
    return str(value)


def subdomain_differences(rows: list[dict]) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """Mean (self − verified) score per (questionnaire id, sub-domain) over verified assessments, and how many.

    Positive = enterprises rate themselves higher than the provider. Exact (Decimal) averages;
    sub-domains without a score on either side are left out.
    """
    sums: dict[tuple[str, str], list] = defaultdict(lambda: [Decimal(0), 0])
    for r in rows:
        own, checked = r["self_detail"].get("subdomains") or {}, r["verified_detail"].get("subdomains") or {}
        for sd, entry in own.items():
            a, b = entry.get("score"), (checked.get(sd) or {}).get("score")
            if a is None or b is None:
                continue
            cell = sums[(r["questionnaire_id"], sd)]
            cell[0] += Decimal(str(a)) - Decimal(str(b))
            cell[1] += 1
    return {k: (total / n, n) for k, (total, n) in sums.items() if n}
