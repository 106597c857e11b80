"""Filling in and submitting an assessment: questionnaire rules applied to item-by-item writes.

No Streamlit here: pages and tests call these functions with the signed-in identity.
"""

from __future__ import annotations

from typing import Any

import scoring
from db import assessments as store
from db.assessments import Incomplete, SaveOutcome, UnconfirmedSections
from db.identity import Identity
from questionnaires import registry
from questionnaires.answers import Problem, failed_checks, na_problem, normalise_value, problems, value_problem
from questionnaires.conditions import visibility
from questionnaires.model import Questionnaire, Text


def questionnaire_of(assessment: dict) -> Questionnaire:
    return registry.get(assessment["questionnaire_id"], assessment["questionnaire_version"])


def save_item(db, identity: Identity, questionnaire: Questionnaire, assessment_id: int, item_id: str, value: Any,
              *, expected_rev: int, na_reason: str | None = None) -> SaveOutcome:
    """Validate and store one answer (or a not-applicable declaration) at once.

    Refused without any change, with a bilingual message, when the item is unknown, the
    value does not fit the question (type, options, range, length; questionnaires/answers.py),
    the not-applicable declaration is not allowed or its reason is not a text of allowed
    length, the answer breaks a consistency check, or a colleague changed the item since
    ``expected_rev``. A section takes only a not-applicable declaration or None (withdraw it).
    """
    question = questionnaire.questions.get(item_id) if isinstance(item_id, str) else None
    section = questionnaire.section(item_id) if question is None and isinstance(item_id, str) else None
    if question is None and section is None:
        return SaveOutcome("invalid", message=Text("问卷中没有这一项", "no such item in this questionnaire"))
    if na_reason is not None:
        problem = na_problem(questionnaire, item_id, na_reason)
        if problem is not None:
            return SaveOutcome("invalid", message=problem)
        na_reason = na_reason.strip()
        value = None
    elif question is not None:
        value = normalise_value(question, value)
        problem = value_problem(question, value)
        if problem is not None:
            return SaveOutcome("invalid", message=problem)
    elif value is not None:
        return SaveOutcome("invalid", message=Text("部分只能声明“不适用”，不能作答",
                                                   "a section can only be declared not applicable"))

    def consistent(answers, na):
        for check in failed_checks(questionnaire, answers, na):
            if item_id in check.question_ids:
                return check.message
        return None

    validate = consistent if question is not None and questionnaire.checks else None
    return store.save_answer(db, identity, assessment_id, item_id, value, expected_rev=expected_rev,
                             na_reason=na_reason, validate=validate)


def submit(db, identity: Identity, assessment_id: int) -> tuple[dict, bool]:
    """Check completeness, score and store the self result, once. Raises Incomplete with the problems."""
    assessment = store.get_assessment(db, identity, assessment_id)
    questionnaire = questionnaire_of(assessment)

    def compute(answers, na):
        found = problems(questionnaire, answers, na)
        if found:
            raise Incomplete(found)
        if questionnaire.scoring is None:
            return {"method": "none", "scoring_version": "none", "score": None, "level": None}
        return scoring.score(questionnaire, answers, na)

    def relevant_sections(answers, na):
        return visibility(questionnaire, answers, na).sections

    try:
        return store.submit(db, identity, assessment_id, compute, relevant_sections)
    except UnconfirmedSections as exc:
        order = [s.id for s in questionnaire.sections]
        pending = sorted(exc.section_ids, key=lambda s: order.index(s) if s in order else len(order))
        raise Incomplete([Problem(s, s, "unconfirmed", UNCONFIRMED) for s in pending]) from exc


def missing(questionnaire: Questionnaire, answers: dict, na: dict, prefilled: dict[str, dict]) -> list[Problem]:
    """What still blocks submitting: missing or invalid answers, then pre-filled sections not yet confirmed."""
    found = problems(questionnaire, answers, na)
    shown = visibility(questionnaire, answers, na).sections
    pending = [s.id for s in questionnaire.sections
               if s.id in shown and s.id in prefilled and not prefilled[s.id]["confirmed_at"]]
    return found + [Problem(s, s, "unconfirmed", UNCONFIRMED) for s in pending]


UNCONFIRMED = Text("本节为上次评估的预填答案，请确认或修改后点击“确认本节”。",
                   "Pre-filled from the last assessment: confirm or change it, then press “Confirm section”.")


def section_of(questionnaire: Questionnaire, item_id: str) -> str | None:
    """The section an item (question, or a section's own not-applicable entry) belongs to; None if unknown."""
    if item_id in questionnaire.questions:
        return questionnaire.questions[item_id].section_id
    return item_id if questionnaire.section(item_id) is not None else None


def start_prefilled(db, identity: Identity, questionnaire: Questionnaire) -> tuple[int, bool]:
    """Start a new assessment pre-filled from the last submitted one of the same questionnaire."""
    return store.start_prefilled(db, identity, questionnaire.id, questionnaire.version,
                                 lambda item_id: section_of(questionnaire, item_id))
