"""The ii_adoption rule: criteria alone and combined, checks, indicators, rule versions."""

from __future__ import annotations

import pytest

import scoring
from questionnaires.answers import failed_checks
from questionnaires.loader import load_file, load_text
from questionnaires.registry import manifest_errors, read_manifest
from tests.conftest import ROOT

PATH = ROOT / "questionnaires" / "ii_adoption_v1.yaml"
TEXT = PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def q():
    return load_file(PATH)


def base(**over) -> dict:
    answers = {"platform_use": "none", "equipment_total": 10, "equipment_digitised": 5, "equipment_networked": 2,
               "equipment_on_platform": 0, "cloud_systems": ["none_cloud"]}
    answers.update(over)
    return {k: v for k, v in answers.items() if v is not None}


def met(result) -> dict[str, bool]:
    return {c["id"]: c["met"] for c in result["criteria"]}


CASES = [
    # id, answers, expected criteria met, outcome
    ("nothing", base(), set(), False),
    ("platform_in_production", base(platform_use="own", platform_functions=["equipment_monitoring"]),
     {"platform_in_production"}, True),
    ("third_party_platform", base(platform_use="third_party", platform_functions=["office_only", "energy_management"]),
     {"platform_in_production"}, True),
    ("office_only_function", base(platform_use="own", platform_functions=["office_only"]), set(), False),
    ("platform_without_functions", base(platform_use="own"), set(), False),
    ("none_with_leftover_functions", base(platform_use="none", platform_functions=["equipment_monitoring", "supply_chain"]),
     set(), False),
    ("equipment_on_platform_only", base(equipment_on_platform=1), {"equipment_data_on_platform"}, False),
    ("production_system_in_cloud_only", base(cloud_systems=["erp", "oa"]), {"production_system_in_cloud"}, False),
    ("office_cloud_only", base(equipment_on_platform=2, cloud_systems=["oa", "crm"]), {"equipment_data_on_platform"}, False),
    ("equipment_and_cloud", base(equipment_on_platform=1, cloud_systems=["mes"]),
     {"equipment_data_on_platform", "production_system_in_cloud", "equipment_and_cloud"}, True),
    ("all", base(platform_use="own", platform_functions=["remote_maintenance"], equipment_on_platform=2, cloud_systems=["plm", "scm"]),
     {"platform_in_production", "equipment_data_on_platform", "production_system_in_cloud", "equipment_and_cloud"}, True),
]


