"""Structured conditions (all / any / not / atoms): evaluation and relevance.

A condition is data, never code. The loader turns YAML into a normalised tuple tree:

    ("all", (c, ...))   ("any", (c, ...))   ("not", c)
    ("atom", question_id, operator, operand)      operand may be ("ref", question_id)
    ("criterion", criterion_id)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHOICE_OPS = ("equals", "not_equals", "in", "not_in")
MULTI_OPS = ("includes", "excludes", "includes_any", "includes_all", "count_gte", "count_lte")
NUMBER_OPS = ("gt", "gte", "lt", "lte")
ALL_OPS = CHOICE_OPS + MULTI_OPS + NUMBER_OPS + ("answered",)

OPS_BY_TYPE = {
    "single_choice": CHOICE_OPS + ("answered",),
    "yes_no": CHOICE_OPS + ("answered",),
    "scale4": CHOICE_OPS + ("answered",),
    "text": ("equals", "not_equals", "answered"),
    "long_text": ("answered",),
    "multiple_choice": MULTI_OPS + ("answered",),
    "integer": ("equals", "not_equals") + NUMBER_OPS + ("answered",),
    "decimal": ("equals", "not_equals") + NUMBER_OPS + ("answered",),
    "percentage": ("equals", "not_equals") + NUMBER_OPS + ("answered",),
}

_MISSING = object()


def evaluate(condition, answers: Mapping[str, Any], criteria: Mapping[str, bool] | None = None,
             exclusive: Mapping[str, str] | None = None) -> bool:
    """Evaluate a normalised condition over effective answers (question id -> value).

    Only relevant, applicable answers may be in ``answers``: an atom over a missing
    answer is false, except ``answered: false``. ``exclusive`` maps a multiple-choice
    question id to its exclusive option, which ``count_*`` does not count.
    """
    if condition is None:
        return True
    kind = condition[0]
    if kind == "all":
        return all(evaluate(c, answers, criteria, exclusive) for c in condition[1])
    if kind == "any":
        return any(evaluate(c, answers, criteria, exclusive) for c in condition[1])
    if kind == "not":
        return not evaluate(condition[1], answers, criteria, exclusive)
    if kind == "criterion":
        return bool((criteria or {}).get(condition[1], False))
    _, qid, op, operand = condition
    value = answers.get(qid, _MISSING)
    if op == "answered":
        return (value is not _MISSING) == bool(operand)
    if value is _MISSING or value is None:
        return False
    if isinstance(operand, tuple) and operand and operand[0] == "ref":
        operand = answers.get(operand[1], _MISSING)
        if operand is _MISSING or operand is None:
            return False
    return _apply(op, value, operand, (exclusive or {}).get(qid))


def _apply(op: str, value, operand, exclusive_option: str | None) -> bool:
    if op == "equals":
        return value == operand
    if op == "not_equals":
        return value != operand
    if op == "in":
        return value in operand
    if op == "not_in":
        return value not in operand
    if op == "includes":
        return operand in value
    if op == "excludes":
        return operand not in value
    if op == "includes_any":
        return any(o in value for o in operand)
    if op == "includes_all":
        return all(o in value for o in operand)
    if op in ("count_gte", "count_lte"):
        count = sum(1 for o in value if o != exclusive_option)
        return count >= operand if op == "count_gte" else count <= operand
    if op == "gt":
        return value > operand
    if op == "gte":
        return value >= operand
    if op == "lt":
        return value < operand
    if op == "lte":
        return value <= operand
    raise ValueError(f"unknown operator {op!r}")


def referenced_questions(condition) -> set[str]:
    """Every question id a condition names (including comparison operands)."""
    if condition is None:
        return set()
    kind = condition[0]
    if kind in ("all", "any"):
        return set().union(*(referenced_questions(c) for c in condition[1])) if condition[1] else set()
    if kind == "not":
        return referenced_questions(condition[1])
    if kind == "criterion":
        return set()
    refs = {condition[1]}
    operand = condition[3]
    if isinstance(operand, tuple) and operand and operand[0] == "ref":
        refs.add(operand[1])
    return refs


@dataclass(frozen=True)
class Visibility:
    """What is relevant for a given set of answers, and the answers that count."""

    sections: frozenset[str]
    questions: frozenset[str]
    effective: Mapping[str, Any]  # relevant, applicable, answered items only
    not_applicable: frozenset[str]  # relevant sections/questions declared not applicable


def visibility(questionnaire, answers: Mapping[str, Any], na: Mapping[str, str] | frozenset | set = ()) -> Visibility:
    """Walk the questionnaire in order and decide relevance from earlier answers.

    ``na`` holds the ids of sections or questions declared not applicable. Answers to
    irrelevant or not-applicable items never enter ``effective``.
    """
    exclusive = questionnaire.exclusive_options
    effective: dict[str, Any] = {}
    sections, questions, declared_na = set(), set(), set()
    for section in questionnaire.sections:
        if not evaluate(section.relevant, effective, exclusive=exclusive):
            continue
        sections.add(section.id)
        section_na = section.allow_na and section.id in na
        if section_na:
            declared_na.add(section.id)
        for q in section.questions:
            if not evaluate(q.relevant, effective, exclusive=exclusive):
                continue
            questions.add(q.id)
            if section_na:
                continue
            if q.allow_na and q.id in na:
                declared_na.add(q.id)
                continue
            value = answers.get(q.id)
            if value is not None and value != [] and value != "":
                effective[q.id] = value
    return Visibility(frozenset(sections), frozenset(questions), effective, frozenset(declared_na))
