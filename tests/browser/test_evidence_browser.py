"""Evidence on the fill page in real Chromium: upload a file to an item, see it listed, download it back;
a look-alike file is refused with a Chinese message and nothing stored."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests import evidence_samples as samples

from .conftest import ARTIFACTS, CHROMIUM, TIMEOUT, copy_db
from .test_browser import sign_in, wait_idle
from .test_fill_browser import _draft

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def evidence_server(server_factory, seeded_db, tmp_path):
    """A server on a private copy of the demo database; evidence goes beside it (the default)."""
    db = copy_db(seeded_db, tmp_path / "zb.db")
    holder = {}

    def start():
        holder["srv"] = server_factory("evidence", db_path=db).start()
        return holder["srv"]

    yield db, start
    if "srv" in holder:
        holder["srv"].stop()


def _rows(db: Path, aid: int) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT item_id, filename, sha256 FROM evidence_files WHERE assessment_id = ?",
                         [aid]).fetchall()


def test_upload_list_download_and_refuse_on_the_fill_page(evidence_server, new_page, tmp_path):
    from questionnaires import registry

    db, start = evidence_server
    aid = _draft(db, "ent1", "cmmm_quick")
    section = registry.latest("cmmm_quick").sections[0]
    srv = start()
    page = new_page()
    sign_in(page, srv.url, "ent1")
    page.goto(f"{srv.url}/ent_fill?a={aid}&s={section.id}")
    wait_idle(page)
    inputs = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    expect(inputs).to_have_count(len(section.questions), timeout=TIMEOUT)

    good = tmp_path / "设备台账.pdf"
    good.write_bytes(samples.PDF)
    inputs.first.set_input_files(str(good))
    expect(page.get_by_text("已保存证明材料：设备台账.pdf")).to_be_visible(timeout=TIMEOUT)
    listed = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="设备台账.pdf").filter(has_text="张工")
    expect(listed).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="删除")).to_be_visible()
    sha = hashlib.sha256(samples.PDF).hexdigest()
    assert _rows(db, aid) == [(section.questions[0].id, "设备台账.pdf", sha)]
    assert (db.parent / "evidence" / sha[:2] / sha[2:]).read_bytes() == samples.PDF
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evidence-uploaded.png"), full_page=True)

    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name="下载").first.click()
    saved = tmp_path / "back.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == samples.PDF and download.value.suggested_filename == "设备台账.pdf"

    fake = tmp_path / "伪装.pdf"
    fake.write_bytes(samples.EXE)
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(fake))
    expect(page.get_by_text("内容不是可接受的类型", exact=False)).to_be_visible(timeout=TIMEOUT)
    assert len(_rows(db, aid)) == 1

    renamed = tmp_path / "报告.exe"  # a good type under a bad name: our Chinese message, not the browser's
    renamed.write_bytes(samples.PNG)
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(renamed))
    expect(page.get_by_text("扩展名与内容不符", exact=False)).to_be_visible(timeout=TIMEOUT)
    assert len(_rows(db, aid)) == 1
    assert len([p for p in (db.parent / "evidence").rglob("*") if p.is_file()]) == 1
