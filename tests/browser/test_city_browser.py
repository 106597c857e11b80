"""Real browser: the bureau reads the maturity picture, drills into a district and one enterprise's result,
exports a table, and onboards the roster's enterprises with a downloadable account sheet."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TIMEOUT, copy_db

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from .test_browser import sign_in, wait_idle  # noqa: E402

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

IMPORT_ROSTER = """
from pathlib import Path
from startup import bootstrap
from db.identity import Identity
from imports.roster import import_preview, preview_file
db = bootstrap.ensure_ready()
bureau = next(db.query("SELECT * FROM users WHERE username = 'bureau1'"))
who = Identity(bureau["id"], bureau["username"], "bureau", bureau["display_name"])
import_preview(db, who, 2025, preview_file("sample-roster.csv", Path("docs/sample-roster.csv").read_bytes()))
"""


def choose(page, label: str, option: str) -> None:
    wait_idle(page)
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a rerun landing while the list opens closes it again: open it once more
        page.get_by_label(label).first.click()
        try:
            wanted.wait_for(timeout=TIMEOUT / 3)
            break
        except PlaywrightTimeout:
            wait_idle(page)
    wanted.click()
    wait_idle(page)


def test_bureau_picture_drill_down_export_and_onboarding(server_factory, seeded_db, new_page, tmp_path):
    db_path = copy_db(seeded_db, tmp_path / "city.db")
    subprocess.run([sys.executable, "-c", IMPORT_ROSTER], cwd=ROOT, check=True, timeout=120,
                   env=dict(os.environ, ZB_DB_PATH=str(db_path), ZB_DEMO="1"))
    srv = server_factory("city", db_path).start()
    page = new_page()
    sign_in(page, srv.url, "bureau1")
    expect(page.get_by_role("heading", name="全市概况", level=1)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("全市智能制造成熟度概况")).to_be_visible()
    expect(page.get_by_text("属自愿参与的样本，并非随机抽样", exact=False)).to_be_visible()

    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="导出 CSV").first.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "未达到一级" in data.decode("utf-8-sig")

    choose(page, "区县/功能区", "博山区")
    expect(page.get_by_text("共 1 家企业。")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("link", name="打开该企业的评估结果").click()
    wait_idle(page)
    expect(page.get_by_text("博山琉璃工艺制品有限公司（演示）").first).to_be_visible(timeout=TIMEOUT)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bureau_drill_result.png"), full_page=True)

    page.get_by_role("link", name="企业开户").click()
    wait_idle(page)
    expect(page.get_by_text("名录 20 家", exact=False)).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="为待开户企业建立档案和账号").click()
    wait_idle(page)
    expect(page.get_by_text("已新建企业档案 12 家", exact=False)).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="下载账号清单（Excel）").click()
    assert info.value.suggested_filename == "accounts_2025_city.xlsx"
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("企业名称", "统一社会信用代码", "用户名", "一次性密码") and len(rows) > 12
    page.screenshot(path=str(ARTIFACTS / "bureau_onboarding.png"), full_page=True)
