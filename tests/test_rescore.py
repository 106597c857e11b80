"""Rule versions: re-evaluation under a changed rule keeps the old verdicts on record."""

from __future__ import annotations

from manage import rescore
from questionnaires import registry
from questionnaires.loader import load_text
from tests.conftest import ROOT


def test_rule_change_and_rescore_keep_old_verdicts(fresh_db, monkeypatch):
    before = {r["assessment_id"]: r for r in fresh_db.query(
        "SELECT * FROM results WHERE questionnaire_id = 'ii_adoption' AND is_current = 1")}
    assert before and {r["scoring_version"] for r in before.values()} == {"2025.1"}

    path = ROOT / "questionnaires" / "ii_adoption_v1.yaml"
    text = path.read_text(encoding="utf-8").replace('version: "2025.1"', 'version: "2099.1"')
    # New definition: having networked equipment on a platform is enough on its own.
    text = text.replace("- {criterion: equipment_and_cloud}", "- {criterion: equipment_data_on_platform}")
    changed = load_text(text, path.name)
    assert changed.scoring.version == "2099.1"
    catalogue = dict(registry.load_all())
    catalogue[changed.key] = changed
    monkeypatch.setitem(registry._cache, str(registry.DIRECTORY), catalogue)

    counts = rescore(fresh_db, "ii_adoption")
    assert counts["rescored"] == len(before)
    after = {r["assessment_id"]: r for r in fresh_db.query(
        "SELECT * FROM results WHERE questionnaire_id = 'ii_adoption' AND is_current = 1")}
    assert {r["scoring_version"] for r in after.values()} == {"2099.1"}
    assert all(after[a]["outcome"] >= before[a]["outcome"] for a in before)  # the new rule is looser
    assert counts["outcome_after"] == sum(r["outcome"] for r in after.values())
    old = list(fresh_db.query("SELECT * FROM results WHERE scoring_version = '2025.1' AND questionnaire_id = 'ii_adoption'"))
    assert len(old) == len(before) and all(r["is_current"] == 0 for r in old)
    assert fresh_db.execute("SELECT count(*) FROM audit_log WHERE action = 'rescore'").fetchone()[0] == len(before)
    assert rescore(fresh_db, "ii_adoption")["rescored"] == 0  # idempotent
