"""Immutable, typed model of a questionnaire version (the output of the loader)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

SCALE4 = ("not_met", "partly_met", "largely_met", "fully_met")
YES_NO = ("yes", "no")
QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "scale4",
    "integer",
    "decimal",
    "percentage",
    "yes_no",
    "text",
    "long_text",
)
NUMERIC_TYPES = ("integer", "decimal", "percentage")
DEFAULT_MAX_LENGTH = {"text": 200, "long_text": 2000}
DEFAULT_NA_REASON_MAX_LENGTH = 500  # characters; a file may set na_reason_max_length
# Bound on every number, in a file or an answer: beyond 10^15 a float no longer holds every
# integer exactly, and no count or amount in a self-assessment comes near it.
MAX_ABS_NUMBER = 10**15


@dataclass(frozen=True)
class Text:
    """A bilingual text; Chinese is required, English falls back to Chinese."""

    zh: str
    en: str | None = None

    def get(self, lang: str = "zh") -> str:
        if lang == "en" and self.en:
            return self.en
        return self.zh


@dataclass(frozen=True)
class Option:
    id: str
    label: Text
    score: float | None = None
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Text
    section_id: str
    position: int  # order in the whole file; relevance may only look backwards
    help: Text | None = None
    evidence: Text | None = None
    required: bool = True
    relevant: Any = None  # a normalised condition tree, see conditions.py
    allow_na: bool = False
    level: int | None = None
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: Text | None = None
    max_length: int | None = None

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: tuple[Question, ...]
    description: Text | None = None
    relevant: Any = None
    allow_na: bool = False


@dataclass(frozen=True)
class Check:
    id: str
    condition: Any
    message: Text
    question_ids: tuple[str, ...]


@dataclass(frozen=True)
class Level:
    level: int
    min_score: float
    name: Text


@dataclass(frozen=True)
class StructureNode:
    """An element or a domain of the maturity model, with the sub-domains below it."""

    id: str
    label: Text
    subdomains: tuple[str, ...]
    children: tuple[StructureNode, ...] = ()


@dataclass(frozen=True)
class CmmmScoring:
    method: str  # "cmmm" or "cmmm_quick"
    version: str
    official_weights: bool
    type_question: str | None
    pass_mark: float
    levels: tuple[Level, ...]
    below_level_1: Text
    structure: tuple[StructureNode, ...]
    weights: Mapping[str, Mapping[str, float]]
    scale_values: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def subdomains(self) -> tuple[str, ...]:
        return tuple(s for element in self.structure for s in element.subdomains)

    def level_name(self, level: int) -> Text:
        for lv in self.levels:
            if lv.level == level:
                return lv.name
        return self.below_level_1


@dataclass(frozen=True)
class Criterion:
    id: str
    label: Text
    condition: Any


@dataclass(frozen=True)
class Indicator:
    id: str
    label: Text
    kind: str  # "ratio" or "count"
    questions: tuple[str, ...]
    exclude: tuple[str, ...] = ()  # count: options not counted (the exclusive one never is)


@dataclass(frozen=True)
class RuleScoring:
    method: str  # "rule"
    version: str
    criteria: tuple[Criterion, ...]
    outcome_id: str
    outcome_label: Text
    outcome: Any
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    title: Text
    sections: tuple[Section, ...]
    description: Text | None = None
    audience: str = "enterprise"
    indicative: bool = False
    checks: tuple[Check, ...] = ()
    scoring: CmmmScoring | RuleScoring | None = None
    source_file: str = ""
    instrument_sha256: str = ""
    scoring_sha256: str = ""
    questions: Mapping[str, Question] = field(default_factory=lambda: MappingProxyType({}))
    exclusive_options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    na_reason_max_length: int = DEFAULT_NA_REASON_MAX_LENGTH

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def section_of(self, question_id: str) -> Section:
        return self.section(self.questions[question_id].section_id)
