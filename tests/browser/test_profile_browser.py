"""Real browser: an enterprise completes its profile, then starts a pre-filled re-assessment and confirms a section.

Run with `python -m pytest tests/browser/test_profile_browser.py -q`.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TIMEOUT, copy_db
from .test_browser import sign_in, wait_idle

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def _prepare(path: Path) -> None:
    """ent1's enterprise: one submitted industrial-internet assessment, then two profile fields emptied."""
    from assessments import filling
    from db.assessments import start_assessment
    from db.connection import forget_connections
    from questionnaires import registry
    from startup.bootstrap import ensure_ready
    from startup.demo import _ii_answers
    from tests.conftest import identity_of

    db = ensure_ready(str(path))
    ent1 = identity_of(db, "ent1")
    q = registry.latest("ii_adoption")
    aid, _ = start_assessment(db, ent1, q.id, q.version)
    for item, value in _ii_answers(random.Random(3)).items():
        filling.save_item(db, ent1, q, aid, item, value, expected_rev=0)
    filling.submit(db, ent1, aid)
    db.execute("UPDATE enterprises SET employees = NULL, contact_phone = NULL WHERE id = ?", [ent1.enterprise_id])
    forget_connections()


def test_enterprise_completes_profile_and_starts_a_prefilled_reassessment(server_factory, seeded_db, tmp_path,
                                                                          new_page):
    db_path = copy_db(seeded_db, tmp_path / "profile.db")
    _prepare(db_path)
    srv = server_factory("profile", db_path).start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    expect(page.get_by_text("开始评估前，请先完善企业信息。尚未填写：从业人员（人）、联系电话。")).to_be_visible()
    expect(page.get_by_role("button", name="基于上次评估预填开始")).to_be_disabled()

    page.get_by_role("link", name="前往填写企业信息").click()
    expect(page.get_by_role("heading", name="企业信息", level=1)).to_be_visible(timeout=TIMEOUT)
    page.get_by_label("从业人员（人）").fill("四百")
    page.get_by_label("联系电话").fill("0533-2180001")
    page.get_by_role("button", name="保存企业信息").click()
    expect(page.get_by_text("从业人员（人）：从业人员应为 1 至 1,000,000 之间的整数。")).to_be_visible(timeout=TIMEOUT)
    page.get_by_label("从业人员（人）").fill("420")
    page.get_by_role("button", name="保存企业信息").click()
    expect(page.get_by_text("已保存企业信息（修改 2 项）。")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("企业信息已完整。")).to_be_visible()
    wait_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "profile-saved.png"), full_page=True)

    page.get_by_role("link", name="我的评估").click()
    expect(page.get_by_role("heading", name="我的评估", level=1)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile("开始评估前"))).to_have_count(0)
    wait_idle(page)
    page.get_by_text("评估历史（北京时间）").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "profile-history.png"))
    page.get_by_role("button", name="基于上次评估预填开始").click()
    expect(page.get_by_text(re.compile("请确认或修改：本节 \\d+ 项答案预填自上次评估"))).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "profile-prefill-banner.png"), full_page=True)

    page.get_by_role("button", name="提交评估").click()
    expect(page.get_by_text(re.compile("本节为上次评估的预填答案")).first).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="确认本节").click()
    expect(page.get_by_text(re.compile("本节预填答案已确认 · 张工"))).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "profile-prefill-confirmed.png"), full_page=True)
