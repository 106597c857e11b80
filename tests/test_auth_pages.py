"""Sign-in pages through AppTest: forced password change from the database, a write after the session
ended, throttling messages, production sign-in page, admin account actions."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from db import audit
from tests.conftest import APP, ROOT, identity_of
from tests.test_pages import sign_in


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_forced_change_comes_from_the_database_on_every_run(fresh_db):
    at = sign_in("ent1")
    assert titles(at) == ["我的评估"]
    fresh_db.execute("UPDATE users SET must_change_password = 1 WHERE username = 'ent1'")  # e.g. an admin reset
    at.run()
    assert titles(at) == ["修改密码"]
    at.run()  # a reload: still only the password page (deep links: tests/browser/test_auth_browser.py)
    assert titles(at) == ["修改密码"]
    assert not at.sidebar.get("page_link") and "app_pages/ent_assessments.py" not in str(at._tree)
    at.text_input(key="pw_old").input("zibo2025")
    at.text_input(key="pw_new").input("Fresh-pass-9")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    at.switch_page("app_pages/ent_assessments.py")
    at.run()
    assert titles(at) == ["我的评估"]


def test_page_scripts_refuse_a_user_who_must_change_the_password(fresh_db):
    from db.users import open_session

    fresh_db.execute("UPDATE users SET must_change_password = 1 WHERE username = 'ent1'")
    at = AppTest.from_file(str(ROOT / "app_pages/ent_assessments.py"), default_timeout=30)
    at.session_state["_token"] = open_session(fresh_db, identity_of(fresh_db, "ent1"))
    at.run()
    assert not at.title and [w.value for w in at.warning] == ["首次登录请先修改密码。"]


def test_answer_after_sign_out_elsewhere_is_not_saved_and_says_so(fresh_db):
    at = sign_in("ent1")
    at.button(key="start_ii_adoption").click().run()
    aid = at.query_params["a"]
    fresh_db.execute("UPDATE auth_sessions SET revoked_at = '2020-01-01T00:00:00.000000Z'")  # signed out in another tab
    at.radio(key=f"w:{aid}:platform_use").set_value("own").run()
    assert not at.exception
    assert any("未保存" in e.value for e in at.error)
    assert at.text_input(key="login_user") is not None
    assert fresh_db.execute("SELECT count(*) FROM answers WHERE assessment_id = ?", [int(aid)]).fetchone() == (0,)
    assert at.session_state["_return_to"] == f"/ent_fill?a={aid}"
    at.text_input(key="login_user").input("ent1")
    at.text_input(key="login_pw").input("zibo2025")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception and at.session_state["identity"].username == "ent1"
    redirects = [e.proto.url for e in at.get("link_button")]
    assert any(f"next=%2Fent_fill%3Fa%3D{aid}" in url for url in redirects), redirects


def test_throttled_sign_in_is_told_in_chinese(fresh_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    for _ in range(6):
        at.text_input(key="login_user").input("ent2")
        at.text_input(key="login_pw").input("wrong-password-1")
        at.get("form_submit_button")[0].click()
        at.run()
    [error] = [e.value for e in at.error]
    assert re.fullmatch(r"登录尝试过于频繁，请于 \d\d:\d\d（北京时间）后再试。", error), error


@pytest.fixture
def production_app(tmp_path, monkeypatch):
    monkeypatch.setenv("ZB_DB_PATH", str(tmp_path / "prod.db"))
    monkeypatch.delenv("ZB_DEMO")
    monkeypatch.setenv("ZB_ADMIN_PASSWORD", "Ops-chosen-77")
    yield
    from db.connection import forget_connections

    forget_connections()


def test_production_sign_in_page_offers_no_demo_accounts(production_app):
    at = AppTest.from_file(APP, default_timeout=30).run()
    text = " ".join(c.value for c in at.caption) + " ".join(i.value for i in at.info)
    assert "zibo2025" not in text and "演示" not in text
    at.text_input(key="login_user").input("ent1")
    at.text_input(key="login_pw").input("zibo2025")
    at.get("form_submit_button")[0].click()
    at.run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]


def _admin_select(at: AppTest, username: str, db) -> None:
    at.selectbox(key="manage_user").set_value(identity_of(db, username).user_id).run()


def test_admin_deactivates_reactivates_rebinds_and_issues_a_one_time_password(fresh_db):
    at = sign_in("admin")
    ent2 = identity_of(fresh_db, "ent2")
    _admin_select(at, "ent2", fresh_db)
    at.button(key="deactivate").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["账号 ent2 已停用，其所有登录已结束。"]
    assert fresh_db.execute("SELECT active FROM users WHERE id = ?", [ent2.user_id]).fetchone() == (0,)
    _admin_select(at, "ent2", fresh_db)
    at.button(key="reactivate").click().run()
    assert fresh_db.execute("SELECT active FROM users WHERE id = ?", [ent2.user_id]).fetchone() == (1,)

    _admin_select(at, "ent2", fresh_db)
    other = fresh_db.execute("SELECT id FROM enterprises WHERE id != ? ORDER BY id LIMIT 1",
                             [ent2.enterprise_id]).fetchone()[0]
    at.selectbox(key=f"binding_{ent2.user_id}").set_value(other).run()
    at.button(key="save_binding").click().run()
    assert identity_of(fresh_db, "ent2").enterprise_id == other

    _admin_select(at, "ent2", fresh_db)
    at.button(key="issue_otp").click().run()
    [shown] = [c.value for c in at.code]
    assert any("仅显示这一次" in w.value for w in at.warning)
    from db.users import authenticate

    assert authenticate(fresh_db, "ent2", shown).must_change_password
    at.run()
    assert not at.code  # shown once
    actions = [e["action"] for e in audit.entries(fresh_db, "user", ent2.user_id)]
    assert actions == ["deactivate", "activate", "rebind", "reset_password"]


def test_admin_errors_are_chinese(fresh_db):
    at = sign_in("admin")
    at.text_input(key="new_username").input("ent1")
    at.text_input(key="new_password").input("short")
    at.get("form_submit_button")[0].click()
    at.run()
    assert [e.value for e in at.error] == ["新密码太弱：至少 8 个字符"]
    at.text_input(key="new_password").input("Long-enough-1")
    at.get("form_submit_button")[0].click()
    at.run()
    assert [e.value for e in at.error] == ["企业用户必须绑定一家企业。"]
    assert not any(re.search(r"[A-Za-z]{3,}", e.value) for e in at.error)
