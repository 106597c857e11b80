"""The command lines apply the app's checks: manifest, consistency checks, unknown ids, not-applicable rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scoring
from questionnaires import loader

ROOT = Path(__file__).resolve().parents[1]
QDIR = ROOT / "questionnaires"
II = str(QDIR / "ii_adoption_v1.yaml")
EXAMPLE = str(QDIR / "example_v1.yaml")


def _edited_copy(tmp_path, name: str, old: str, new: str) -> str:
    text = (QDIR / name).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def _answers(tmp_path, data, name="answers.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _score(capsys, questionnaire: str, answers: str) -> tuple[int, list[str], str]:
    status = scoring.main([questionnaire, answers])
    out, err = capsys.readouterr()
    return status, [line for line in err.splitlines() if "note:" not in line], out


# -- python -m questionnaires.loader ------------------------------------------------

def test_loader_cli_accepts_the_shipped_files(capsys):
    assert loader.main([str(p) for p in sorted(QDIR.glob("*.yaml"))]) == 0
    assert capsys.readouterr().out.count("OK ") == 4


@pytest.mark.parametrize("name,old,new,code", [
    ("cmmm_quick_v1.yaml", "zh: 先选择贵企业的生产方式。", "zh: 先选择贵企业的主要生产方式。", "QF501"),
    ("cmmm_full_v1.yaml", "pass_mark: 0.8", "pass_mark: 0.7", "QF502"),
    ("example_v1.yaml", "max: 5000", "max: 50000", "QF501"),
])
def test_loader_cli_refuses_an_edited_published_file_wherever_it_lies(tmp_path, capsys, name, old, new, code):
    path = _edited_copy(tmp_path, name, old, new)
    assert loader.main([path]) == 1
    err = capsys.readouterr().err
    assert f"[{code}]" in err and name in err


def test_loader_cli_one_line_per_mistake_and_exit_1(tmp_path, capsys):
    bad = _edited_copy(tmp_path, "example_v1.yaml", 'id: example\nversion: "1"', "id: Example\nversion: 1")
    assert loader.main([bad]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and {"[QF104]" in ln or "[QF106]" in ln for ln in lines} == {True}


@pytest.mark.parametrize("content,code", [(b"\xff\xfe f\x00o\x00", "QF003"), (b"", "QF004"), (None, "QF000")])
def test_loader_cli_file_level_errors(tmp_path, capsys, content, code):
    path = tmp_path / "x.yaml"
    if content is not None:
        path.write_bytes(content)
    assert loader.main([str(path)]) == 1
    assert f"[{code}]" in capsys.readouterr().err


def test_loader_cli_as_a_subprocess(tmp_path):
    path = _edited_copy(tmp_path, "example_v1.yaml", "max: 5000", "max: 50000")
    run = subprocess.run([sys.executable, "-m", "questionnaires.loader", path], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1 and "[QF501]" in run.stderr and "Traceback" not in run.stderr


# -- python scoring.py ----------------------------------------------------------------

def test_scoring_cli_scores_valid_answers(tmp_path, capsys):
    answers = _answers(tmp_path, {"answers": {"platform_use": "own", "equipment_total": 10,
                                              "equipment_digitised": 5, "platform_name": "  工业云  "}})
    status, err, out = _score(capsys, II, answers)
    assert status == 0 and err == []
    result = json.loads(out)
    assert result["indicators"]["digitisation_rate"] == 50.0


def test_scoring_cli_runs_the_consistency_checks(tmp_path, capsys):
    answers = _answers(tmp_path, {"answers": {"equipment_total": 10, "equipment_digitised": 20}})
    status, err, out = _score(capsys, II, answers)
    assert status == 1 and out == ""
    assert len(err) == 1 and "checks.digitised_le_total" in err[0] and "equipment_digitised" in err[0]


def test_scoring_cli_refuses_an_edited_published_file(tmp_path, capsys):
    path = _edited_copy(tmp_path, "ii_adoption_v1.yaml", "ratio: [equipment_digitised, equipment_total]",
                        "ratio: [equipment_total, equipment_digitised]")
    status, err, _ = _score(capsys, path, _answers(tmp_path, {}))
    assert status == 1 and any("[QF502]" in line for line in err)


@pytest.mark.parametrize("data,location,fragment", [
    ({"answers": {"equipment_totl": 3}}, "answers.equipment_totl", "no such item"),
    ({"answers": {"process_only": "x"}}, "answers.process_only", "section"),
    ({"answers": {"employees": float("nan")}}, "answers.employees", "valid number"),
    ({"answers": {"employees": 1e400}}, "answers.employees", "valid number"),
    ({"answers": {"employees": 10**30}}, "answers.employees", "too large"),
    ({"answers": {"employees": True}}, "answers.employees", "enter a number"),
    ({"answers": {"systems": 3}}, "answers.systems", "tick options"),
    ({"answers": {"company_kind": ["discrete"]}}, "answers.company_kind", "choose one"),
    ({"answers": {"erp_vendor": "x" * 201}}, "answers.erp_vendor", "at most 50"),
    ({"not_applicable": {"export_shar": "无出口"}, "answers": {}}, "not_applicable.export_shar", "no such item"),
    ({"not_applicable": {"has_erp": "无"}, "answers": {}}, "not_applicable.has_erp", "cannot be declared"),
    ({"not_applicable": {"export_share": 5}, "answers": {}}, "not_applicable.export_share", "must be text"),
    ({"not_applicable": {"export_share": "  "}, "answers": {}}, "not_applicable.export_share", "reason is required"),
    ({"not_applicable": {"export_share": "长" * 501}, "answers": {}}, "not_applicable.export_share", "at most 500"),
    ({"not_applicable": {"export_share": "无出口"}, "answers": {"export_share": 5}}, "not_applicable.export_share",
     "both answered"),
    ({"answers": {"employees": 10, "systems": ["mes"], "mes_users": 20}}, "checks.mes_users_le_employees",
     "cannot exceed"),
])
def test_scoring_cli_refuses_bad_answers_with_their_location(tmp_path, capsys, data, location, fragment):
    status, err, out = _score(capsys, EXAMPLE, _answers(tmp_path, data))
    assert status == 1 and out == ""
    assert len(err) == 1, err
    assert f": {location}" in err[0] and fragment in err[0]


def test_scoring_cli_reports_every_problem_on_its_own_line(tmp_path, capsys):
    data = {"answers": {"ghost": 1, "employees": -5, "systems": "mes"}, "not_applicable": {"has_erp": "x"}}
    status, err, _ = _score(capsys, EXAMPLE, _answers(tmp_path, data))
    assert status == 1 and len(err) == 4


def test_scoring_cli_accepts_allowed_not_applicable_declarations(tmp_path, capsys):
    data = {"answers": {"company_kind": "process", "has_erp": "yes", "digital_plan": "fully_met"},
            "not_applicable": {"export_share": "无出口业务", "process_only": "无连续装置"}}
    status, _, out = _score(capsys, EXAMPLE, _answers(tmp_path, data))
    assert status == 0 and json.loads(out)["outcome"] is True


@pytest.mark.parametrize("text,fragment", [
    ("[1, 2]", "must be an object"),
    ('{"answers": [], "not_applicable": {}}', "must be objects"),
    ('{"answers": {}, "notapplicable": {}}', "unknown top-level key"),
    ('{"employees": 1, "employees": 2}', "appears twice"),
    ("{not json", "Expecting"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_scoring_cli_refuses_a_malformed_answers_file(tmp_path, capsys, text, fragment):
    status, err, _ = _score(capsys, EXAMPLE, _answers(tmp_path, text))
    assert status == 1 and len(err) == 1 and fragment in err[0]


def test_scoring_cli_refuses_an_answers_file_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "gbk.json"
    path.write_bytes('{"erp_vendor": "用友"}'.encode("gbk"))
    status, err, _ = _score(capsys, EXAMPLE, str(path))
    assert status == 1 and "utf-8" in err[0].lower()


def test_scoring_cli_as_a_subprocess(tmp_path):
    answers = _answers(tmp_path, {"answers": {"equipment_total": 10, "equipment_digitised": 20}})
    run = subprocess.run([sys.executable, "scoring.py", II, answers], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 1 and run.stdout == "" and "Traceback" not in run.stderr
    assert "checks.digitised_le_total" in run.stderr
