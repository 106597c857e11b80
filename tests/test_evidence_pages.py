"""The providers page and evidence on the fill page, through AppTest (the upload itself: tests/browser)."""

from __future__ import annotations

import pytest

from evidence.content import safe_name
from tests import evidence_samples as samples
from tests.conftest import identity_of
from tests.test_pages import open_page, sign_in
from ui.text import md_escape

PROVIDERS = "app_pages/providers_admin.py"


@pytest.fixture(autouse=True)
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ZB_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return tmp_path / "evidence"


@pytest.mark.parametrize("who", ["bureau1", "admin"])
def test_bureau_and_admin_create_a_provider_and_assign_an_enterprise(fresh_db, who):
    at = open_page(sign_in(who), PROVIDERS)
    assert [t.value for t in at.title] == ["服务商管理"]
    at.text_input(key="new_provider_name").input("新服务商有限公司")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, at.exception
    assert "已创建服务商“新服务商有限公司”。" in [s.value for s in at.success]
    pid = fresh_db.execute("SELECT id FROM providers WHERE name = '新服务商有限公司'").fetchone()[0]
    ent4 = identity_of(fresh_db, "ent4").enterprise_id
    at.selectbox(key="assign_ent").set_value(ent4).run()
    at.selectbox(key=f"assign_to_{ent4}").set_value(pid).run()
    at.button(key="assign_save").click().run()
    assert not at.exception, at.exception
    assert fresh_db.execute("SELECT provider_id FROM assignments WHERE enterprise_id = ?", [ent4]).fetchone() == (pid,)
    assert any("已将" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "服务商" in d.value.columns and "分配时间" in d.value.columns)
    assert "新服务商有限公司" in set(table["服务商"])


def test_page_creates_a_provider_user_who_must_change_the_password(fresh_db):
    at = open_page(sign_in("bureau1"), PROVIDERS)
    at.text_input(key="pu_username").input("zhao2")
    at.text_input(key="pu_display").input("赵二")
    at.text_input(key="pu_password").input("Weak")
    at.get("form_submit_button")[1].click().run()
    assert any("新密码太弱" in e.value for e in at.error)
    assert fresh_db.execute("SELECT 1 FROM users WHERE username = 'zhao2'").fetchone() is None
    at.text_input(key="pu_username").input("zhao2")  # the form starts empty again
    at.text_input(key="pu_display").input("赵二")
    at.text_input(key="pu_password").input("Zibo-2025-strong!")
    at.get("form_submit_button")[1].click().run()
    assert not at.exception, at.exception
    row = fresh_db.execute("SELECT role, provider_id IS NOT NULL, must_change_password FROM users "
                           "WHERE username = 'zhao2'").fetchone()
    assert tuple(row) == ("provider", 1, 1)


def test_duplicate_provider_name_is_a_chinese_error(fresh_db):
    at = open_page(sign_in("bureau1"), PROVIDERS)
    at.text_input(key="new_provider_name").input("淄博智造咨询服务有限公司（演示）")
    at.get("form_submit_button")[0].click().run()
    assert any("已存在" in e.value for e in at.error)


def _open_fill(fresh_db, username="ent1"):
    from db.assessments import start_assessment
    from questionnaires import registry

    quick = registry.latest("cmmm_quick")
    identity = identity_of(fresh_db, username)
    aid, _ = start_assessment(fresh_db, identity, quick.id, quick.version)
    section = quick.sections[0]
    return identity, aid, section, section.questions[0].id


def test_fill_page_offers_an_uploader_per_item_and_lists_and_deletes_files(fresh_db):
    from db.evidence import attach

    identity, aid, section, item = _open_fill(fresh_db)
    attach(fresh_db, identity, aid, item, "**证书** [扫描](x).pdf", samples.PDF)
    at = open_page(sign_in("ent1"), "app_pages/ent_fill.py", a=aid, s=section.id)
    uploaders = at.get("file_uploader")
    assert len(uploaders) == len(section.questions)
    assert "上传证明材料" in uploaders[0].proto.label
    shown = safe_name("**证书** [扫描](x).pdf")
    assert shown == "__证书__ [扫描](x).pdf"
    assert any(md_escape(shown) in m.value for m in at.markdown)  # escaped: shown as stored
    at.button(key=f"evx:{fresh_db.execute('SELECT id FROM evidence_files').fetchone()[0]}").click().run()
    assert not at.exception, at.exception
    assert "已删除证明材料：" + md_escape(shown) in [s.value for s in at.success]
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 0


