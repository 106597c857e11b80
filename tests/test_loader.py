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
    "QF004": "# only a comment\n\n",
    "QF005": BASE + "# " + "x" * 2_000_000 + "\n",
    "QF006": BASE + "checks: " + "[" * 10_000 + "]" * 10_000 + "\n",
    # a weight table for discrete only: process and mixed, which the type question offers, have none
    "QF405": build_yaml(weights={"discrete": {"sd_a": 1, "sd_b": 2, "sd_c": 1}}),
}

# Codes that only a file on disk can produce: (file name or None for a missing file, bytes).
FILE_CASES = {
    "QF000": None,
    "QF003": BASE.encode("utf-8").replace("测试".encode(), "测试".encode("gbk")),
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
    untested = set(ERROR_CODES) - set(CASES) - set(FILE_CASES) - {"QF501", "QF502"}
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


@pytest.mark.parametrize("code", sorted(FILE_CASES))
def test_file_level_error_codes(tmp_path, code):
    path = tmp_path / "bad.yaml"
    if FILE_CASES[code] is not None:
        path.write_bytes(FILE_CASES[code])
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_file(path)
    assert [e.code for e in exc.value.errors] == [code]
    assert str(exc.value.errors[0]).startswith("bad.yaml: ")


def test_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(FILE_CASES["QF003"])
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_file(path)
    assert exc.value.errors[0].line == 4 and "UTF-8" in exc.value.errors[0].message


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(3_000_000)
    with pytest.raises(QuestionnaireInvalid, match="QF005"):
        load_file(path)


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_file(path).id == "t"


@pytest.mark.parametrize("text", [
    "[" * 10_000 + "]" * 10_000,
    "a:\n" + "".join(" " * i + "- \n" for i in range(1, 1000)),
    "- " * 5000 + "x\n",
    "{a: " * 5000 + "1" + "}" * 5000,
], ids=["flow-lists", "block-lists", "compact-lists", "flow-maps"])
def test_absurd_nesting_is_a_located_error_not_a_recursion_error(text):
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_text(text, "deep.yaml")
    assert exc.value.errors[0].code in ("QF006", "QF001")
    assert exc.value.errors[0].line is not None


@pytest.mark.parametrize("snippet,code", [
    ("a: &x [1]\nb: *x\n", "QF001"),  # aliases
    ("a: !!int abc\n", "QF001"),  # explicit tags
    ("a: !!python/object/apply:os.system [ls]\n", "QF001"),
    ("? [a]\n: b\n", "QF001"),  # a list as a key
    ("a: " + "9" * 5000 + "\n", "QF001"),  # an integer Python will not convert
    ("a: \x00\n", "QF001"),  # a control character
    ('a: "\\ud800"\n', "QF001"),  # an escape that is no character (UTF-8 cannot hold it)
])
def test_unsafe_yaml_constructs_are_refused(snippet, code):
    assert _codes(snippet)[0] == code


@pytest.mark.parametrize("old,new,code", [
    ("format: 1", "format: true", "QF105"),
    ("format: 1", "format: 1.0", "QF105"),
    ("format: 1", 'format: "1"', "QF105"),
    ("format: 1", "format: [1]", "QF105"),
    ("title: 测试", "title: 42", "QF103"),
    ("title: 测试", "title: [测试]", "QF103"),
    ("sections:\n", "sections: 5\nx:\n", "QF103"),
    ("    questions:\n", "    questions: {a: 1}\n    q:\n", "QF103"),
    ("        type: single_choice", "        type: [single_choice]", "QF201"),
    ("          - {id: a, label: 甲}", "          - 7", "QF103"),
    ("          - {id: a, label: 甲}", "          - {id: [a], label: 甲}", "QF106"),
    ("          - {id: a, label: 甲}", "          - {id: a, label: {zh: [甲]}}", "QF110"),
    ("        min: 0", "        min: .nan", "QF108"),
    ("        max: 10", "        max: .inf", "QF108"),
    ("        max: 10", "        max: 1.0e+300", "QF108"),
    ("        max: 10", "        max: " + "9" * 400, "QF108"),
    ("        min: 0", "        min: {a: 1}", "QF103"),
    ('version: "1"', "version: [1]", "QF104"),
    ("title: 测试", "title: 测试\nna_reason_max_length: 0", "QF108"),
    ("title: 测试", "title: 测试\nna_reason_max_length: ten", "QF103"),
])
def test_wrong_types_anywhere_are_coded_errors(old, new, code):
    text = BASE.replace(old, new, 1)
    assert text != BASE
    assert code in _codes(text)


@pytest.mark.parametrize("tail", [
    "checks: 5\n",
    "checks: [5]\n",
    "checks:\n  - {id: c, assert: {criterion: [x]}, message: 消息}\n",
    "checks:\n  - {id: c, assert: {question: [count], gt: 1}, message: 消息}\n",
    "checks:\n  - {id: c, assert: {all: 3}, message: 消息}\n",
    "scoring: [1]\n",
    "scoring:\n  method: rule\n  version: '1'\n  criteria: 3\n  outcome: 4\n  indicators: 5\n",
    "scoring:\n  method: rule\n  version: '1'\n  criteria: []\n  outcome: {}\n  indicators: [{id: i, label: I, ratio: [[count], count]}]\n",
    "scoring:\n  method: cmmm_quick\n  version: '1'\n  type_question: [kind]\n  pass_mark: 0.8\n  below_level_1: 无\n"
    "  levels: 3\n  structure: [{id: e, label: E, domains: 7}]\n  weights: {d: 3}\n",
])
def test_wrong_types_in_checks_and_scoring_are_coded_errors(tail):
    assert _codes(BASE + tail)


def test_dates_stay_strings():
    assert load_text(BASE.replace('version: "1"', "version: 2025-13-45")).version == "2025-13-45"


def test_na_reason_limit_defaults_to_500_and_can_be_declared():
    assert load_text(BASE).na_reason_max_length == 500
    assert load_text(BASE.replace("title: 测试", "title: 测试\nna_reason_max_length: 80")).na_reason_max_length == 80
