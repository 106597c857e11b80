"""Page tests through AppTest: guards, autosave and resume, submit, explained results."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP, ROOT

PAGES = ["app_pages/ent_assessments.py", "app_pages/ent_fill.py", "app_pages/result.py",
         "app_pages/provider_enterprises.py", "app_pages/bureau_overview.py", "app_pages/admin_users.py",
         "app_pages/admin_questionnaires.py", "app_pages/account.py"]


def sign_in(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="login_user").input(username)
    at.text_input(key="login_pw").input("zibo2025")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str, **params) -> AppTest:
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_file_not_reachable_without_login(fresh_db, page):
    at = AppTest.from_file(APP, default_timeout=30)
    at.switch_page(page)  # before the first run == first request to /<page> after a restart
    at.run()
    assert [t.value for t in at.title] in ([], ["淄博市制造业数字化转型评估平台"])
    assert at.text_input(key="login_user") is not None


ALLOWED = {"app_pages/ent_assessments.py": "enterprise", "app_pages/ent_fill.py": "enterprise",
           "app_pages/provider_enterprises.py": "provider", "app_pages/bureau_overview.py": "bureau",
           "app_pages/admin_users.py": "admin", "app_pages/admin_questionnaires.py": "admin"}
USER_OF = {"enterprise": "ent1", "provider": "provider1", "bureau": "bureau1", "admin": "admin"}


@pytest.mark.parametrize("page,role", [(p, r) for p, allowed in ALLOWED.items() for r in USER_OF if r != allowed])
def test_each_page_checks_the_role_itself(fresh_db, page, role):
    """Run the page script directly (no router) as a signed-in user of another role: it stops itself."""
    from db.users import open_session
    from tests.conftest import identity_of

    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.session_state["_token"] = open_session(fresh_db, identity_of(fresh_db, USER_OF[role]))
    at.run()
    assert "无权访问此页面。" in [e.value for e in at.error]
    assert not at.title and not at.dataframe and not at.metric


@pytest.mark.parametrize("user,title", [("ent1", "我的评估"), ("provider1", "服务企业"), ("bureau1", "全市概况"),
                                        ("admin", "用户管理")])
def test_each_role_lands_on_its_page(fresh_db, user, title):
    at = sign_in(user)
    assert [t.value for t in at.title] == [title]


def test_autosave_and_resume_in_a_new_session(fresh_db):
    at = sign_in("ent1")
    at.button(key="start_ii_adoption").click().run()
    aid = at.query_params["a"]
    at.radio(key=f"w:{aid}:platform_use").set_value("third_party").run()
    assert any("已保存" in c.value for c in at.caption)
    at.button(key="next").click().run()
    at.number_input(key=f"w:{aid}:equipment_total").set_value(100).run()
    at.number_input(key=f"w:{aid}:equipment_digitised").set_value(120).run()
    assert any("数字化设备数不能多于生产设备总数" in e.value for e in at.error)

    other = open_page(sign_in("ent1b"), "app_pages/ent_fill.py", a=aid, s="equipment")
    assert other.number_input(key=f"w:{aid}:equipment_total").value == 100
    assert other.number_input(key=f"w:{aid}:equipment_digitised").value is None
    other = open_page(other, "app_pages/ent_fill.py", a=aid, s="platform")
    assert other.radio(key=f"w:{aid}:platform_use").value == "third_party"


def test_colleague_change_is_not_overwritten(fresh_db):
    a = sign_in("ent1")
    a.button(key="start_ii_adoption").click().run()
    aid = a.query_params["a"]
    b = open_page(sign_in("ent1b"), "app_pages/ent_fill.py", a=aid)
    a.radio(key=f"w:{aid}:platform_use").set_value("own").run()
    b.radio(key=f"w:{aid}:platform_use").set_value("none").run()  # b still saw the empty item
    assert any("同事" in w.value for w in b.warning)
    assert b.radio(key=f"w:{aid}:platform_use").value == "own"


def test_other_enterprise_url_shows_nothing(fresh_db):
    at = sign_in("ent1")
    at.button(key="start_ii_adoption").click().run()
    aid = at.query_params["a"]
    other = open_page(sign_in("ent2"), "app_pages/ent_fill.py", a=aid)
    assert "未找到该评估，或您无权查看。" in [e.value for e in other.error]
    assert [r.key for r in other.radio] == ["lang"]
    other = open_page(other, "app_pages/result.py", a=aid)
    assert "未找到该评估，或您无权查看。" in [e.value for e in other.error]


def test_quick_check_in_the_app_matches_the_cli(fresh_db, tmp_path):
    from questionnaires import registry

    quick = registry.latest("cmmm_quick")
    at = sign_in("ent2")
    at.button(key="start_cmmm_quick").click().run()
    aid = at.query_params["a"]
    answers = {}
    for i, section in enumerate(quick.sections):
        at = open_page(at, "app_pages/ent_fill.py", a=aid, s=section.id)
        for q in section.questions:
            value = "discrete" if q.id == "manufacturing_type" else q.options[(i + len(answers)) % 4].id
            at.radio(key=f"w:{aid}:{q.id}").set_value(value).run()
            answers[q.id] = value
    at.button(key="submit").click().run()
    assert not at.exception
    assert any("指示性" in i.value for i in at.info)
    stored = fresh_db.execute("SELECT detail FROM results WHERE assessment_id = ?", [int(aid)]).fetchone()[0]
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps({"answers": answers}), encoding="utf-8")
    cli = subprocess.run([sys.executable, str(ROOT / "scoring.py"), str(ROOT / "questionnaires" / quick.source_file),
                          str(answers_file)], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(cli.stdout)["score"] == json.loads(stored)["score"]
    assert json.loads(cli.stdout)["level"] == json.loads(stored)["level"]


def test_adoption_verdict_with_reasons(fresh_db):
    at = sign_in("ent3")
    aid = fresh_db.execute("SELECT a.id FROM assessments a JOIN users u ON u.enterprise_id = a.enterprise_id "
                           "WHERE u.username = 'ent3' AND a.questionnaire_id = 'ii_adoption'").fetchone()[0]
    at = open_page(at, "app_pages/result.py", a=aid)
    verdict = [s.value for s in at.success] + [w.value for w in at.warning]
    assert any("应用工业互联网" in v for v in verdict)
    assert len(at.dataframe) >= 2  # criteria met / not met, derived indicators


def test_bureau_lands_on_the_maturity_picture(fresh_db):
    """The adoption share moved to the KPI page (issue 11); the landing page is the city's maturity picture."""
    at = sign_in("bureau1")
    assessed = at.metric[0]
    assert assessed.label == "已有结果的企业"
    expected = fresh_db.execute("SELECT count(DISTINCT a.enterprise_id) FROM results r JOIN assessments a "
                                "ON a.id = r.assessment_id WHERE r.is_current = 1 AND r.questionnaire_id = "
                                "'cmmm_quick'").fetchone()[0]
    assert assessed.value == str(expected) and expected > 0
