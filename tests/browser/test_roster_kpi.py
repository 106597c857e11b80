"""Real browser: the bureau imports a roster (with a bad row, then clean), reads the rate, exports a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TIMEOUT, copy_db

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import expect  # noqa: E402

from .test_browser import sign_in, wait_idle  # noqa: E402

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "sample-roster.csv"


def test_bureau_imports_roster_and_exports_the_district_table(server_factory, seeded_db, new_page, tmp_path):
    srv = server_factory("kpi", copy_db(seeded_db, tmp_path / "kpi.db")).start()
    page = new_page()
    sign_in(page, srv.url, "bureau1")
    page.get_by_role("link", name="工业互联网应用率").click()
    wait_idle(page)
    expect(page.get_by_text("尚未导入规上企业名录")).to_be_visible()

    # a file with one bad row: the problem is listed by row, and only an explicit choice imports the rest
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    bad = tmp_path / "名录-有错误.csv"
    bad.write_text("\n".join([*lines, lines[1].replace("张店区", "北京区")]), encoding="utf-8-sig")
    page.get_by_role("tab", name="规上企业名录导入").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    wait_idle(page)
    expect(page.get_by_text("共 21 行：有效 19 行，有问题 2 行。")).to_be_visible()
    problems = page.locator('[data-testid="stDataFrame"]').first
    expect(problems).to_be_visible()
    button = page.get_by_role("button", name="仅导入 19 条有效行（跳过 2 行有问题的数据）")
    expect(button).to_be_disabled()
    page.get_by_text("我确认只导入有效行，有问题的行不导入").click()
    wait_idle(page)
    expect(button).to_be_enabled()
    button.click()
    wait_idle(page)
    expect(page.get_by_text("（原有 0 家已替换）")).to_be_visible()

    # the clean sample file replaces that roster
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(SAMPLE))
    wait_idle(page)
    expect(page.get_by_text("文件检查通过，可以导入。")).to_be_visible()
    page.get_by_role("button", name="导入 20 家企业").click()
    wait_idle(page)
    expect(page.get_by_text("20 家企业（原有 19 家已替换）")).to_be_visible()

    page.get_by_role("tab", name="指标").click()
    expect(page.get_by_text("6 / 20 家已有评估结果")).to_be_visible()
    expect(page.get_by_text("分母为", exact=False).first).to_be_visible()
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="导出 CSV").first.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "张店区" in data.decode("utf-8-sig")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bureau_kpi.png"), full_page=True)
