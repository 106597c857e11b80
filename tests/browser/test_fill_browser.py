"""The fill page in real Chromium: what AppTest cannot show (the browser's own widget state).

- the section-level "不适用" checkbox can be ticked, given a reason and unticked;
- a language switch keeps multiselect answers (the browser sends labels, in the old language);
- the language is remembered on the user across a reload;
- no "select all" in multiselects; user text can't inject links or images; the c3mep link works.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TIMEOUT, copy_db
from .test_browser import sign_in, wait_idle

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.browser
PAYLOAD = "**x** [a](http://e) <img src=x> =1+1"
STAMP = "2026-12-03T06:05:00.000000Z"


def _draft(db: Path | str, username: str, questionnaire_id: str, answers: dict | None = None) -> int:
    """A draft of the user's enterprise with some stored answers, written before the server starts
    (``db``: the SQLite file or a PostgreSQL URL)."""
    from db.connection import get_db
    from questionnaires import registry

    version = registry.latest(questionnaire_id).version
    c = get_db(str(db))
    enterprise, user = c.execute("SELECT enterprise_id, id FROM users WHERE username = ?", [username]).fetchone()
    aid = c.execute("INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, "
                    "created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
                    [enterprise, questionnaire_id, version, "draft", user, STAMP, STAMP]).fetchall()[0][0]
    for item, value in (answers or {}).items():
        c.execute("INSERT INTO answers (assessment_id, item_id, value, na_reason, rev, updated_by, updated_at) "
                  "VALUES (?,?,?,?,?,?,?)", [aid, item, json.dumps(value), None, 1, user, STAMP])
    return aid


def _stored(db: Path | str, aid: int, item: str):
    from db.connection import get_db

    return get_db(str(db)).execute("SELECT value, na_reason FROM answers WHERE assessment_id = ? AND item_id = ?",
                                   [aid, item]).fetchone()


@pytest.fixture
def own_server(server_factory, seeded_db, tmp_path):
    """A server on a private copy of the demo database, prepared by the test before it starts."""
    db = copy_db(seeded_db, tmp_path / "zb.db")
    holder = {}

    def start():
        holder["srv"] = server_factory("fill", db_path=db).start()
        return holder["srv"]

    yield db, start
    if "srv" in holder:
        holder["srv"].stop()


def test_section_not_applicable_tick_reason_untick(own_server, new_page):
    db, start = own_server
    aid = _draft(db, "ent1", "cmmm_full")
    srv = start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.goto(f"{srv.url}/ent_fill?a={aid}&s=organisation_strategy")
    box = page.get_by_role("checkbox", name="本章节（能力子域）不适用于本企业")
    expect(box).not_to_be_checked(timeout=TIMEOUT)
    expect(questions(page)).not_to_have_count(0)
    page.get_by_text("本章节（能力子域）不适用于本企业").click()
    expect(box).to_be_checked(timeout=TIMEOUT)
    wait_idle(page)
    expect(box).to_be_checked()  # stays ticked after the rerun (it used to spring back)
    reason = page.get_by_label("不适用的理由（必填）")
    reason.fill("本企业无此业务")
    reason.press("Enter")
    expect(questions(page)).to_have_count(0, timeout=TIMEOUT)  # questions hidden once declared
    assert _stored(db, aid, "organisation_strategy") == (None, "本企业无此业务")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fill-section-na.png"), full_page=True)
    page.get_by_text("本章节（能力子域）不适用于本企业").click()
    expect(box).not_to_be_checked(timeout=TIMEOUT)
    expect(questions(page)).not_to_have_count(0, timeout=TIMEOUT)
    wait_idle(page)
    assert _stored(db, aid, "organisation_strategy") == (None, None)


def questions(page: Page):
    """The question radio groups (their labels are numbered), not the language or section switch."""
    return page.get_by_role("radiogroup", name=re.compile(r"^\d+\. "))


def _tags(page: Page, expected: list[str]) -> list[str]:
    """The labels of the first multiselect's selected tags, once as many as expected have rendered."""
    tags = page.locator('[data-testid="stMultiSelect"]').first.locator(".react-aria-ComboBox [data-tag]")
    expect(tags).to_have_count(len(expected), timeout=TIMEOUT)
    expect(tags.first).to_have_attribute("aria-label", expected[0], timeout=TIMEOUT)
    return tags.evaluate_all("tags => tags.map(t => t.getAttribute('aria-label'))")


