"""The review cycle in Chromium: a provider adjusts two items with reasons and returns the assessment;
the enterprise sees the comments, changes one item and resubmits; the provider verifies; the enterprise
and the bureau see the verified level. Screenshots of each step go to test-artifacts/.

Run with `python -m pytest tests/browser/test_review_browser.py -q`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TIMEOUT, copy_db

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect  # noqa: E402

from .test_browser import sign_in, wait_idle  # noqa: E402

pytestmark = pytest.mark.browser
ITEMS = ("quick_organisation_strategy", "quick_personnel_skills")


def _quick_assessment(db_path: Path) -> int:
    """The demo quick check submitted by enterprise 3 (assigned to provider1)."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT a.id FROM assessments a JOIN users u ON u.enterprise_id = a.enterprise_id "
                            "WHERE u.username = 'ent3' AND a.questionnaire_id = 'cmmm_quick'").fetchone()[0]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / f"review-{name}.png"), full_page=True)


def test_review_cycle(server_factory, seeded_db, tmp_path, new_page):
    from questionnaires import registry

    quick = registry.latest("cmmm_quick")
    db_path = copy_db(seeded_db, tmp_path / "zb.db")
    aid = _quick_assessment(db_path)
    srv = server_factory("review", db_path=db_path).start()

    provider = new_page()
    sign_in(provider, srv.url, "provider1")
    provider.goto(f"{srv.url}/provider_queue")
    expect(provider.get_by_text("博山琉璃工艺制品有限公司（演示）").first).to_be_visible(timeout=TIMEOUT)
    shot(provider, "1-queue")
    provider.locator(f".st-key-rv_{aid} button").click()
    expect(provider.get_by_role("heading", name="逐项核验").first).to_be_visible(timeout=TIMEOUT)
    wait_idle(provider)
    provider.get_by_text("人员 · 0").click()
    wait_idle(provider)
    for n, (item, reason) in enumerate(zip(ITEMS, ("未见成文规划", "培训记录不全"), strict=True)):
        form = provider.locator('[data-testid="stForm"]').nth(n)
        form.get_by_text("调整为核验值").click()
        wait_idle(provider)
        option = provider.get_by_role("option", name=quick.questions[item].options[0].label.zh)
        for _ in range(3):  # a rerun landing while the list opens closes it again: open it once more
            form.locator('[data-testid="stSelectbox"]').click()
            try:
                option.wait_for(timeout=TIMEOUT / 3)
                break
            except PlaywrightTimeout:
                wait_idle(provider)
        option.click()
        form.get_by_label("调整理由（必填）").fill(reason)
        form.get_by_label("给企业的意见").fill(f"请核对第 {n + 1} 题")
        form.get_by_role("button", name="保存本题").click()
        expect(provider.get_by_text(f"已保存（第 {n + 1} 版）。")).to_be_visible(timeout=TIMEOUT)
        wait_idle(provider)
    expect(provider.get_by_text("未见成文规划", exact=False).first).to_be_visible()
    provider.get_by_label("总体意见").fill("请按意见修改后重新提交")
    shot(provider, "2-adjusted")
    provider.get_by_role("button", name="退回修改").click()
    expect(provider.get_by_text("已退回企业修改。")).to_be_visible(timeout=TIMEOUT)
    shot(provider, "3-returned")

    enterprise = new_page()
    sign_in(enterprise, srv.url, "ent3")
    enterprise.goto(f"{srv.url}/result?a={aid}")
    expect(enterprise.get_by_text("退回本评估", exact=False)).to_be_visible(timeout=TIMEOUT)
    expect(enterprise.get_by_text("请核对第 1 题", exact=False).first).to_be_visible()
    shot(enterprise, "4-enterprise-result-returned")
    enterprise.goto(f"{srv.url}/ent_fill?a={aid}&s=quick_personnel")
    expect(enterprise.get_by_text("服务商要求修改此题。").first).to_be_visible(timeout=TIMEOUT)
    wait_idle(enterprise)
    enterprise.get_by_text(quick.questions[ITEMS[0]].options[1].label.zh).click()
    expect(enterprise.get_by_text("已保存", exact=False).first).to_be_visible(timeout=TIMEOUT)
    wait_idle(enterprise)
    shot(enterprise, "5-enterprise-fill")
    enterprise.get_by_role("button", name="提交评估").click()
    expect(enterprise.get_by_text("已提交，待核验", exact=False).first).to_be_visible(timeout=TIMEOUT)

    provider.goto(f"{srv.url}/provider_review?a={aid}")
    expect(provider.get_by_text("第 2 轮", exact=False).first).to_be_visible(timeout=TIMEOUT)
    wait_idle(provider)
    provider.get_by_role("button", name="核验通过").click()
    expect(provider.get_by_text("已核验，结果已保存并锁定。")).to_be_visible(timeout=TIMEOUT)
    shot(provider, "6-verified")

    enterprise.goto(f"{srv.url}/result?a={aid}")
    expect(enterprise.get_by_text("核验本评估", exact=False)).to_be_visible(timeout=TIMEOUT)
    expect(enterprise.get_by_text("已核验").first).to_be_visible()
    shot(enterprise, "7-enterprise-verified")

    bureau = new_page()
    sign_in(bureau, srv.url, "bureau1")
    bureau.goto(f"{srv.url}/provider_review?a={aid}")
    expect(bureau.get_by_text("市工信局只查看核验情况，不作核验。")).to_be_visible(timeout=TIMEOUT)
    expect(bureau.get_by_text("核验结果").first).to_be_visible()
    expect(bureau.get_by_role("button", name="核验通过")).to_have_count(0)
    shot(bureau, "8-bureau")
