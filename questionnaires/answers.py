"""Answer values: type and bound validation, consistency checks, completeness."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.conditions import evaluate, visibility
from questionnaires.model import SCALE4, YES_NO, Question, Questionnaire, Text


@dataclass(frozen=True)
class Problem:
    """Something in the answers that stops a submission, located by section and item."""

    section_id: str
    item_id: str
    code: str  # "missing", "na_reason", "invalid", "check"
    message: Text


def _t(zh: str, en: str) -> Text:
    return Text(zh, en)


def _fmt(n) -> str:
    return f"{n:g}" if isinstance(n, float) else str(n)


def value_problem(question: Question, value: Any) -> Text | None:
    """Why ``value`` is not a valid answer to ``question`` (None = valid; None value = cleared)."""
    if value is None:
        return None
    qt = question.type
    if qt == "single_choice":
        if value not in question.option_ids:
            return _t(f"「{value}」不是本题的选项", f"{value!r} is not an option of this question")
    elif qt == "multiple_choice":
        if not isinstance(value, list) or any(v not in question.option_ids for v in value):
            return _t("包含本题没有的选项", "contains an option this question does not have")
        if len(set(value)) != len(value):
            return _t("同一选项选了两次", "an option is ticked twice")
        exclusive = next((o.id for o in question.options if o.exclusive), None)
        if exclusive in value and len(value) > 1:
            label = question.option(exclusive).label
            return _t(f"「{label.zh}」不能与其他选项同时选择", f"'{label.get('en')}' cannot be combined with other options")
    elif qt == "scale4":
        if value not in SCALE4:
            return _t("请选择满足程度", "choose how far the requirement is met")
    elif qt == "yes_no":
        if value not in YES_NO:
            return _t("请选择“是”或“否”", "choose yes or no")
    elif qt in ("integer", "decimal", "percentage"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _t("请输入数字", "enter a number")
        if qt == "integer" and not float(value).is_integer():
            return _t("请输入整数", "enter a whole number")
        unit = question.unit.zh if question.unit else ("%" if qt == "percentage" else "")
        unit_en = question.unit.get("en") if question.unit else ("%" if qt == "percentage" else "")
        if question.min is not None and value < question.min:
            return _t(f"不能小于 {_fmt(question.min)}{unit}", f"must be at least {_fmt(question.min)}{unit_en}")
        if question.max is not None and value > question.max:
            return _t(f"不能大于 {_fmt(question.max)}{unit}", f"must be at most {_fmt(question.max)}{unit_en}")
    elif qt in ("text", "long_text"):
        if not isinstance(value, str):
            return _t("请输入文字", "enter text")
        if question.max_length and len(value) > question.max_length:
            return _t(f"不能超过 {question.max_length} 个字符（当前 {len(value)}）",
                      f"at most {question.max_length} characters (now {len(value)})")
    return None


def normalise_value(question: Question, value: Any) -> Any:
    """Canonical stored form: integers as int, empty text/list as None (cleared)."""
    if value is None:
        return None
    if question.type in ("text", "long_text"):
        value = value.strip() if isinstance(value, str) else value
        return value or None
    if question.type == "multiple_choice":
        if not value:
            return None
        order = question.option_ids
        return sorted(value, key=lambda v: order.index(v) if v in order else len(order))
    if question.type == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def failed_checks(questionnaire: Questionnaire, answers: Mapping[str, Any], na: Mapping[str, str] = ()) -> list:
    """Checks that fail on the effective answers; a check with an unanswered question is skipped."""
    effective = visibility(questionnaire, answers, na).effective
    failed = []
    for check in questionnaire.checks:
        if all(q in effective for q in check.question_ids) and not evaluate(
                check.condition, effective, exclusive=questionnaire.exclusive_options):
            failed.append(check)
    return failed


def _reason_missing(section_id: str, item_id: str, na: Mapping[str, str]) -> list[Problem]:
    """A problem when an item declared not applicable has no reason."""
    if (na.get(item_id) or "").strip():
        return []
    return [Problem(section_id, item_id, "na_reason",
                    _t("声明“不适用”时必须填写理由", "a reason is required for 'not applicable'"))]


def problems(questionnaire: Questionnaire, answers: Mapping[str, Any], na: Mapping[str, str]) -> list[Problem]:
    """Everything that stops a submission: missing required relevant items, empty reasons, bad values, checks."""
    vis = visibility(questionnaire, answers, na)
    result = []
    for section in questionnaire.sections:
        if section.id not in vis.sections:
            continue
        if section.id in vis.not_applicable:
            result.extend(_reason_missing(section.id, section.id, na))
            continue
        for q in section.questions:
            if q.id not in vis.questions:
                continue
            if q.id in vis.not_applicable:
                result.extend(_reason_missing(section.id, q.id, na))
                continue
            value = vis.effective.get(q.id)
            if value is None:
                if q.required:
                    result.append(Problem(section.id, q.id, "missing", _t("必答题未作答", "required, not answered")))
                continue
            problem = value_problem(q, value)
            if problem:
                result.append(Problem(section.id, q.id, "invalid", problem))
    for check in failed_checks(questionnaire, answers, na):
        first = questionnaire.questions[check.question_ids[0]]
        result.append(Problem(first.section_id, first.id, "check", check.message))
    return result


def progress(questionnaire: Questionnaire, answers: Mapping[str, Any], na: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """Per relevant section: (answered required items, required items); key "" is the total."""
    vis = visibility(questionnaire, answers, na)
    result, done_all, total_all = {}, 0, 0
    for section in questionnaire.sections:
        if section.id not in vis.sections:
            continue
        if section.id in vis.not_applicable:
            result[section.id] = (0, 0)
            continue
        required = [q for q in section.questions if q.id in vis.questions and q.required]
        done = sum(1 for q in required if q.id in vis.effective or q.id in vis.not_applicable)
        result[section.id] = (done, len(required))
        done_all += done
        total_all += len(required)
    result[""] = (done_all, total_all)
    return result