def test_language_switch_keeps_answers_and_is_remembered(own_server, new_page):
    db, start = own_server
    aid = _draft(db, "ent1", "ii_adoption", {"platform_use": "third_party",
                                             "platform_functions": ["equipment_monitoring", "office_only"]})
    srv = start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.goto(f"{srv.url}/ent_fill?a={aid}&s=platform")
    wait_idle(page)
    assert _tags(page, ["设备连接与监控", "仅用于办公协同"]) == ["设备连接与监控", "仅用于办公协同"]
    sidebar = page.locator('[data-testid="stSidebar"]')
    for language, expected, radio in (("English", ["Equipment connection and monitoring", "Office collaboration only"],
                                       "Third-party platform"),
                                      ("中文", ["设备连接与监控", "仅用于办公协同"], "使用第三方平台"),
                                      ("English", ["Equipment connection and monitoring", "Office collaboration only"],
                                       "Third-party platform")):
        sidebar.get_by_text(language, exact=True).click()
        expect(page.get_by_role("radio", name=radio)).to_be_checked(timeout=TIMEOUT)
        wait_idle(page)
        assert _tags(page, expected) == expected, language
        expect(page.get_by_text(re.compile("不是本题的选项|not one of the options|Not saved|未保存"))).to_have_count(0)
    assert json.loads(_stored(db, aid, "platform_functions")[0]) == ["equipment_monitoring", "office_only"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fill-language-en.png"), full_page=True)

    page.reload()  # remembered on the user, not in the browser tab
    expect(page.get_by_role("radio", name="Third-party platform")).to_be_checked(timeout=TIMEOUT)
    wait_idle(page)
    english = ["Equipment connection and monitoring", "Office collaboration only"]
    assert _tags(page, english) == english


def test_multiselect_offers_no_select_all(own_server, new_page):
    db, start = own_server
    aid = _draft(db, "ent1", "ii_adoption", {"platform_use": "third_party"})
    srv = start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.goto(f"{srv.url}/ent_fill?a={aid}&s=platform")
    wait_idle(page)
    page.locator('[data-testid="stMultiSelect"]').first.locator("input").first.click()
    page.keyboard.press("ArrowDown")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option", name="设备连接与监控")).to_be_visible(timeout=TIMEOUT)
    expect(listbox.get_by_role("option", name="仅用于办公协同")).to_be_visible()
    # Streamlit 1.67 offers "Select all" (in English) at the top of the list unless select_all=False.
    expect(listbox).not_to_contain_text(re.compile("select all|全选", re.IGNORECASE))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fill-multiselect-open.png"), full_page=True)


def test_user_text_is_shown_as_text_and_c3mep_link_works(own_server, new_page):
    db, start = own_server
    with sqlite3.connect(db) as c:
        c.execute("UPDATE users SET display_name = ? WHERE username = 'ent3'", [PAYLOAD])
        aid = c.execute("SELECT a.id FROM assessments a JOIN users u ON u.enterprise_id = a.enterprise_id "
                        "WHERE u.username = 'ent3' AND a.questionnaire_id = 'cmmm_quick'").fetchone()[0]
    srv = start()
    page = new_page()
    sign_in(page, srv.url, "ent3")
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(PAYLOAD, exact=True)).to_be_visible()
    expect(page.locator('a[href="http://e"], a[href="http://e/"]')).to_have_count(0)
    expect(page.locator('img[src="x"]')).to_have_count(0)
    page.goto(f"{srv.url}/result?a={aid}")
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(PAYLOAD, exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('img[src="x"]')).to_have_count(0)


def test_c3mep_link_works(own_server, new_page):
    db, start = own_server
    aid = _draft(db, "ent1", "cmmm_full")
    srv = start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.goto(f"{srv.url}/ent_fill?a={aid}")
    link = page.get_by_role("link", name="www.c3mep.cn")
    expect(link).to_have_attribute("href", "https://www.c3mep.cn", timeout=TIMEOUT)


def test_refused_number_is_not_left_in_the_field(own_server, new_page):
    db, start = own_server
    aid = _draft(db, "ent1", "ii_adoption", {"platform_use": "third_party", "equipment_total": 100,
                                             "equipment_digitised": 80})
    srv = start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.goto(f"{srv.url}/ent_fill?a={aid}&s=equipment")
    digitised = page.get_by_role("spinbutton", name=re.compile("数字化设备"))
    expect(digitised).to_have_value("80", timeout=TIMEOUT)
    digitised.fill("120")
    digitised.press("Enter")
    expect(page.get_by_text(re.compile("数字化设备数不能多于生产设备总数"))).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(digitised).to_have_value("80")  # the stored value is shown again, not the refused 120
    assert json.loads(_stored(db, aid, "equipment_digitised")[0]) == 80
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fill-refused-number.png"), full_page=True)
