"""The questionnaire loader: every error code from a malformed snippet, with file and path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from questionnaires.loader import ERROR_CODES, QuestionnaireInvalid, load_file, load_text
from tests.cmmm_inline import build_yaml

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
format: 1
id: t
version: "1"
title: 测试
sections:
  - id: s1
    title: 第一节
    questions:
      - id: kind
        type: single_choice
        text: 类型
        options:
          - {id: a, label: 甲}
          - {id: b, label: 乙}
      - id: count
        type: integer
        text: 数量
        min: 0
        max: 10
      - id: tags
        type: multiple_choice
        text: 标签
        options:
          - {id: x, label: X}
          - {id: none_tag, label: 无, exclusive: true}
"""


def _codes(text: str) -> list[str]:
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_text(text, "bad.yaml")
    for error in exc.value.errors:
        assert str(error).startswith("bad.yaml: ")
    return [e.code for e in exc.value.errors]


def test_base_snippet_loads():
    q = load_text(BASE)
    assert [x.id for x in q.sections[0].questions] == ["kind", "count", "tags"]


def _extra_question(body: str) -> str:
    return BASE + "      - " + body.replace("\n", "\n        ") + "\n"


CASES = {
    "QF001": BASE + "  - [unclosed\n",
    "QF002": BASE.replace('version: "1"', 'version: "1"\nversion: "2"'),
    "QF101": BASE.replace("title: 测试\n", ""),
    "QF102": BASE.replace("title: 测试\n", "title: 测试\ncolour: red\n"),
    "QF103": BASE.replace("        min: 0\n", "        min: zero\n"),
    "QF104": BASE.replace('version: "1"', "version: 1"),
    "QF105": BASE.replace("format: 1", "format: 2"),
    "QF106": BASE.replace("id: kind", "id: Kind-1"),
    "QF107": BASE.replace("id: count", "id: kind"),
    "QF108": _extra_question("id: lv\ntype: scale4\ntext: 条目\nlevel: 7"),
    "QF110": BASE.replace("title: 测试", "title: {en: Test}"),
    "QF201": _extra_question("id: z\ntype: slider\ntext: 滑块"),
    "QF202": _extra_question("id: z\ntype: single_choice\ntext: 单选\noptions:\n  - {id: only, label: 唯一}"),
    "QF203": _extra_question("id: z\ntype: single_choice\ntext: 单选\noptions:\n  - {id: p, label: P, exclusive: true}\n"
                             "  - {id: q, label: Q}"),
    "QF204": BASE.replace("        min: 0\n", "        min: 20\n"),
    "QF205": _extra_question("id: z\ntype: yes_no\ntext: 是否\nmax_length: 3"),
    "QF301": _extra_question("id: z\ntype: text\ntext: 文本\nrelevant: {question: nothing, equals: a}"),
    "QF302": BASE.replace("        min: 0\n", "        min: 0\n        relevant: {question: tags, includes: x}\n"),
    "QF303": _extra_question("id: z\ntype: text\ntext: 文本\nrelevant: {question: kind, gt: 3}"),
    "QF304": _extra_question("id: z\ntype: text\ntext: 文本\nrelevant: {question: kind, equals: c}"),
    "QF305": _extra_question("id: z\ntype: text\ntext: 文本\nrelevant: {question: kind, equals: a, in: [b]}"),
    "QF306": BASE + "scoring:\n  method: rule\n  version: '1'\n  criteria:\n    - {id: c1, label: C, when: {criterion: c2}}\n"
             "  outcome: {id: o, label: O, when: {criterion: c1}}\n",
    "QF401": BASE + "scoring:\n  method: magic\n  version: '1'\n",
    "QF402": BASE + "scoring:\n  method: rule\n  version: '1'\n  criteria:\n    - {id: c1, label: C, when: {question: count, gt: 1}}\n"
             "  outcome: {id: o, label: O, when: {criterion: c1}}\n  indicators:\n    - {id: i, label: I, ratio: [count, ghost]}\n",
    "QF403": BASE + "scoring:\n  method: cmmm_quick\n  version: '1'\n  pass_mark: 0.8\n  below_level_1: 无\n"
             "  levels:\n    - {level: 1, min_score: 0.8, name: 一级}\n"
             "  structure:\n    - {id: e, label: E, domains: [{id: d, label: D, subdomains: [kind]}]}\n",
    "QF404": BASE + "scoring:\n  method: cmmm_quick\n  version: '1'\n  pass_mark: 0.8\n  below_level_1: 无\n"
             "  levels:\n    - {level: 1, min_score: 1.8, name: 一级}\n    - {level: 2, min_score: 0.8, name: 二级}\n"
             "  structure:\n    - {id: e, label: E, domains: [{id: d, label: D, subdomains: [kind]}]}\n",
    # a weight table for discrete only: process and mixed, which the type question offers, have none
    "QF405": build_yaml(weights={"discrete": {"sd_a": 1, "sd_b": 2, "sd_c": 1}}),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_error_code_from_a_malformed_snippet(code):
    assert code in _codes(CASES[code])


def test_errors_name_path_and_line():
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_text(CASES["QF301"], "bad.yaml")
    error = next(e for e in exc.value.errors if e.code == "QF301")
    assert error.path == "sections[0].questions[3].relevant.question"
    assert "bad.yaml: sections[0].questions[3].relevant.question" in str(error)
    assert error.line is not None


def test_duplicate_key_reports_line():
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_text(CASES["QF002"], "bad.yaml")
    assert exc.value.errors[0].line == 4


def test_yes_no_stay_strings():
    q = load_text(BASE.replace("{id: a, label: 甲}", "{id: a, label: yes}").replace("{id: b, label: 乙}", '{id: "no", label: 否}'))
    assert q.questions["kind"].option("a").label.zh == "yes"
    assert q.questions["kind"].option_ids == ("a", "no")


def test_all_mistakes_reported_at_once():
    text = BASE.replace('version: "1"', "version: 1").replace("id: count", "id: Count")
    assert {"QF104", "QF106"} <= set(_codes(text))


def test_model_is_immutable():
    q = load_text(BASE)
    with pytest.raises(AttributeError):
        q.id = "other"
    with pytest.raises(TypeError):
        q.questions["x"] = None


@pytest.mark.parametrize("path", sorted((ROOT / "questionnaires").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_questionnaires_load_and_match_manifest(path):
    from questionnaires.registry import manifest_errors, read_manifest

    q = load_file(path)
    assert path.name == f"{q.id}_v{q.version}.yaml"
    assert manifest_errors(q, read_manifest()) == []
    assert f"{q.id}@{q.version}" in read_manifest(), "publish it: python manage.py publish " + path.name


def test_every_error_code_is_documented_and_tested():
    doc = (ROOT / "docs" / "questionnaire-format.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (QF\d{3}) \|", doc, flags=re.M))
    assert documented == set(ERROR_CODES)
    untested = set(ERROR_CODES) - set(CASES) - {"QF501", "QF502"}
    assert not untested


def test_every_question_type_and_operator_is_documented():
    from questionnaires.conditions import ALL_OPS
    from questionnaires.model import QUESTION_TYPES

    doc = (ROOT / "docs" / "questionnaire-format.md").read_text(encoding="utf-8")
    for name in (*QUESTION_TYPES, *ALL_OPS, "cmmm", "cmmm_quick", "rule", "allow_na", "relevant", "evidence"):
        assert f"`{name}`" in doc, f"{name} is not documented in docs/questionnaire-format.md"


def test_example_uses_every_question_type():
    from questionnaires.model import QUESTION_TYPES

    q = load_file(ROOT / "questionnaires" / "example_v1.yaml")
    assert {x.type for x in q.questions.values()} == set(QUESTION_TYPES)
    assert q.checks and q.scoring and any(s.relevant for s in q.sections) and any(s.allow_na for s in q.sections)


def test_app_refuses_a_broken_questionnaire_directory(tmp_path):
    from questionnaires import registry

    (tmp_path / "broken_v1.yaml").write_text(CASES["QF104"], encoding="utf-8")
    with pytest.raises(QuestionnaireInvalid, match="QF104"):
        registry.load_all(tmp_path)