def test_submitted_assessment_lists_files_without_uploader_or_delete(fresh_db):
    from db.evidence import attach

    identity, aid, section, item = _open_fill(fresh_db)
    eid = attach(fresh_db, identity, aid, item, "a.pdf", samples.PDF)
    fresh_db.execute("UPDATE assessments SET status = 'submitted' WHERE id = ?", [aid])
    at = open_page(sign_in("ent1"), "app_pages/ent_fill.py", a=aid, s=section.id)
    assert not at.get("file_uploader")
    assert not [b for b in at.button if b.key == f"evx:{eid}"]
    assert any("a\\.pdf" in m.value for m in at.markdown)


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8-sig")


def test_bulk_assignment_shows_row_errors_and_imports_only_when_chosen(fresh_db):
    codes = dict(fresh_db.execute("SELECT u.username, e.credit_code FROM users u JOIN enterprises e "
                                  "ON e.id = u.enterprise_id WHERE u.username IN ('ent5', 'ent6')").fetchall())
    before = fresh_db.execute("SELECT count(*) FROM assignments").fetchone()[0]
    at = open_page(sign_in("bureau1"), PROVIDERS)
    pid = fresh_db.execute("SELECT id FROM providers").fetchone()[0]
    at.selectbox(key="assign_default").set_value(pid).run()
    data = _csv([["统一社会信用代码", "服务商"], [codes["ent5"], "无此服务商"], [codes["ent6"], ""], ["123", ""]])
    at.get("file_uploader")[0].set_value(("分配.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    problems = next(d.value for d in at.dataframe if "问题" in d.value.columns)
    assert list(problems["行号"]) == [2, 4]
    assert "未知服务商：“无此服务商”" in problems["问题"].iloc[0] and "统一社会信用代码无效" in problems["问题"].iloc[1]
    assert at.button(key="assign_import_valid").disabled  # only after the explicit confirmation
    assert fresh_db.execute("SELECT count(*) FROM assignments").fetchone()[0] == before
    at.checkbox(key="assign_confirm").check().run()
    at.button(key="assign_import_valid").click().run()
    assert not at.exception, at.exception
    assert "已导入：1 家企业的服务商发生变化。" in [s.value for s in at.success]
    assert fresh_db.execute("SELECT count(*) FROM assignments").fetchone()[0] == before + 1


def test_too_large_upload_on_the_fill_page_is_refused_in_chinese(fresh_db, monkeypatch, store_dir):
    monkeypatch.setenv("ZB_EVIDENCE_MAX_MB", "1")
    _, aid, section, _ = _open_fill(fresh_db)
    at = open_page(sign_in("ent1"), "app_pages/ent_fill.py", a=aid, s=section.id)
    big = samples.PDF + b"0" * (1024 * 1024)
    at.get("file_uploader")[0].set_value([("大文件.pdf", big, "application/pdf")]).run()
    assert not at.exception, at.exception
    assert any("过大" in e.value and "1 MB" in e.value for e in at.error)
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 0
    assert not store_dir.exists() or not [p for p in store_dir.rglob("*") if p.is_file()]
    at.get("file_uploader")[0].set_value([("证书.pdf", samples.PDF, "application/pdf")]).run()
    assert any("已保存证明材料：证书\\.pdf" in s.value for s in at.success)
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 1


def test_refusal_naming_a_file_is_escaped(fresh_db, store_dir):
    _, aid, section, _ = _open_fill(fresh_db)
    at = open_page(sign_in("ent1"), "app_pages/ent_fill.py", a=aid, s=section.id)
    name = "[点我](e) **x** <b>.exe"
    at.get("file_uploader")[0].set_value([(name, samples.PDF, "application/pdf")]).run()
    [error] = [e.value for e in at.error if "扩展名与内容不符" in e.value]
    assert safe_name(name) == "[点我](e) __x__ _b_.exe"
    assert md_escape(safe_name(name)) in error  # shown as stored, not as a link or bold
    assert fresh_db.execute("SELECT count(*) FROM evidence_files").fetchone()[0] == 0
