"""Load a questionnaire file: strict YAML -> validation with coded errors -> typed model.

Every mistake is reported with a stable code, the file and the path inside it (plus the
line where known), and all mistakes are collected before the file is refused. The codes
are listed in docs/questionnaire-format.md.

    python -m questionnaires.loader questionnaires/cmmm_full_v1.yaml
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from questionnaires import conditions as cond
from questionnaires.model import (
    DEFAULT_MAX_LENGTH,
    DEFAULT_NA_REASON_MAX_LENGTH,
    MAX_ABS_NUMBER,
    NUMERIC_TYPES,
    QUESTION_TYPES,
    SCALE4,
    YES_NO,
    Check,
    CmmmScoring,
    Criterion,
    Indicator,
    Level,
    Option,
    Question,
    Questionnaire,
    RuleScoring,
    Section,
    StructureNode,
    Text,
)
from questionnaires.yaml_strict import MAX_DEPTH, DuplicateKeyError, LineDict, TooDeepError
from questionnaires.yaml_strict import load as load_yaml

ERROR_CODES = {
    "QF000": "the file cannot be read",
    "QF001": "the file is not valid YAML (or uses aliases or explicit tags)",
    "QF002": "a key appears twice in one mapping",
    "QF003": "the file is not UTF-8 text",
    "QF004": "the file is empty",
    "QF005": "the file is too large",
    "QF006": "the data is nested too deeply",
    "QF101": "a required key is missing",
    "QF102": "an unknown key",
    "QF103": "a value has the wrong type",
    "QF104": "version is not a string",
    "QF105": "format is not a supported format version",
    "QF106": "an id is not ASCII snake_case",
    "QF107": "an id is used twice",
    "QF108": "a value is out of its allowed range or set",
    "QF110": "a text has no Chinese (zh)",
    "QF201": "unknown question type",
    "QF202": "a choice question has fewer than two options",
    "QF203": "more than one exclusive option, or exclusive outside multiple_choice",
    "QF204": "min is greater than max",
    "QF205": "a key does not belong to this question type",
    "QF301": "a condition names an unknown question",
    "QF302": "a relevance condition names a question that is not earlier in the file",
    "QF303": "the operator does not fit the question's type",
    "QF304": "a condition names an option the question does not have",
    "QF305": "a malformed condition",
    "QF306": "a criterion reference that is unknown or not allowed here",
    "QF401": "unknown scoring method",
    "QF402": "scoring names an unknown section or question",
    "QF403": "a scored item lacks what its method needs",
    "QF404": "inconsistent scoring parameters",
    "QF405": "a weight the scoring method uses is missing",
    "QF501": "a published questionnaire version was changed",
    "QF502": "a scoring rule was changed without a new scoring.version",
}

FORMAT_VERSION = 1
MAX_FILE_BYTES = 2_000_000  # the largest real questionnaire is about 170 kB


DEFAULT_WEIGHT_TABLE = "default"  # the weight table of a cmmm questionnaire without type_question
# Scoring blocks published before every weight had to be written (QF405), by canonical hash:
# they have no `weights` and their text states equal weights. Replace by publishing explicit
# weights under a new scoring.version; never add to this set.
GRANDFATHERED_EQUAL_WEIGHTS = frozenset({
    "c13976c0a249e8ade4fa85219086527267db06c402d187e3979e45fee752034d",  # cmmm_quick@1 scoring 2025.1
})
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TOP_KEYS = {"format", "id", "version", "title", "description", "audience", "indicative",
            "sections", "checks", "scoring", "na_reason_max_length"}
SECTION_KEYS = {"id", "title", "description", "relevant", "allow_na", "questions"}
QUESTION_KEYS = {"id", "type", "text", "help", "evidence", "required", "relevant", "allow_na", "level"}
TYPE_KEYS = {
    "single_choice": {"options"},
    "multiple_choice": {"options"},
    "scale4": set(),
    "integer": {"min", "max", "unit"},
    "decimal": {"min", "max", "unit"},
    "percentage": set(),
    "yes_no": set(),
    "text": {"max_length"},
    "long_text": {"max_length"},
}
OPTION_KEYS = {"id", "label", "score", "exclusive"}
CHOICE_VALUES = {"scale4": SCALE4, "yes_no": YES_NO}


@dataclass(frozen=True)
class LoadError:
    code: str
    message: str
    file: str
    path: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else self.path
        return f"{self.file}: {where} [{self.code}] {self.message}"


class QuestionnaireInvalid(Exception):
    """Raised when a questionnaire file has one or more mistakes."""

    def __init__(self, errors: list[LoadError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def canonical_sha256(data) -> str:
    """Hash of the meaning of YAML data: comments and formatting do not count."""
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class _Validator:
    """Walks the raw YAML data, collecting coded errors and building the model."""

    def __init__(self, file: str):
        self.file = file
        self.errors: list[LoadError] = []
        self.questions: dict[str, Question] = {}
        self.ids: set[str] = set()
        self._all_ids: set[str] = set()  # every question id in the file, to tell "later" from "unknown"

    # -- error helpers -------------------------------------------------------
    def error(self, code: str, message: str, path: str, parent=None, key=None) -> None:
        line = None
        if isinstance(parent, LineDict) and key is not None:
            line = parent.lines.get(key)
        self.errors.append(LoadError(code, message, self.file, path, line))

    def mapping(self, data, path: str, allowed: set[str], required: set[str], parent=None, key=None) -> bool:
        if not isinstance(data, dict):
            self.error("QF103", f"expected a mapping, got {type(data).__name__}", path, parent, key)
            return False
        for k in data:
            if k not in allowed:
                self.error("QF102", f"unknown key {k!r}; allowed: {', '.join(sorted(allowed))}",
                           f"{path}.{k}" if path else str(k), data, k)
        for k in sorted(required):
            if k not in data:
                self.error("QF101", f"missing required key {k!r}", path or "(top)", parent, key)
        return True

    def ident(self, data: dict, path: str, unique: bool = True) -> str | None:
        value = data.get("id")
        if value is None:
            return None
        if not isinstance(value, str) or not ID_RE.match(value):
            self.error("QF106", f"id {value!r} must be ASCII snake_case (a-z, 0-9, _)", f"{path}.id", data, "id")
            return None
        if unique:
            if value in self.ids:
                self.error("QF107", f"id {value!r} is used twice", f"{path}.id", data, "id")
            self.ids.add(value)
        return value

    def text(self, data, key: str, path: str, required: bool = False) -> Text | None:
        value = data.get(key)
        p = f"{path}.{key}"
        if value is None:
            if required and key in data:
                self.error("QF110", "text has no Chinese (zh)", p, data, key)
            return None
        if isinstance(value, str):
            return Text(value.strip()) if value.strip() else self._no_zh(p, data, key)
        if isinstance(value, dict):
            for k in value:
                if k not in ("zh", "en"):
                    self.error("QF102", f"unknown language {k!r}; use zh and en", f"{p}.{k}", value, k)
            zh, en = value.get("zh"), value.get("en")
            if not isinstance(zh, str) or not zh.strip():
                return self._no_zh(p, data, key)
            if en is not None and not isinstance(en, str):
                self.error("QF103", "en must be a string", f"{p}.en", value, "en")
                en = None
            return Text(zh.strip(), en.strip() if en else None)
        self.error("QF103", "a text is a string or a mapping {zh, en}", p, data, key)
        return None

    def _no_zh(self, path, parent, key):
        self.error("QF110", "text has no Chinese (zh)", path, parent, key)
        return None

    def boolean(self, data, key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error("QF103", f"{key} must be true or false, got {value!r}", f"{path}.{key}", data, key)
            return default
        return value

    def number(self, data, key: str, path: str, integer: bool = False):
        value = data.get(key)
        if value is None:
            return None
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            kind = "an integer" if integer else "a number"
            self.error("QF103", f"{key} must be {kind}, got {_short(value)}", f"{path}.{key}", data, key)
            return None
        if not abs(value) <= MAX_ABS_NUMBER:  # also false for NaN; math.isfinite overflows on huge ints
            self.error("QF108", f"{key} must be a finite number of at most {MAX_ABS_NUMBER:g} in size",
                       f"{path}.{key}", data, key)
            return None
        return value

    # -- document ------------------------------------------------------------
    def document(self, raw) -> Questionnaire | None:
        if not self.mapping(raw, "", TOP_KEYS, {"format", "id", "version", "title", "sections"}):
            return None
        if "format" in raw and (type(raw["format"]) is not int or raw["format"] != FORMAT_VERSION):
            self.error("QF105", f"format must be the number {FORMAT_VERSION}, got {_short(raw['format'])}",
                       "format", raw, "format")
        qid = raw.get("id")
        if qid is not None and (not isinstance(qid, str) or not ID_RE.match(qid)):
            self.error("QF106", f"id {qid!r} must be ASCII snake_case", "id", raw, "id")
        version = raw.get("version")
        if "version" in raw and not isinstance(version, str):
            self.error("QF104", f"version must be a string such as \"1\"; got {version!r} — quote it",
                       "version", raw, "version")
        title = self.text(raw, "title", "", required=True)
        audience = raw.get("audience", "enterprise")
        if audience not in ("enterprise", "demo"):
            self.error("QF108", f"audience must be enterprise or demo, got {audience!r}", "audience", raw, "audience")
        indicative = self.boolean(raw, "indicative", "", False)
        na_reason_max_length = self.number(raw, "na_reason_max_length", "", integer=True)
        if na_reason_max_length is not None and na_reason_max_length < 1:
            self.error("QF108", "na_reason_max_length must be at least 1", "na_reason_max_length", raw,
                       "na_reason_max_length")

        sections = self.sections(raw.get("sections"), raw)
        checks = self.checks(raw.get("checks"), raw)
        exclusive = {q.id: o.id for q in self.questions.values() for o in q.options if o.exclusive}
        scoring = self.scoring(raw.get("scoring"), raw, sections)
        if self.errors:
            return None
        instrument = {k: v for k, v in raw.items() if k != "scoring"}
        return Questionnaire(
            id=qid,
            version=version,
            title=title,
            description=self.text(raw, "description", ""),
            audience=audience,
            indicative=indicative,
            sections=tuple(sections),
            checks=tuple(checks),
            scoring=scoring,
            source_file=self.file,
            instrument_sha256=canonical_sha256(instrument),
            scoring_sha256=canonical_sha256(raw.get("scoring")) if raw.get("scoring") is not None else "",
            questions=MappingProxyType(dict(self.questions)),
            exclusive_options=MappingProxyType(exclusive),
            na_reason_max_length=na_reason_max_length or DEFAULT_NA_REASON_MAX_LENGTH,
        )

    def sections(self, raw_sections, parent) -> list[Section]:
        if not isinstance(raw_sections, list) or not raw_sections:
            if raw_sections is not None:
                self.error("QF103", "sections must be a non-empty list", "sections", parent, "sections")
            return []
        result = []
        position = 0
        for i, raw in enumerate(raw_sections):
            path = f"sections[{i}]"
            if not self.mapping(raw, path, SECTION_KEYS, {"id", "title", "questions"}, raw_sections):
                continue
            sid = self.ident(raw, path)
            first_position = position
            relevant = self.condition(raw.get("relevant"), f"{path}.relevant", before=first_position) \
                if "relevant" in raw else None
            questions = []
            raw_questions = raw.get("questions")
            if not isinstance(raw_questions, list) or not raw_questions:
                if "questions" in raw:
                    self.error("QF103", "questions must be a non-empty list", f"{path}.questions", raw, "questions")
                raw_questions = []
            for j, raw_q in enumerate(raw_questions):
                q = self.question(raw_q, f"{path}.questions[{j}]", sid or "", position)
                position += 1
                if q is not None:
                    questions.append(q)
                    self.questions.setdefault(q.id, q)
            result.append(Section(
                id=sid or "",
                title=self.text(raw, "title", path, required=True) or Text(""),
                description=self.text(raw, "description", path),
                relevant=relevant,
                allow_na=self.boolean(raw, "allow_na", path, False),
                questions=tuple(questions),
            ))
        return result

    def question(self, raw, path: str, section_id: str, position: int) -> Question | None:
        if not self.mapping(raw, path, QUESTION_KEYS | {k for ks in TYPE_KEYS.values() for k in ks},
                            {"id", "type", "text"}):
            return None
        qid = self.ident(raw, path)
        qtype = raw.get("type")
        if qtype is not None and qtype not in QUESTION_TYPES:
            self.error("QF201", f"unknown question type {qtype!r}; known: {', '.join(QUESTION_TYPES)}",
                       f"{path}.type", raw, "type")
            return None
        if qtype is None:
            return None
        for k in raw:
            if k not in QUESTION_KEYS and k not in TYPE_KEYS[qtype]:
                self.error("QF205", f"{k!r} does not belong to a {qtype} question", f"{path}.{k}", raw, k)
        text = self.text(raw, "text", path, required=True)
        relevant = self.condition(raw.get("relevant"), f"{path}.relevant", before=position) \
            if "relevant" in raw else None
        level = self.number(raw, "level", path, integer=True)
        if level is not None and not 1 <= level <= 5:
            self.error("QF108", f"level must be 1 to 5, got {level}", f"{path}.level", raw, "level")
        options = self.options(raw, path, qtype) if qtype in ("single_choice", "multiple_choice") else ()
        lo, hi = self.number(raw, "min", path), self.number(raw, "max", path)
        if qtype == "integer":
            lo, hi = self.number(raw, "min", path, integer=True), self.number(raw, "max", path, integer=True)
        if qtype == "percentage":
            lo, hi = 0, 100
        if lo is not None and hi is not None and lo > hi:
            self.error("QF204", f"min {lo} is greater than max {hi}", f"{path}.min", raw, "min")
        max_length = self.number(raw, "max_length", path, integer=True)
        if max_length is not None and max_length < 1:
            self.error("QF108", "max_length must be at least 1", f"{path}.max_length", raw, "max_length")
        if qid is None or text is None:
            return None
        return Question(
            id=qid, type=qtype, text=text, section_id=section_id, position=position,
            help=self.text(raw, "help", path), evidence=self.text(raw, "evidence", path),
            required=self.boolean(raw, "required", path, True), relevant=relevant,
            allow_na=self.boolean(raw, "allow_na", path, False), level=level, options=options,
            min=lo, max=hi, unit=self.text(raw, "unit", path),
            max_length=max_length or DEFAULT_MAX_LENGTH.get(qtype),
        )

    def options(self, raw, path: str, qtype: str) -> tuple[Option, ...]:
        raw_options = raw.get("options")
        if not isinstance(raw_options, list) or len(raw_options) < 2:
            self.error("QF202", "a choice question needs a list of at least two options", f"{path}.options",
                       raw, "options")
            return ()
        result, seen, exclusive = [], set(), 0
        for k, opt in enumerate(raw_options):
            p = f"{path}.options[{k}]"
            if not self.mapping(opt, p, OPTION_KEYS, {"id", "label"}, raw_options):
                continue
            oid = self.ident(opt, p, unique=False)
            if oid in seen:
                self.error("QF107", f"option id {oid!r} is used twice", f"{p}.id", opt, "id")
            seen.add(oid)
            is_exclusive = self.boolean(opt, "exclusive", p, False)
            if is_exclusive:
                exclusive += 1
                if qtype != "multiple_choice":
                    self.error("QF203", "exclusive is only for multiple_choice options", f"{p}.exclusive",
                               opt, "exclusive")
                elif exclusive > 1:
                    self.error("QF203", "at most one option may be exclusive", f"{p}.exclusive", opt, "exclusive")
            label = self.text(opt, "label", p, required=True)
            if oid and label:
                result.append(Option(oid, label, self.number(opt, "score", p), is_exclusive))
        return tuple(result)

    # -- conditions ----------------------------------------------------------
    def condition(self, raw, path: str, before: int | None = None, criteria: frozenset = frozenset()):
        """Normalise a condition; ``before`` limits it to questions earlier in the file."""
        if not isinstance(raw, dict) or not raw:
            self.error("QF305", "a condition is a mapping: all / any / not / question+operator", path)
            return None
        if "all" in raw or "any" in raw:
            key = "all" if "all" in raw else "any"
            if len(raw) != 1 or not isinstance(raw[key], list) or not raw[key]:
                self.error("QF305", f"{key} takes a non-empty list of conditions and nothing else", path, raw, key)
                return None
            parts = [self.condition(c, f"{path}.{key}[{i}]", before, criteria) for i, c in enumerate(raw[key])]
            return (key, tuple(parts)) if all(p is not None for p in parts) else None
        if "not" in raw:
            if len(raw) != 1:
                self.error("QF305", "not takes one condition and nothing else", path, raw, "not")
                return None
            inner = self.condition(raw["not"], f"{path}.not", before, criteria)
            return ("not", inner) if inner is not None else None
        if "criterion" in raw:
            if len(raw) != 1 or not isinstance(raw["criterion"], str) or raw["criterion"] not in criteria:
                self.error("QF306", f"criterion {raw.get('criterion')!r} is unknown or not earlier; "
                           f"known here: {', '.join(sorted(criteria)) or 'none'}", f"{path}.criterion", raw, "criterion")
                return None
            return ("criterion", raw["criterion"])
        return self.atom(raw, path, before)

    def atom(self, raw: dict, path: str, before: int | None):
        ops = [k for k in raw if k != "question"]
        if "question" not in raw or len(ops) != 1 or ops[0] not in cond.ALL_OPS:
            self.error("QF305", "an atom is {question: id, <operator>: value} with exactly one of: "
                       + ", ".join(cond.ALL_OPS), path)
            return None
        op, operand = ops[0], raw[ops[0]]
        q = self.referenced(raw["question"], f"{path}.question", raw, before)
        if q is None:
            return None
        if op not in cond.OPS_BY_TYPE[q.type]:
            self.error("QF303", f"operator {op!r} does not fit {q.type} question {q.id!r}; use one of "
                       + ", ".join(cond.OPS_BY_TYPE[q.type]), f"{path}.{op}", raw, op)
            return None
        p = f"{path}.{op}"
        if op == "answered":
            if not isinstance(operand, bool):
                self.error("QF103", "answered takes true or false", p, raw, op)
                return None
            return ("atom", q.id, op, operand)
        if op in cond.NUMBER_OPS or (q.type in NUMERIC_TYPES and op in ("equals", "not_equals")):
            if isinstance(operand, dict):
                if set(operand) != {"question"}:
                    self.error("QF305", "a comparison operand is a number or {question: id}", p, raw, op)
                    return None
                other = self.referenced(operand["question"], f"{p}.question", operand, before)
                if other is None:
                    return None
                if other.type not in NUMERIC_TYPES:
                    self.error("QF303", f"{other.id!r} is not a number question", f"{p}.question", operand, "question")
                    return None
                return ("atom", q.id, op, ("ref", other.id))
            if isinstance(operand, bool) or not isinstance(operand, (int, float)):
                self.error("QF103", f"{op} takes a number or {{question: id}}, got {operand!r}", p, raw, op)
                return None
            return ("atom", q.id, op, operand)
        if op in ("count_gte", "count_lte"):
            if isinstance(operand, bool) or not isinstance(operand, int) or operand < 0:
                self.error("QF103", f"{op} takes a whole number ≥ 0", p, raw, op)
                return None
            return ("atom", q.id, op, operand)
        many = op in ("in", "not_in", "includes_any", "includes_all")
        values = operand if many else [operand]
        if many and (not isinstance(operand, list) or not operand):
            self.error("QF103", f"{op} takes a non-empty list", p, raw, op)
            return None
        allowed = q.option_ids if q.options else CHOICE_VALUES.get(q.type)
        for v in values:
            if not isinstance(v, str):
                self.error("QF103", f"{op} takes option ids (strings), got {v!r}", p, raw, op)
                return None
            if allowed is not None and v not in allowed:
                self.error("QF304", f"{q.id!r} has no option {v!r}; options: {', '.join(allowed)}", p, raw, op)
                return None
        return ("atom", q.id, op, tuple(operand) if many else operand)

    def referenced(self, qid, path: str, parent, before: int | None) -> Question | None:
        q = self.questions.get(qid) if isinstance(qid, str) else None
        if q is None:
            if before is not None and isinstance(qid, str) and qid in self._all_ids:
                self.error("QF302", f"{qid!r} comes later in the file; relevance may only use earlier answers",
                           path, parent, "question")
            else:
                self.error("QF301", f"unknown question {qid!r}", path, parent, "question")
            return None
        if before is not None and q.position >= before:
            self.error("QF302", f"{qid!r} is not earlier in the file; relevance may only use earlier answers",
                       path, parent, "question")
            return None
        return q

    # -- checks and scoring -----------------------------------------------------
    def checks(self, raw_checks, parent) -> list[Check]:
        if raw_checks is None:
            return []
        if not isinstance(raw_checks, list):
            self.error("QF103", "checks must be a list", "checks", parent, "checks")
            return []
        result = []
        for i, raw in enumerate(raw_checks):
            path = f"checks[{i}]"
            if not self.mapping(raw, path, {"id", "assert", "message"}, {"id", "assert", "message"}, raw_checks):
                continue
            cid = self.ident(raw, path)
            condition = self.condition(raw.get("assert"), f"{path}.assert")
            message = self.text(raw, "message", path, required=True)
            if cid and condition and message:
                result.append(Check(cid, condition, message, tuple(sorted(cond.referenced_questions(condition)))))
        return result

    def scoring(self, raw, parent, sections: list[Section]):
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.error("QF103", "scoring must be a mapping", "scoring", parent, "scoring")
            return None
        method = raw.get("method")
        if method in ("cmmm", "cmmm_quick"):
            return self.cmmm(raw, method, sections)
        if method == "rule":
            return self.rule(raw)
        self.error("QF401", f"unknown scoring method {method!r}; known: cmmm, cmmm_quick, rule",
                   "scoring.method", raw, "method")
        return None

    def _scoring_version(self, raw) -> str | None:
        version = raw.get("version")
        if not isinstance(version, str):
            if "version" in raw:
                self.error("QF104", f"scoring.version must be a string, got {version!r}", "scoring.version",
                           raw, "version")
            return None
        return version

    def cmmm(self, raw: dict, method: str, sections: list[Section]) -> CmmmScoring | None:
        keys = {"method", "version", "official_weights", "type_question", "pass_mark", "levels",
                "below_level_1", "structure", "weights"}
        if method == "cmmm":
            keys.add("scale_values")
        required = {"method", "version", "pass_mark", "levels", "below_level_1", "structure"}
        if method == "cmmm":
            required.add("scale_values")
        if not self.mapping(raw, "scoring", keys, required):
            return None
        version = self._scoring_version(raw)
        pass_mark = self.number(raw, "pass_mark", "scoring")
        if pass_mark is not None and not 0 < pass_mark <= 1:
            self.error("QF108", "pass_mark must be in (0, 1]", "scoring.pass_mark", raw, "pass_mark")
        scale_values = {}
        if method == "cmmm" and isinstance(raw.get("scale_values"), dict):
            sv = raw["scale_values"]
            if set(sv) != set(SCALE4):
                self.error("QF404", f"scale_values needs exactly {', '.join(SCALE4)}", "scoring.scale_values",
                           raw, "scale_values")
            for k in SCALE4:
                v = self.number(sv, k, "scoring.scale_values")
                if v is not None and not 0 <= v <= 1:
                    self.error("QF108", "a scale value must be in [0, 1]", f"scoring.scale_values.{k}", sv, k)
                scale_values[k] = v if v is not None else 0
            values = [scale_values[k] for k in SCALE4]
            if values != sorted(values):
                self.error("QF404", "scale values must not decrease from not_met to fully_met",
                           "scoring.scale_values", raw, "scale_values")
        levels = self.levels(raw.get("levels"), raw)
        structure, subdomains = self.structure(raw.get("structure"), raw)
        section_ids = {s.id: s for s in sections}
        for sd, path in subdomains:
            if method == "cmmm":
                section = section_ids.get(sd)
                if section is None:
                    self.error("QF402", f"structure names unknown section {sd!r}", path)
                    continue
                scored = [q for q in section.questions if q.type == "scale4"]
                if not scored:
                    self.error("QF403", f"section {sd!r} has no scale4 items to score", path)
                for q in scored:
                    if q.level is None:
                        self.error("QF403", f"scale4 item {q.id!r} in a scored section needs a level (1-5)", path)
            else:
                q = self.questions.get(sd)
                if q is None:
                    self.error("QF402", f"structure names unknown question {sd!r}", path)
                    continue
                scores = [o.score for o in q.options]
                if q.type != "single_choice" or any(s is None or not 0 <= s <= 5 for s in scores):
                    self.error("QF403", f"{sd!r} must be a single_choice whose options have a score 0-5", path)
        type_question = raw.get("type_question")
        if type_question is not None:
            tq = self.questions.get(type_question) if isinstance(type_question, str) else None
            if tq is None or tq.type != "single_choice":
                self.error("QF402", f"type_question {type_question!r} must be a single_choice question",
                           "scoring.type_question", raw, "type_question")
        weights = self.weights(raw.get("weights"), raw, {sd for sd, _ in subdomains})
        weights = self.complete_weights(raw, weights, [sd for sd, _ in subdomains], type_question)
        if self.errors or version is None:
            return None
        return CmmmScoring(
            method=method, version=version,
            official_weights=self.boolean(raw, "official_weights", "scoring", False),
            type_question=type_question, pass_mark=pass_mark, levels=levels,
            below_level_1=self.text(raw, "below_level_1", "scoring", required=True),
            structure=structure, weights=weights, scale_values=MappingProxyType(scale_values),
        )

    def levels(self, raw_levels, parent) -> tuple[Level, ...]:
        if not isinstance(raw_levels, list) or not raw_levels:
            self.error("QF103", "levels must be a non-empty list", "scoring.levels", parent, "levels")
            return ()
        result = []
        for i, raw in enumerate(raw_levels):
            path = f"scoring.levels[{i}]"
            if not self.mapping(raw, path, {"level", "min_score", "name"}, {"level", "min_score", "name"}, raw_levels):
                continue
            level = self.number(raw, "level", path, integer=True)
            min_score = self.number(raw, "min_score", path)
            name = self.text(raw, "name", path, required=True)
            if level is not None and min_score is not None and name is not None:
                result.append(Level(level, min_score, name))
        if [lv.level for lv in result] != list(range(1, len(result) + 1)):
            self.error("QF404", "levels must be numbered 1, 2, 3, … in order", "scoring.levels", parent, "levels")
        scores = [lv.min_score for lv in result]
        if any(b <= a for a, b in zip(scores, scores[1:])):
            self.error("QF404", "min_score must increase from level to level", "scoring.levels", parent, "levels")
        return tuple(result)

    def structure(self, raw_elements, parent):
        subdomains: list[tuple[str, str]] = []
        if not isinstance(raw_elements, list) or not raw_elements:
            self.error("QF103", "structure must be a non-empty list of elements", "scoring.structure",
                       parent, "structure")
            return (), subdomains
        node_ids: set[str] = set()
        elements = []
        for i, raw in enumerate(raw_elements):
            path = f"scoring.structure[{i}]"
            if not self.mapping(raw, path, {"id", "label", "domains"}, {"id", "label", "domains"}, raw_elements):
                continue
            domains = []
            raw_domains = raw.get("domains")
            for j, raw_d in enumerate(raw_domains if isinstance(raw_domains, list) else []):
                dpath = f"{path}.domains[{j}]"
                if not self.mapping(raw_d, dpath, {"id", "label", "subdomains"}, {"id", "label", "subdomains"}):
                    continue
                sds = raw_d.get("subdomains")
                if not isinstance(sds, list) or not sds or not all(isinstance(s, str) for s in sds):
                    self.error("QF103", "subdomains must be a non-empty list of ids", f"{dpath}.subdomains",
                               raw_d, "subdomains")
                    continue
                for k, sd in enumerate(sds):
                    if any(sd == seen for seen, _ in subdomains):
                        self.error("QF404", f"sub-domain {sd!r} is listed twice", f"{dpath}.subdomains[{k}]")
                    subdomains.append((sd, f"{dpath}.subdomains[{k}]"))
                domains.append(self.node(raw_d, dpath, node_ids, tuple(sds), ()))
            if not domains:
                self.error("QF103", "an element needs a non-empty list of domains", f"{path}.domains", raw, "domains")
                continue
            elements.append(self.node(raw, path, node_ids, tuple(s for d in domains for s in d.subdomains),
                                      tuple(domains)))
        return tuple(elements), subdomains

    def node(self, raw, path, node_ids, subdomains, children) -> StructureNode:
        nid = self.ident(raw, path, unique=False) or ""
        if nid in node_ids:
            self.error("QF107", f"structure id {nid!r} is used twice", f"{path}.id", raw, "id")
        node_ids.add(nid)
        return StructureNode(nid, self.text(raw, "label", path, required=True) or Text(nid), subdomains, children)

    def weights(self, raw, parent, subdomains: set[str]):
        if raw is None:
            return MappingProxyType({})
        if not isinstance(raw, dict):
            self.error("QF103", "weights must be a mapping of weight tables", "scoring.weights", parent, "weights")
            return MappingProxyType({})
        tables = {}
        for table_id, table in raw.items():
            path = f"scoring.weights.{table_id}"
            if not isinstance(table, dict):
                self.error("QF103", "a weight table maps sub-domain ids to numbers", path, raw, table_id)
                continue
            values = {}
            for sd, w in table.items():
                if sd not in subdomains:
                    self.error("QF402", f"weight for unknown sub-domain {sd!r}", f"{path}.{sd}", table, sd)
                elif isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w <= MAX_ABS_NUMBER:
                    self.error("QF108", f"a weight must be a number ≥ 0, got {w!r}", f"{path}.{sd}", table, sd)
                else:
                    values[sd] = float(w)
            tables[str(table_id)] = MappingProxyType(values)
        return MappingProxyType(tables)

    def complete_weights(self, raw: dict, weights, subdomains: list[str], type_question):
        """QF405 unless every weight the method uses is written: one table per answer of the type
        question (or one ``default`` table without a type question), each naming every sub-domain.

        The one exception is a scoring block published before this rule (GRANDFATHERED_EQUAL_WEIGHTS,
        by its hash): it has no ``weights`` at all and states equal weights in its text, so its
        tables are written out here as 1 for every sub-domain, never guessed at scoring time.
        """
        tq = self.questions.get(type_question) if isinstance(type_question, str) else None
        if type_question and tq is None:
            return weights  # QF402 already reported
        table_ids = list(tq.option_ids) if tq else [DEFAULT_WEIGHT_TABLE]
        if "weights" not in raw and canonical_sha256(raw) in GRANDFATHERED_EQUAL_WEIGHTS:
            return MappingProxyType({t: MappingProxyType(dict.fromkeys(subdomains, 1.0)) for t in table_ids})
        raw_tables = raw.get("weights") if isinstance(raw.get("weights"), dict) else {}
        for table_id in table_ids:
            if table_id not in raw_tables:
                answer = f"answer {table_id!r} of {type_question!r}" if tq else "a questionnaire without type_question"
                self.error("QF405", f"no weight table for {answer}; write scoring.weights.{table_id} with a weight "
                           "for every sub-domain", f"scoring.weights.{table_id}", raw, "weights")
                continue
            table = raw_tables[table_id]
            if not isinstance(table, dict):
                continue  # QF103 already reported
            missing = [sd for sd in subdomains if sd not in table]
            if missing:
                self.error("QF405", f"weight table {table_id!r} has no weight for sub-domain(s) {', '.join(missing)}",
                           f"scoring.weights.{table_id}.{missing[0]}", raw_tables, table_id)
        for table_id in raw_tables:
            if str(table_id) not in table_ids:
                self.error("QF402", f"weight table {table_id!r} is not an answer of "
                           f"{type_question or 'a type question'}; tables: {', '.join(table_ids)}",
                           f"scoring.weights.{table_id}", raw_tables, table_id)
        return weights

    def count_exclude(self, ri: dict, path: str) -> tuple[str, ...] | None:
        """``count: question`` or ``count: {question: id, exclude: [option, …]}``: the options not
        counted (besides the exclusive one). None after an error."""
        spec = ri["count"]
        if not isinstance(spec, dict):
            return ()
        self.mapping(spec, f"{path}.count", {"question", "exclude"}, {"question", "exclude"}, ri, "count")
        if set(spec) != {"question", "exclude"}:
            return None  # QF101 / QF102 reported
        exclude, question = spec["exclude"], self.questions.get(spec["question"])
        if not isinstance(exclude, list) or not exclude or not all(isinstance(o, str) for o in exclude):
            self.error("QF103", "exclude takes a non-empty list of option ids", f"{path}.count.exclude", spec, "exclude")
            return None
        if question is not None:
            unknown = [o for o in exclude if o not in question.option_ids]
            if unknown:
                self.error("QF304", f"{question.id!r} has no option {', '.join(map(repr, unknown))}; "
                           f"options: {', '.join(question.option_ids)}", f"{path}.count.exclude", spec, "exclude")
                return None
        return tuple(exclude)

    def rule(self, raw: dict) -> RuleScoring | None:
        keys = {"method", "version", "criteria", "outcome", "indicators"}
        if not self.mapping(raw, "scoring", keys, {"method", "version", "criteria", "outcome"}):
            return None
        version = self._scoring_version(raw)
        criteria: list[Criterion] = []
        known: set[str] = set()
        raw_criteria = raw.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            self.error("QF103", "criteria must be a non-empty list", "scoring.criteria", raw, "criteria")
            raw_criteria = []
        for i, rc in enumerate(raw_criteria):
            path = f"scoring.criteria[{i}]"
            if not self.mapping(rc, path, {"id", "label", "when"}, {"id", "label", "when"}, raw_criteria):
                continue
            cid = self.ident(rc, path, unique=False)
            if cid in known:
                self.error("QF107", f"criterion id {cid!r} is used twice", f"{path}.id", rc, "id")
            condition = self.condition(rc.get("when"), f"{path}.when", criteria=frozenset(known))
            label = self.text(rc, "label", path, required=True)
            if cid and condition and label:
                criteria.append(Criterion(cid, label, condition))
                known.add(cid)
        outcome = raw.get("outcome")
        outcome_condition = outcome_label = outcome_id = None
        if self.mapping(outcome, "scoring.outcome", {"id", "label", "when"}, {"id", "label", "when"}, raw, "outcome"):
            outcome_id = self.ident(outcome, "scoring.outcome", unique=False)
            outcome_label = self.text(outcome, "label", "scoring.outcome", required=True)
            outcome_condition = self.condition(outcome.get("when"), "scoring.outcome.when", criteria=frozenset(known))
        indicators = []
        raw_indicators = raw.get("indicators") or []
        if not isinstance(raw_indicators, list):
            self.error("QF103", "indicators must be a list", "scoring.indicators", raw, "indicators")
            raw_indicators = []
        for i, ri in enumerate(raw_indicators):
            path = f"scoring.indicators[{i}]"
            if not self.mapping(ri, path, {"id", "label", "ratio", "count"}, {"id", "label"}, raw.get("indicators")):
                continue
            kinds = [k for k in ("ratio", "count") if k in ri]
            if len(kinds) != 1:
                self.error("QF101", "an indicator needs exactly one of ratio or count", path)
                continue
            kind = kinds[0]
            exclude = self.count_exclude(ri, path) if kind == "count" else ()
            if exclude is None:
                continue
            refs = ri[kind] if kind == "ratio" else [ri[kind]["question"] if isinstance(ri[kind], dict) else ri[kind]]
            if kind == "ratio" and (not isinstance(refs, list) or len(refs) != 2):
                self.error("QF103", "ratio takes [numerator_question, denominator_question]", f"{path}.ratio", ri, kind)
                continue
            wanted = NUMERIC_TYPES if kind == "ratio" else ("multiple_choice",)
            bad = [r for r in refs if not isinstance(r, str) or r not in self.questions
                   or self.questions[r].type not in wanted]
            if bad:
                self.error("QF402", f"{kind} needs {' or '.join(wanted)} questions; not usable: {', '.join(map(str, bad))}",
                           f"{path}.{kind}", ri, kind)
                continue
            label = self.text(ri, "label", path, required=True)
            iid = self.ident(ri, path, unique=False)
            if iid and label:
                indicators.append(Indicator(iid, label, kind, tuple(refs), exclude))
        if self.errors or version is None:
            return None
        return RuleScoring("rule", version, tuple(criteria), outcome_id, outcome_label, outcome_condition,
                           tuple(indicators))


def _collect_ids(raw) -> set[str]:
    ids = set()
    sections = raw.get("sections") if isinstance(raw, dict) else None
    if isinstance(sections, list):
        for section in sections:
            if isinstance(section, dict) and isinstance(section.get("questions"), list):
                for q in section["questions"]:
                    if isinstance(q, dict) and isinstance(q.get("id"), str):
                        ids.add(q["id"])
    return ids


def _short(value) -> str:
    """repr of a value for a message, cut short: a wrong value may be a whole file."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_text(text: str, file: str = "<string>") -> Questionnaire:
    """Parse and validate questionnaire YAML text; raises QuestionnaireInvalid."""
    def refuse(code: str, message: str, path: str = "(file)", line: int | None = None):
        return QuestionnaireInvalid([LoadError(code, message, file, path, line)])

    if len(text) > MAX_FILE_BYTES:
        raise refuse("QF005", f"{len(text)} characters; at most {MAX_FILE_BYTES} are accepted")
    if not text.strip():
        raise refuse("QF004", "the file is empty")
    try:
        raw = load_yaml(text)
    except DuplicateKeyError as exc:
        raise refuse("QF002", f"duplicate key {_short(exc.key)}", _short(exc.key), exc.line) from None
    except TooDeepError as exc:
        raise refuse("QF006", f"nested more than {MAX_DEPTH} levels deep", line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise refuse("QF001", f"not valid YAML: {problem}", line=line) from None
    if raw is None:
        raise refuse("QF004", "the file has no content (only comments or blank lines)")
    return load_data(raw, file)


def load_data(raw, file: str = "<data>") -> Questionnaire:
    """Validate already-parsed questionnaire data (mappings, lists, scalars); raises QuestionnaireInvalid."""
    validator = _Validator(file)
    validator._all_ids = _collect_ids(raw)
    questionnaire = validator.document(raw)
    if validator.errors or questionnaire is None:
        raise QuestionnaireInvalid(validator.errors or [LoadError("QF103", "empty document", file, "(file)")])
    return questionnaire


def decode(data: bytes, file: str) -> str:
    """UTF-8 bytes (an optional BOM allowed) to text; QF003 with the line of the first bad byte."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise QuestionnaireInvalid([LoadError(
            "QF003", f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}; save the file as UTF-8",
            file, "(file)", line)]) from None


def load_file(path: str | Path) -> Questionnaire:
    """Load one questionnaire file; raises QuestionnaireInvalid naming file, path and code."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise QuestionnaireInvalid([LoadError(
                "QF005", f"{size} bytes; at most {MAX_FILE_BYTES} are accepted", path.name, "(file)")])
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireInvalid([LoadError("QF000", f"cannot read the file: {exc.strerror or exc}",
                                              path.name, "(file)")]) from None
    return load_text(decode(data, path.name), path.name)


def main(argv: list[str]) -> int:
    """Check files as the app does: loader validation plus the published-version manifest."""
    from questionnaires.registry import load_checked

    if not argv:
        print("usage: python -m questionnaires.loader FILE [FILE …]", file=sys.stderr)
        return 2
    status = 0
    for name in argv:
        try:
            q = load_checked(Path(name))
        except QuestionnaireInvalid as exc:
            print(exc, file=sys.stderr)
            status = 1
            continue
        scoring = f", scoring {q.scoring.method} {q.scoring.version}" if q.scoring else ""
        print(f"OK {name}: {q.id} v{q.version}, {len(q.sections)} sections, {len(q.questions)} questions{scoring}")
    return status


if __name__ == "__main__":
    # Run the imported module's main: under ``python -m`` this file is ``__main__``, a second copy
    # whose QuestionnaireInvalid is not the one the registry raises.
    from questionnaires.loader import main as checked_main

    sys.exit(checked_main(sys.argv[1:]))
