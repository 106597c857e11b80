"""Real-browser tests: headless Chromium against `streamlit run app.py` (sign-in gate, roles,
refresh, sign-out, answers surviving a server restart, Chinese rendering).

Run with `python -m pytest tests/browser -q`; deselect with `-m "not browser"`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import ARTIFACTS, CHROMIUM, PASSWORD, TIMEOUT, copy_db

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser

# Titles / navigation labels of every signed-in page; none may show for an anonymous visitor.
PAGE_TITLES = ["我的评估", "填写问卷", "评估结果", "服务企业", "全市概况", "用户管理", "问卷版本", "修改密码", "退出登录"]
ANON_PATHS = ["/", "/login", "/ent_assessments", "/ent_fill", "/ent_fill?a=1&s=platform", "/result", "/result?a=1",
              "/provider_enterprises", "/bureau_overview", "/admin_users", "/admin_questionnaires", "/account",
              "/no_such_page_xyz"]


def wait_idle(page: Page) -> None:
    """Wait until the Streamlit script run has finished and the websocket is connected."""
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]'
                        '[data-test-connection-state="CONNECTED"]')).to_have_count(1, timeout=TIMEOUT)


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=TIMEOUT)
    round_trip_done(page)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=TIMEOUT)


def round_trip_done(page: Page) -> None:
    """After a successful sign-in: wait until /auth/complete has set the cookie and the page is back and idle.

    The page goes through /auth/complete, which sets the HttpOnly cookie and comes back: a test navigating
    (or ending, see conftest.close_context) before that round trip ends would abort it (net::ERR_ABORTED).
    """
    wait_for_cookie(page, True)
    page.wait_for_load_state("load")
    wait_idle(page)


def session_cookie(page: Page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "zb_session" and c["value"]), None)


def wait_for_cookie(page: Page, present: bool) -> None:
    """The token cookie is written by JavaScript after the rerun; a user could not refresh faster than this."""
    for _ in range(100):
        if (session_cookie(page) is not None) == present:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"zb_session cookie {'not set' if present else 'not cleared'}: {page.context.cookies()}")


# 1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ANON_PATHS)
def test_anonymous_visit_to_fresh_server_shows_only_sign_in(path, server_factory, seeded_db, tmp_path, new_page):
    """The very first request to a freshly started server, for any URL, gets the sign-in page only.

    One new server process per URL (the seeded DB is copied, to save ~1 s of seeding each): the
    first request after a start is the one that once bypassed the gate (engineering.md §1).
    """
    srv = server_factory("fresh", db_path=copy_db(seeded_db, tmp_path / "zb.db")).start()
    try:
        page = new_page()
        page.goto(srv.url + path)
        expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_label("密码")).to_be_visible()
        wait_idle(page)
        text = page.locator("body").inner_text()
        shown = [title for title in PAGE_TITLES if title in text]
        assert not shown, f"{path}: anonymous visitor sees {shown}"
        for title in PAGE_TITLES:
            expect(page.get_by_role("heading", name=title)).to_have_count(0)
        expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
        assert session_cookie(page) is None
    finally:
        srv.stop()


# 2 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "title"), [
    ("ent1", "我的评估"), ("provider1", "服务企业"), ("bureau1", "全市概况"), ("admin", "用户管理")])
def test_each_role_lands_on_its_page(username, title, server, new_page):
    page = new_page()
    sign_in(page, server.url, username)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    others = [t for t in ("我的评估", "服务企业", "全市概况", "用户管理") if t != title]
    for other in others:
        expect(page.get_by_role("heading", name=other)).to_have_count(0)


# 3 ------------------------------------------------------------------------------------------


def test_sign_in_survives_refresh_and_sign_out_ends_it(server, new_page):
    page = new_page()
    sign_in(page, server.url, "ent1")
    expect(page.get_by_role("heading", name="我的评估", level=1)).to_be_visible(timeout=TIMEOUT)
    wait_for_cookie(page, present=True)

    page.reload()
    expect(page.get_by_role("heading", name="我的评估", level=1)).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(page.get_by_label("用户名")).to_have_count(0)

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="我的评估")).to_have_count(0)
    wait_for_cookie(page, present=False)

    page.reload()
    expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(page.get_by_role("heading", name="我的评估")).to_have_count(0)
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)


# 4 ------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """The engine of the restart test: SQLite (a file) and PostgreSQL (a new, empty database the app migrates)."""
    if request.param == "sqlite":
        yield None
        return
    import os

    if not os.environ.get("ZB_TEST_DATABASE_URL"):
        pytest.skip("no PostgreSQL server (ZB_TEST_DATABASE_URL; scripts/test.sh starts one)")
    from tests import pg

    url = pg.create_empty()
    yield url
    pg.drop(url)


def test_answers_survive_server_restart_and_colleague_sees_them(server_factory, new_page, database_url):
    srv = server_factory("restart", database_url=database_url).start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.locator(".st-key-start_ii_adoption button").click()
    page.wait_for_url(re.compile(r"/ent_fill\?.*a=\d+"), timeout=TIMEOUT)
    aid = int(parse_qs(urlparse(page.url).query)["a"][0])

    # Section 1, first question: a radio answer, saved on click.
    platform_use = page.get_by_role("radiogroup", name=re.compile("企业是否使用工业互联网平台"))
    expect(platform_use).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("✓ 已保存")).to_have_count(0)
    platform_use.locator('[data-testid="stRadioOption"]', has_text="使用第三方平台").click()
    expect(page.get_by_text("✓ 已保存")).to_be_visible(timeout=TIMEOUT)
    expect(platform_use.get_by_role("radio", name="使用第三方平台")).to_be_checked()

    # Section 2 through the section list; a number committed with Enter.
    page.locator('[data-testid="stRadioOption"]', has_text="设备数字化与联网").click()
    expect(page.get_by_role("heading", name="设备数字化与联网")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(page.get_by_text("✓ 已保存")).to_have_count(0)
    total = page.get_by_role("spinbutton", name=re.compile("生产设备总数"))
    total.fill("100")
    total.press("Enter")
    expect(page.get_by_text("✓ 已保存")).to_be_visible(timeout=TIMEOUT)
    expect(total).to_have_value("100")

    # A crash, not a polite shutdown: whatever was reported as saved must already be on disk.
    srv.stop(hard=True)
    srv.start()  # a NEW process on the same DB file (and a new port)

    colleague = new_page()  # new context: no cookie of ent1
    sign_in(colleague, srv.url, "ent1b")
    expect(colleague.get_by_role("heading", name="我的评估", level=1)).to_be_visible(timeout=TIMEOUT)

    colleague.goto(f"{srv.url}/ent_fill?a={aid}&s=platform")
    platform_use = colleague.get_by_role("radiogroup", name=re.compile("企业是否使用工业互联网平台"))
    expect(platform_use).to_be_visible(timeout=TIMEOUT)
    expect(platform_use.get_by_role("radio", name="使用第三方平台")).to_be_checked(timeout=TIMEOUT)
    expect(colleague.get_by_text(re.compile("✓ 已保存 · 张工"))).to_be_visible()  # saved by ent1

    colleague.goto(f"{srv.url}/ent_fill?a={aid}&s=equipment")
    expect(colleague.get_by_role("heading", name="设备数字化与联网")).to_be_visible(timeout=TIMEOUT)
    expect(colleague.get_by_role("spinbutton", name=re.compile("生产设备总数"))).to_have_value("100", timeout=TIMEOUT)
    srv.stop()


# 5 ------------------------------------------------------------------------------------------

# Draws two different CJK characters with the page's own font; if no CJK font is installed both
# come out as the same "tofu" box, so identical pixels mean the glyphs are missing.
_GLYPH_CHECK = """
(el) => {
  const font = getComputedStyle(el).font;
  const draw = (ch) => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.font = font.replace(/\\d+(\\.\\d+)?px/, '48px');
    g.fillStyle = '#000'; g.textBaseline = 'top'; g.fillText(ch, 4, 4);
    return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
  };
  const blank = draw(' ');
  return {font, differ: draw('评') !== draw('估'), inked: draw('评') !== blank};
}
"""


def test_chinese_renders_on_enterprise_page(server, new_page):
    page = new_page()
    sign_in(page, server.url, "ent1")
    heading = page.get_by_role("heading", name="我的评估", level=1)
    expect(heading).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "enterprise_zh.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000, "screenshot suspiciously small (blank page?)"
    check = heading.evaluate(_GLYPH_CHECK)
    assert check["inked"] and check["differ"], f"CJK glyphs missing (tofu) with font {check['font']}"
