"""The results page in Chromium: the explained level, the charts, and the PDF and workbook downloads.

Run with `python -m pytest tests/browser/test_results_browser.py -q`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TIMEOUT, copy_db

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import expect  # noqa: E402

from .test_browser import sign_in, wait_idle  # noqa: E402

pytestmark = pytest.mark.browser


def _prepare(db_path: Path) -> int:
    """ent1's known full assessment submitted, and five peers in its industry and district."""
    from db.connection import forget_connections
    from startup.bootstrap import ensure_ready
    from tests.conftest import identity_of
    from tests.test_results_data import add_peers, full_answers, submit_full

    db = ensure_ready(str(db_path))
    try:
        aid = submit_full(db, identity_of(db, "ent1"), full_answers())
        add_peers(db, 5, "zhangdian", "26", [1.0, 1.5, 2.0, 3.0, 3.5])
        return aid
    finally:
        forget_connections()


def test_results_page_and_downloads(server_factory, seeded_db, tmp_path, new_page):
    db_path = copy_db(seeded_db, tmp_path / "zb.db")
    aid = _prepare(db_path)
    srv = server_factory("results", db_path=db_path).start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.goto(f"{srv.url}/result?a={aid}")
    expect(page.get_by_text("是什么让您停留在当前等级")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("二级 规范级")
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(2, timeout=TIMEOUT)
    first_action = page.get_by_text(re.compile("^建议做法：")).first.inner_text().removeprefix("建议做法：").strip()
    assert first_action.startswith("成立跨部门的数字化领导小组")
    body = page.locator("body").inner_text()
    assert "得分高于 60% 的同类企业（共 5 家有结果）" in body
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 5200})  # Streamlit scrolls inside the app: a tall window shows all
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "results-page.png"), full_page=True)

    with page.expect_download(timeout=TIMEOUT * 3) as info:
        page.get_by_role("button", name="下载 PDF 报告").click()
    pdf = info.value
    assert re.fullmatch(r"智能制造成熟度评估报告_淄博华盛新材料有限公司（演示）_\d{8}\.pdf", pdf.suggested_filename)
    pdf_path = tmp_path / "report.pdf"
    pdf.save_as(pdf_path)
    from pypdf import PdfReader

    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(pdf_path).pages))
    assert "二级规范级" in text and re.sub(r"\s+", "", first_action) in text
    (ARTIFACTS / "results-report.pdf").write_bytes(pdf_path.read_bytes())

    with page.expect_download(timeout=TIMEOUT * 3) as info:
        page.get_by_role("button", name="下载 Excel 明细").click()
    xlsx = info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    xlsx_path = tmp_path / "report.xlsx"
    xlsx.save_as(xlsx_path)
    wb = load_workbook(io.BytesIO(xlsx_path.read_bytes()))
    assert wb.sheetnames[:2] == ["结果", "答案明细"]
