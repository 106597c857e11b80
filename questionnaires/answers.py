"""Answer values: type and bound validation, consistency checks, completeness."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.conditions import evaluate, visibility
from questionnaires.model import (
    DEFAULT_MAX_LENGTH,
    MAX_ABS_NUMBER,
    NUMERIC_TYPES,
    SCALE4,
    YES_NO,
    Question,
    Questionnaire,
    Text,
)


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


def _is_text(value: Any) -> bool:
    """A string SQLite can store as UTF-8 (no lone surrogates such as "\\ud800")."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def value_problem(question: Question, value: Any) -> Text | None:
    """Why ``value`` is not a valid answer to ``question`` (None = valid; None value = cleared).

    Checks the JSON type against the question type first, so no value of any type can
    make the checks below raise.
    """
    if value is None:
        return None
    qt = question.type
    if qt == "single_choice":
        if not isinstance(value, str):
            return _t("请从选项中选择一项", "choose one of the options")
        if value not in question.option_ids:
            return _t(f"「{value[:50]}」不是本题的选项", f"{value[:50]!r} is not an option of this question")
    elif qt == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return _t("请从选项中勾选", "tick options from the list")
        if any(v not in question.option_ids for v in value):
            return _t("包含本题没有的选项", "contains an option this question does not have")
        if len(set(value)) != len(value):
            return _t("同一选项选了两次", "an option is ticked twice")
        exclusive = next((o.id for o in question.options if o.exclusive), None)
        if exclusive in value and len(value) > 1:
            label = question.option(exclusive).label
            return _t(f"「{label.zh}」不能与其他选项同时选择", f"'{label.get('en')}' cannot be combined with other options")
    elif qt == "scale4":
        if not isinstance(value, str) or value not in SCALE4:
            return _t("请选择满足程度", "choose how far the requirement is met")
    elif qt == "yes_no":
        if not isinstance(value, str) or value not in YES_NO:
            return _t("请选择“是”或“否”", "choose yes or no")
    elif qt in NUMERIC_TYPES:
        return _number_problem(question, value)
    elif qt in ("text", "long_text"):
        if not _is_text(value):
            return _t("请输入文字", "enter text")
        limit = question.max_length or DEFAULT_MAX_LENGTH[qt]
        if len(value) > limit:
            return _t(f"不能超过 {limit} 个字符（当前 {len(value)}）", f"at most {limit} characters (now {len(value)})")
    return None


def _number_problem(question: Question, value: Any) -> Text | None:
    qt = question.type
    if not _is_number(value):
        return _t("请输入数字", "enter a number")
    if isinstance(value, float) and not math.isfinite(value):
        return _t("请输入有效的数字", "enter a valid number")
    if abs(value) > MAX_ABS_NUMBER:
        return _t("数字过大", "the number is too large")
    if qt == "integer" and not float(value).is_integer():
        return _t("请输入整数", "enter a whole number")
    unit = question.unit.zh if question.unit else ("%" if qt == "percentage" else "")
    unit_en = question.unit.get("en") if question.unit else ("%" if qt == "percentage" else "")
    if question.min is not None and value < question.min:
        return _t(f"不能小于 {_fmt(question.min)}{unit}", f"must be at least {_fmt(question.min)}{unit_en}")
    if question.max is not None and value > question.max:
        return _t(f"不能大于 {_fmt(question.max)}{unit}", f"must be at most {_fmt(question.max)}{unit_en}")
    return None


def normalise_value(question: Question, value: Any) -> Any:
    """Canonical stored form: integers as int, empty text/list as None (cleared).

    A value of the wrong type is returned unchanged, for ``value_problem`` to refuse:
    ``0`` sent to a multiple choice must not turn into "cleared".
    """
    if value is None:
        return None
    if question.type in ("text", "long_text") and isinstance(value, str):
        return value.strip() or None
    if question.type == "multiple_choice" and isinstance(value, list):
        if not value:
            return None
        order = question.option_ids
        if not all(isinstance(v, str) for v in value):
            return value
        return sorted(value, key=lambda v: order.index(v) if v in order else len(order))
    if (question.type == "integer" and isinstance(value, float) and math.isfinite(value)
            and value.is_integer() and abs(value) <= MAX_ABS_NUMBER):
        return int(value)
    return value


def na_problem(questionnaire: Questionnaire, item_id: str, reason: Any) -> Text | None:
    """Why ``item_id`` cannot be declared not applicable with ``reason`` (None = it can).

    ``reason`` is checked as given; the stored form is ``reason.strip()``.
    """
    question = questionnaire.questions.get(item_id)
    section = questionnaire.section(item_id) if question is None else None
    if question is None and section is None:
        return _t("问卷中没有这一项", "no such item in this questionnaire")
    if not (question.allow_na if question else section.allow_na):
        return _t("此项不允许选择“不适用”", "this item cannot be declared not applicable")
    if not _is_text(reason):
        return _t("“不适用”的理由必须是文字", "the reason for 'not applicable' must be text")
    reason = reason.strip()
    if not reason:
        return _t("声明“不适用”时必须填写理由", "a reason is required for 'not applicable'")
    limit = questionnaire.na_reason_max_length
    if len(reason) > limit:
        return _t(f"理由不能超过 {limit} 个字符（当前 {len(reason)}）",
                  f"the reason may have at most {limit} characters (now {len(reason)})")
    return None


def answers_file_problems(questionnaire: Questionnaire, answers: Mapping[str, Any],
                          na: Mapping[str, Any]) -> tuple[dict, dict, list[tuple[str, Text]]]:
    """Check answers given as a whole (the scoring CLI) with the rules of the app's save path.

    Returns the normalised (answers, not-applicable reasons) as the app would store them and
    a list of (location, message): unknown ids, values that do not fit their question,
    not-applicable keys that do not exist or do not allow it, bad reasons, an item both
    answered and declared not applicable, and failed consistency checks.
    """
    found: list[tuple[str, Text]] = []
    clean_answers: dict[str, Any] = {}
    clean_na: dict[str, str] = {}
    for item_id, value in answers.items():
        question = questionnaire.questions.get(item_id) if isinstance(item_id, str) else None
        if question is None:
            if isinstance(item_id, str) and questionnaire.section(item_id) is not None:
                found.append((f"answers.{item_id}", _t("这是一个部分，只能声明“不适用”",
                                                       "this is a section; it can only be declared not applicable")))
            else:
                found.append((f"answers.{item_id}", _t("问卷中没有这一项", "no such item in this questionnaire")))
            continue
        value = normalise_value(question, value)
        problem = value_problem(question, value)
        if problem is not None:
            found.append((f"answers.{item_id}", problem))
        elif value is not None:
            clean_answers[item_id] = value
    for item_id, reason in na.items():
        problem = na_problem(questionnaire, item_id, reason) if isinstance(item_id, str) else \
            _t("问卷中没有这一项", "no such item in this questionnaire")
        if problem is not None:
            found.append((f"not_applicable.{item_id}", problem))
        elif item_id in clean_answers:
            found.append((f"not_applicable.{item_id}", _t("同一项不能既作答又声明“不适用”",
                                                          "an item cannot be both answered and not applicable")))
        else:
            clean_na[item_id] = reason.strip()
    if not found:
        for check in failed_checks(questionnaire, clean_answers, clean_na):
            found.append((f"checks.{check.id} ({', '.join(check.question_ids)})", check.message))
    return clean_answers, clean_na, found


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
