"""Fuzz the loader: thousands of mutated questionnaires load or are refused with coded errors — no traceback.

A seeded generator (deterministic, reproducible from the case number in the failure
message) mutates two small valid questionnaires, one per scoring family, at the line,
value and byte level, and feeds each result through the same path as ``load_file``
(bytes -> ``decode`` -> ``load_text``).
"""

from __future__ import annotations

import random
import time

import pytest

from questionnaires.loader import ERROR_CODES, QuestionnaireInvalid, decode, load_data, load_text
from questionnaires.model import Questionnaire

RULE_SEED = """\
format: 1
id: fuzz_rule
version: "1"
title: {zh: 模糊测试, en: Fuzz}
na_reason_max_length: 300
sections:
  - id: basics
    title: 基本情况
    questions:
      - id: kind
        type: single_choice
        text: {zh: 类型, en: Kind}
        options:
          - {id: a, label: 甲, score: 1}
          - {id: b, label: 乙}
      - id: total
        type: integer
        text: 总数
        min: 0
        max: 1000
        unit: {zh: 台, en: units}
      - id: part
        type: integer
        text: 部分
        min: 0
        relevant: {question: total, gt: 0}
      - id: tags
        type: multiple_choice
        text: 标签
        options:
          - {id: x, label: X}
          - {id: none_tag, label: 无, exclusive: true}
  - id: more
    title: 更多
    allow_na: true
    relevant: {any: [{question: kind, equals: a}, {not: {question: tags, includes: none_tag}}]}
    questions:
      - {id: share, type: percentage, text: 比例, allow_na: true}
      - {id: plan, type: scale4, text: 规划, level: 1}
      - {id: ok, type: yes_no, text: 是否, required: false}
      - {id: note, type: long_text, text: 说明, max_length: 50}
      - {id: name, type: text, text: 名称, help: 帮助, evidence: 证据}
      - {id: amount, type: decimal, text: 金额, min: 0.5, max: 99.5}
checks:
  - id: part_le_total
    assert: {question: part, lte: {question: total}}
    message: {zh: 部分不能多于总数, en: Part cannot exceed total}
scoring:
  method: rule
  version: "2025.1"
  criteria:
    - id: c1
      label: 条件一
      when: {all: [{question: kind, in: [a]}, {question: tags, count_gte: 1}]}
    - id: c2
      label: 条件二
      when: {any: [{criterion: c1}, {question: ok, equals: "yes"}]}
  outcome:
    id: result
    label: {zh: 结论, en: Outcome}
    when: {criterion: c2}
  indicators:
    - {id: rate, label: 比率, ratio: [part, total]}
    - {id: count, label: 数量, count: tags}
"""

CMMM_SEED = """\
format: 1
id: fuzz_cmmm
version: "1"
title: 成熟度
sections:
  - id: profile
    title: 类型
    questions:
      - id: mtype
        type: single_choice
        text: 生产方式
        options: [{id: discrete, label: 离散}, {id: process, label: 流程}]
  - id: sd_one
    title: 子域一
    allow_na: true
    questions:
      - {id: one_l1, type: scale4, text: 条目, level: 1}
      - {id: one_l2, type: scale4, text: 条目, level: 2, relevant: {question: mtype, equals: process}}
  - id: sd_two
    title: 子域二
    questions:
      - {id: two_l1, type: scale4, text: 条目, level: 1}
scoring:
  method: cmmm
  version: "1"
  official_weights: false
  type_question: mtype
  scale_values: {not_met: 0, partly_met: 0.5, largely_met: 0.8, fully_met: 1}
  pass_mark: 0.8
  levels:
    - {level: 1, min_score: 0.8, name: 一级}
    - {level: 2, min_score: 1.8, name: {zh: 二级, en: Level 2}}
  below_level_1: 未达到一级
  structure:
    - id: element
      label: 要素
      domains:
        - {id: domain, label: 域, subdomains: [sd_one, sd_two]}
  weights:
    discrete: {sd_one: 1, sd_two: 2}
    process: {sd_one: 1.5, sd_two: 0}
"""

SEEDS = {"rule": RULE_SEED, "cmmm": CMMM_SEED}
CASES_PER_SEED = 550  # two seeds: 1,100 mutants, about 8 s on a busy 2-core machine
SCALARS = ["[]", "{}", "0", "-1", "1.5", ".nan", "-.inf", "true", "null", "~", "''", '"x"', "[1, [2]]", "{a: 1}",
           "[a, b]", "{zh: 中}", "1.0e+400", "9" * 400, "yes", "2025-99-99", "!!int x", "*alias", "&a 1", "|",
           ">-", "'unterminated", "[", "}", "? x", "- - -", "\t", "\\u0000", "@", "`", "%YAML 1.1", "中文", '"\\ud800"', '"\\x00"', "0x1F", "0o17", "1_000", "+.5"]
KEYS = ["id", "type", "text", "options", "questions", "sections", "relevant", "allow_na", "min", "max", "level",
        "question", "equals", "in", "all", "any", "not", "criterion", "scoring", "method", "structure", "weights",
        "levels", "format", "version", "zh", "en", "max_length", "exclusive", "score", "ratio", "count"]