@pytest.mark.parametrize(("answers", "expected", "outcome"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_criteria_and_outcome(q, answers, expected, outcome):
    assert failed_checks(q, answers) == []
    r = scoring.score(q, answers)
    assert r["method"] == "rule" and r["outcome_id"] == "applies_ii" and r["scoring_version"] == "2026.1"
    assert {c for c, m in met(r).items() if m} == expected
    assert [c["id"] for c in r["criteria"]] == ["platform_in_production", "equipment_data_on_platform",
                                                 "production_system_in_cloud", "equipment_and_cloud"]
    assert r["outcome"] is outcome and r["score"] is None and r["level"] is None


@pytest.mark.parametrize(("on_platform", "outcome"), [(0, False), (1, True)])
def test_equipment_on_platform_boundary(q, on_platform, outcome):
    r = scoring.score(q, base(equipment_on_platform=on_platform, cloud_systems=["erp"]))
    assert met(r)["equipment_data_on_platform"] is outcome and r["outcome"] is outcome


def test_unanswered_equipment_on_platform_is_not_met(q):
    r = scoring.score(q, base(equipment_on_platform=None, cloud_systems=["erp"]))
    assert met(r)["equipment_data_on_platform"] is False and r["outcome"] is False


@pytest.mark.parametrize(("over", "check_id", "message_en"), [
    ({"equipment_digitised": 11}, "digitised_le_total", None),
    ({"equipment_networked": 6}, "networked_le_digitised", "Networked equipment cannot exceed digitised equipment"),
    ({"equipment_on_platform": 3}, "on_platform_le_networked", None),
])
def test_inconsistent_equipment_counts_fail_checks(q, over, check_id, message_en):
    failed = failed_checks(q, base(**over))
    assert [c.id for c in failed] == [check_id]
    msg = failed[0].message
    assert msg.zh and msg.get("en")
    if message_en:
        assert msg.get("en") == message_en


def test_check_skipped_when_a_count_is_unanswered(q):
    assert failed_checks(q, base(equipment_total=None, equipment_digitised=99)) == []


def test_indicators(q):
    answers = base(platform_use="own", platform_functions=["equipment_monitoring", "office_only", "supply_chain"],
                   equipment_total=8, equipment_digitised=6, equipment_networked=3, equipment_on_platform=1,
                   cloud_systems=["erp", "mes", "oa"])
    ind = scoring.score(q, answers)["indicators"]
    assert ind == {"digitisation_rate": 75.0, "networking_rate": 37.5, "platform_share": 12.5,
                   "platform_function_count": 2, "cloud_system_count": 3}  # office_only is not counted


@pytest.mark.parametrize(("functions", "count"), [
    (["office_only"], 0), (["office_only", "energy_management"], 1),
    (["equipment_monitoring", "production_analytics", "quality_traceability", "energy_management", "supply_chain",
      "cloud_rnd", "industrial_apps", "remote_maintenance", "office_only"], 8),
])
def test_office_only_is_not_an_industrial_function(q, functions, count):
    r = scoring.score(q, base(platform_use="own", platform_functions=functions))
    assert r["indicators"]["platform_function_count"] == count
    assert met(r)["platform_in_production"] is (count > 0)


def test_indicators_exclusive_none_and_zero_total(q):
    ind = scoring.score(q, base(equipment_total=0, equipment_digitised=0, equipment_networked=0))["indicators"]
    assert ind["cloud_system_count"] == 0  # the exclusive none_cloud option does not count
    assert ind["platform_function_count"] == 0  # platform_functions irrelevant without a platform
    assert ind["digitisation_rate"] is None and ind["networking_rate"] is None  # division by zero -> no rate
    ind2 = scoring.score(q, base(equipment_total=3, equipment_digitised=1))["indicators"]
    assert ind2["digitisation_rate"] == pytest.approx(100 / 3, abs=1e-12)  # full precision; the page rounds


# -- rule versions ----------------------------------------------------------------------------------

ONLY_PLATFORM = """    when:
      any:
        - {criterion: platform_in_production}
        - {criterion: equipment_and_cloud}"""


def _changed_rule(version: str | None) -> str:
    assert ONLY_PLATFORM in TEXT
    text = TEXT.replace(ONLY_PLATFORM, "    when: {criterion: platform_in_production}")
    if version:
        assert text.count('version: "2026.1"') == 1
        text = text.replace('version: "2026.1"', f'version: "{version}"')
    return text


def test_new_rule_version_is_carried_by_results(q):
    answers = base(equipment_on_platform=1, cloud_systems=["mes"])
    before = scoring.score(q, answers)
    assert before["scoring_version"] == "2026.1" and before["outcome"] is True

    new = load_text(_changed_rule("2099.1"), PATH.name)
    assert new.key == q.key and new.scoring.version == "2099.1"
    after = scoring.score(new, answers)
    assert after["scoring_version"] == "2099.1" and after["outcome"] is False  # only the platform criterion now
    assert before["scoring_version"] == "2026.1" and before["outcome"] is True  # the earlier result is untouched
    assert scoring.score(q, answers) == before  # the published version still scores the same
    assert manifest_errors(new, read_manifest()) == []  # a new scoring version is allowed


def test_manifest_clean_for_the_published_file(q):
    assert manifest_errors(q, read_manifest()) == []


def test_manifest_qf502_scoring_changed_without_new_version():
    changed = load_text(_changed_rule(None), PATH.name)
    errors = manifest_errors(changed, read_manifest())
    assert [e.code for e in errors] == ["QF502"]


def test_manifest_qf501_question_text_changed(q):
    line = f"zh: {q.questions['platform_use'].text.zh}"
    assert TEXT.count(line) == 1
    changed = load_text(TEXT.replace(line, line + "（修改）"), PATH.name)
    assert changed.questions["platform_use"].text.zh.endswith("（修改）")
    assert changed.scoring_sha256 == q.scoring_sha256
    assert [e.code for e in manifest_errors(changed, read_manifest())] == ["QF501"]
