"""Real-browser tests of the sign-in that holds: HttpOnly cookie set by a server route, deep links that
survive sign-in, the forced password change on every page and reload, and a write after the session
ended that is refused, said so, and resumed after signing in again.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from .conftest import CHROMIUM, PASSWORD, TIMEOUT

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import Page, expect  # noqa: E402

from .test_browser import round_trip_done, sign_in, wait_idle  # noqa: E402

pytestmark = pytest.mark.browser


def _sql(db_path: Path, sql: str, params=()) -> list:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


def _fill_login(page: Page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_session_cookie_is_httponly_strict_and_invisible_to_scripts(server, new_page):
    page = new_page()
    sign_in(page, server.url, "bureau1")
    expect(page.get_by_role("heading", name="全市概况", level=1)).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    jar = [c for c in page.context.cookies() if c["name"] == "zb_session"]
    assert len(jar) == 1 and jar[0]["value"], page.context.cookies()
    assert jar[0]["httpOnly"] is True
    assert jar[0]["sameSite"] == "Strict"
    assert jar[0]["secure"] is False  # plain http on loopback; Secure over HTTPS (tests/test_auth_routes.py)
    assert "zb_session" not in page.evaluate("document.cookie")
    assert jar[0]["value"] not in page.evaluate("document.cookie")
    # the token the sign-in page held was rotated: only the cookie's token is live
    page.reload()
    expect(page.get_by_role("heading", name="全市概况", level=1)).to_be_visible(timeout=TIMEOUT)


def test_sign_in_from_the_login_path_lands_on_the_home_page(server, new_page):
    page = new_page()
    page.goto(server.url + "/login")
    expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    _fill_login(page, "bureau1")
    expect(page.get_by_role("heading", name="全市概况", level=1)).to_be_visible(timeout=TIMEOUT)
    round_trip_done(page)
    expect(page.get_by_role("heading", name="全市概况", level=1)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_no_english_input_hint_on_the_chinese_sign_in_page(server, new_page):
    page = new_page()
    page.goto(server.url + "/login")
    username = page.get_by_label("用户名")
    expect(username).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    username.fill("ent1")  # Streamlit shows "Press Enter to submit form" under a focused, edited field
    page.wait_for_timeout(300)
    hint = page.get_by_text(re.compile("Press Enter|Ctrl\\+Enter"))
    expect(hint).to_have_count(1)  # Streamlit still renders it (so this test can fail) …
    expect(hint).to_be_hidden()  # … but nobody sees it


def test_deep_link_survives_sign_in(server, new_page):
    aid = _sql(server.db_path, "SELECT a.id FROM assessments a JOIN users u ON u.enterprise_id = a.enterprise_id "
                               "WHERE u.username = 'ent3' AND a.questionnaire_id = 'ii_adoption'")[0][0]
    page = new_page()
    page.goto(f"{server.url}/ent_fill?a={aid}&s=equipment")
    expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    _fill_login(page, "ent3")
    expect(page.get_by_role("heading", name="设备数字化与联网")).to_be_visible(timeout=TIMEOUT)
    round_trip_done(page)  # ... and the same place once the cookie round trip has come back
    expect(page.get_by_role("heading", name="设备数字化与联网")).to_be_visible(timeout=TIMEOUT)
    assert re.search(rf"/ent_fill\?.*a={aid}", page.url) and "s=equipment" in page.url, page.url


def test_forced_password_change_cannot_be_skipped(server, new_page):
    _sql(server.db_path, "UPDATE users SET must_change_password = 1 WHERE username = 'ent2'")
    page = new_page()
    sign_in(page, server.url, "ent2")
    expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible(timeout=TIMEOUT)
    for path in ("/ent_assessments", "/result?a=1", "/ent_fill?a=1"):
        page.goto(server.url + path)
        expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible(timeout=TIMEOUT)
        wait_idle(page)
        expect(page.get_by_role("heading", name="我的评估")).to_have_count(0)
        expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible(timeout=TIMEOUT)

    page.get_by_label("原密码").fill(PASSWORD)
    page.get_by_label("新密码").fill("zibo2026new")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible(timeout=TIMEOUT)  # the role's pages again
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", name="我的评估", level=1)).to_be_visible(timeout=TIMEOUT)
    assert _sql(server.db_path, "SELECT must_change_password FROM users WHERE username = 'ent2'") == [(0,)]


def test_answer_after_session_ended_is_not_saved_and_sign_in_returns_there(server, new_page):
    page = new_page()
    sign_in(page, server.url, "ent1b")
    page.locator(".st-key-start_ii_adoption button").click()
    page.wait_for_url(re.compile(r"/ent_fill\?.*a=\d+"), timeout=TIMEOUT)
    aid = int(re.search(r"a=(\d+)", page.url).group(1))
    radios = page.get_by_role("radiogroup", name=re.compile("企业是否使用工业互联网平台"))
    expect(radios).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    before = _sql(server.db_path, "SELECT count(*) FROM answers WHERE assessment_id = ?", (aid,))[0][0]

    # The session ends elsewhere (signed out in another tab, or the account deactivated meanwhile).
    _sql(server.db_path, "UPDATE auth_sessions SET revoked_at = '2020-01-01T00:00:00.000000Z' "
                         "WHERE user_id = (SELECT id FROM users WHERE username = 'ent1b')")
    radios.locator('[data-testid="stRadioOption"]', has_text="自建平台").click()
    expect(page.get_by_text(re.compile("未保存"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("用户名")).to_be_visible()
    assert _sql(server.db_path, "SELECT count(*) FROM answers WHERE assessment_id = ?", (aid,))[0][0] == before

    _fill_login(page, "ent1b")
    expect(page.get_by_role("radiogroup", name=re.compile("企业是否使用工业互联网平台"))).to_be_visible(timeout=TIMEOUT)
    round_trip_done(page)  # ... and still there once the cookie round trip has come back
    expect(page.get_by_role("radiogroup", name=re.compile("企业是否使用工业互联网平台"))).to_be_visible(timeout=TIMEOUT)
    assert f"a={aid}" in page.url, page.url


def test_throttled_sign_in_says_when_to_retry(server, new_page):
    page = new_page()
    page.goto(server.url + "/")
    for _ in range(5):
        _fill_login(page, "ent8", "wrong-password-1")
        expect(page.get_by_text("用户名或密码错误。")).to_be_visible(timeout=TIMEOUT)
        wait_idle(page)
    _fill_login(page, "ent8", PASSWORD)  # even the right password waits
    expect(page.get_by_text(re.compile(r"请于 \d\d:\d\d（北京时间）后再试"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)


def test_production_start_has_no_demo_and_a_one_time_admin_password(server_factory, new_page, monkeypatch):
    monkeypatch.delenv("ZB_ADMIN_PASSWORD", raising=False)
    srv = server_factory("production", demo=False).start()
    try:
        page = new_page()
        page.goto(srv.url + "/")
        expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
        wait_idle(page)
        body = page.locator("body").inner_text()
        assert "演示" not in body and PASSWORD not in body
        _fill_login(page, "ent1")  # a demo account does not exist here
        expect(page.get_by_text("用户名或密码错误。")).to_be_visible(timeout=TIMEOUT)

        match = re.search(r"one-time password: (\S+)", srv.log_path.read_text(encoding="utf-8"))
        assert match, srv.log_tail()
        _fill_login(page, "admin", match.group(1))
        expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible(timeout=TIMEOUT)
        round_trip_done(page)
        page.goto(srv.url + "/admin_users")
        expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible(timeout=TIMEOUT)
        page.get_by_label("原密码").fill(match.group(1))
        page.get_by_label("新密码").fill("Admin-chosen-2026")
        page.get_by_role("button", name="修改密码").click()
        expect(page.get_by_role("heading", name="用户管理", level=1)).to_be_visible(timeout=TIMEOUT)
        assert _sql(srv.db_path, "SELECT value FROM settings WHERE key = 'mode'") == [("production",)]
        assert _sql(srv.db_path, "SELECT count(*) FROM users WHERE is_demo = 1") == [(0,)]
    finally:
        srv.stop()