def _mutate_lines(rng: random.Random, lines: list[str]) -> list[str]:
    i = rng.randrange(len(lines))
    kind = rng.randrange(9)
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(i, lines[i])
    elif kind == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 3 and ":" in lines[i]:  # another value, of another type
        key = lines[i].split(":", 1)[0]
        lines[i] = f"{key}: {rng.choice(SCALARS)}"
    elif kind == 4 and ":" in lines[i]:  # another key
        indent = len(lines[i]) - len(lines[i].lstrip(" -"))
        lines[i] = lines[i][:indent] + rng.choice(KEYS) + ":" + lines[i].split(":", 1)[1]
    elif kind == 5:  # re-indent
        delta = rng.choice([-4, -2, -1, 1, 2, 4])
        lines[i] = " " * max(0, len(lines[i]) - len(lines[i].lstrip()) + delta) + lines[i].lstrip()
    elif kind == 6:  # deep nesting in place of a value
        depth = rng.choice([30, 65, 200, 5000])
        key = lines[i].split(":", 1)[0] if ":" in lines[i] else "  x"
        opener, closer = rng.choice([("[", "]"), ("{a: ", "}"), ("- ", "")])
        lines[i] = f"{key}: " + opener * depth + "1" + closer * depth
    elif kind == 7:  # a random character somewhere in the line
        pos = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + rng.choice("&*!|>%@`?-:{}[],#'\"\t\\ 中") + lines[i][pos:]
    else:  # a line moved elsewhere
        lines.insert(rng.randrange(len(lines)), lines.pop(i))
    return lines


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(4)
    pos = rng.randrange(len(data) + 1)
    if kind == 0:
        return data[:pos]  # truncated (possibly inside a UTF-8 sequence)
    if kind == 1:
        return data[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + data[pos:]
    if kind == 2:
        return data.replace("中".encode(), "中".encode("gbk")) if rng.random() < 0.3 else data[:pos] + b"\x00" + data[pos:]
    return data[:pos] + data[pos:][::-1][: rng.randint(0, 40)] + data[pos:]


def mutant(seed_text: str, case: int) -> bytes:
    """The case-th mutant of a seed: 1-4 line mutations, sometimes followed by a byte mutation."""
    rng = random.Random(case)
    lines = seed_text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if lines:
            lines = _mutate_lines(rng, lines)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if rng.random() < 0.25:
        data = _mutate_bytes(rng, data)
    return data


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_questionnaires_are_valid(seed):
    assert isinstance(load_text(SEEDS[seed]), Questionnaire)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_mutated_questionnaires_load_or_are_refused_with_coded_errors(seed):
    started = time.monotonic()
    outcomes = {"loaded": 0, "refused": 0}
    codes = set()
    for case in range(CASES_PER_SEED):
        data = mutant(SEEDS[seed], case)
        try:
            questionnaire = load_text(decode(data, "fuzz.yaml"), "fuzz.yaml")
        except QuestionnaireInvalid as exc:
            assert exc.errors, f"case {case}: refused without an error"
            for error in exc.errors:
                assert error.code in ERROR_CODES, f"case {case}: undocumented code {error.code}"
                assert str(error).startswith("fuzz.yaml: ")
                codes.add(error.code)
            outcomes["refused"] += 1
        except Exception as exc:  # the property under test: nothing else ever escapes
            pytest.fail(f"{seed} case {case}: {type(exc).__name__}: {exc}\n--- input ---\n{data[:3000]!r}")
        else:
            assert isinstance(questionnaire, Questionnaire)
            outcomes["loaded"] += 1
    # the mutations reach deep: many distinct error codes, and some mutants still load
    assert outcomes["refused"] > CASES_PER_SEED // 2 and outcomes["loaded"] > 0, outcomes
    assert len(codes) >= 10, sorted(codes)
    assert time.monotonic() - started < 20


def _paths(data, prefix=()):
    """Every position in parsed YAML data: mapping values and list items, depth first."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _replaced(data, path, new):
    if not path:
        return new
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replaced(data[path[0]], path[1:], new)
    return copy


WRONG = [7, -2.5, True, None, "文字", [], ["a", 1], {}, {"zh": 1}, {"a": [1]}]


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_a_wrong_type_at_any_position_is_a_coded_error(seed):
    """Every position of the seed gets every wrong-typed value of WRONG."""
    import yaml

    data = yaml.safe_load(SEEDS[seed])
    paths = list(_paths(data))
    assert len(paths) > 80
    started = time.monotonic()
    for path in paths:
        for new in WRONG:
            try:  # parsing is fuzzed above; this is about the validator, so it gets the data itself
                load_data(_replaced(data, path, new), "typed.yaml")
            except QuestionnaireInvalid as exc:
                assert all(e.code in ERROR_CODES for e in exc.errors)
            except Exception as exc:  # the property under test
                pytest.fail(f"{seed} at {path} = {new!r}: {type(exc).__name__}: {exc}")
    for path in [(), *paths]:  # an odd key in every mapping: not every YAML key is a string
        target = data
        for step in path:
            target = target[step]
        if isinstance(target, dict):
            for key in (7, None, True, 2.5, ""):
                try:
                    load_data(_replaced(data, path, {**target, key: "x"}), "typed.yaml")
                except QuestionnaireInvalid as exc:
                    assert all(e.code in ERROR_CODES for e in exc.errors)
                except Exception as exc:  # the property under test
                    pytest.fail(f"{seed} at {path}, key {key!r}: {type(exc).__name__}: {exc}")
    assert time.monotonic() - started < 20
