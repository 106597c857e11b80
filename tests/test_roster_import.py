"""Roster import: row-level problems in Chinese, nothing imported unless clean or explicitly valid-only."""

from __future__ import annotations

import io

import pytest

from db import audit
from db.identity import AccessDenied, Identity
from imports.roster import NotClean, credit_code_message, import_preview, preview_file
from zibo.reference import with_check_character

BUREAU = Identity(1, "bureau1", "bureau", "工信局")
HEADER = "统一社会信用代码,企业名称,所属区县,行业大类,营业收入,从业人员"


def code(i: int) -> str:
    return with_check_character(f"91370303MA{i:07d}")


GOOD = [f"{code(1)},淄博甲化工有限公司,张店区,26,1200.5,80", f"{code(2)},淄博乙机械有限公司,淄川区,34,,",
        f"{code(3)},淄博丙陶瓷有限公司,高新区,30,300,12"]


def csv_file(*lines: str, header: str = HEADER, encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join([header, *lines]).encode(encoding)


@pytest.fixture
def rdb(empty_db_location):
    from db.connection import forget_connections, get_db

    db = get_db(empty_db_location)
    yield db
    forget_connections()


def count(db, year=2025) -> int:
    return db.execute("SELECT count(*) FROM roster_entries WHERE year = ?", [year]).fetchone()[0]


def test_clean_file_imports_every_row(rdb):
    preview = preview_file("名录.csv", csv_file(*GOOD))
    assert preview.clean and preview.total_rows == 3 and preview.problems == []
    first, second, third = preview.valid
    assert (first.row, first.district, first.industry_code, first.revenue, first.employees) == (2, "zhangdian", "26", "1200.5", 80)
    assert (second.revenue, second.employees) == (None, None)
    assert third.district == "high_tech_zone"
    assert import_preview(rdb, BUREAU, 2025, preview, source="名录.csv") == {"old": 0, "new": 3}
    assert count(rdb) == 3


BAD_ROWS = [
    (f"{code(4)[:-1]}{'0' if code(4)[-1] != '0' else '1'},丁公司,张店区,26,,", "credit_code", "统一社会信用代码无效：校验位不正确"),
    (f"{code(4)[:10]},丁公司,张店区,26,,", "credit_code", "统一社会信用代码无效：应为 18 位，实际为 10 位"),
    (f"{code(4)[:8]}IO{code(4)[10:]},丁公司,张店区,26,,", "credit_code", "含有信用代码不使用的字符：IO"),
    (f"{code(4)},丁公司,北京区,26,,", "district", "未知区县：“北京区”"),
    (f"{code(4)},丁公司,张店区,12,,", "industry_code", "未知行业大类：“12”"),
    (f"{code(4)},丁公司,张店区,采矿业,,", "industry_code", "未知行业大类：“采矿业”"),
    (f"{code(4)},,张店区,26,,", "name", "缺少企业名称"),
    (",丁公司,张店区,26,,", "credit_code", "缺少统一社会信用代码"),
    (f"{code(4)},丁公司,,26,,", "district", "缺少所属区县"),
    (f"{code(4)},丁公司,张店区,,,", "industry_code", "缺少行业大类"),
    (f"{code(4)},丁公司,张店区,26,一百万,", "revenue", "营业收入应为非负数字"),
    (f"{code(4)},丁公司,张店区,26,100,3.5", "employees", "从业人员应为非负整数"),
    (f"{code(1)},甲化工重复,张店区,26,,", "credit_code", f"信用代码 {code(1)} 在文件中重复出现（第 2、5 行）"),
]


@pytest.mark.parametrize("line,field,message", BAD_ROWS)
def test_each_error_has_its_row_field_message_and_nothing_is_imported(rdb, line, field, message):
    preview = preview_file("名录.csv", csv_file(*GOOD, line))
    assert any(p.row == 5 and p.field == field and message in p.zh for p in preview.problems), preview.problems
    assert not preview.clean
    with pytest.raises(NotClean):
        import_preview(rdb, BUREAU, 2025, preview)
    assert count(rdb) == 0


def test_duplicate_codes_flag_every_occurrence(rdb):
    preview = preview_file("名录.csv", csv_file(*GOOD, f"{code(1)},甲化工重复,张店区,26,,"))
    assert {p.row for p in preview.problems} == {2, 5}
    assert [r.row for r in preview.valid] == [3, 4]


@pytest.mark.parametrize("header,missing", [
    ("统一社会信用代码,企业名称,所属区县", "缺少“行业大类”列"),
    ("信用代码,名称,所属区县,行业大类", "缺少“企业名称”列"),
])
def test_missing_column_is_a_file_problem(rdb, header, missing):
    preview = preview_file("名录.csv", csv_file("x,y,z,w", header=header))
    assert [p.row for p in preview.problems] == [1] and missing in preview.problems[0].zh
    assert preview.file_problem and not preview.valid
    with pytest.raises(NotClean):
        import_preview(rdb, BUREAU, 2025, preview, only_valid=True)
    assert count(rdb) == 0


def test_only_valid_rows_are_imported_when_chosen_explicitly(rdb):
    preview = preview_file("名录.csv", csv_file(*GOOD, f"{code(4)},丁公司,北京区,26,,"))
    assert (len(preview.valid), preview.bad_rows) == (3, 1)
    with pytest.raises(NotClean):
        import_preview(rdb, BUREAU, 2025, preview)
    assert import_preview(rdb, BUREAU, 2025, preview, only_valid=True, source="名录.csv") == {"old": 0, "new": 3}
    assert count(rdb) == 3
    entry = audit.entries(rdb, "roster", 2025)[-1]
    assert '"skipped_invalid_rows": 1' in entry["new"]


def test_reimport_replaces_that_year_only_and_is_audited(rdb):
    import_preview(rdb, BUREAU, 2024, preview_file("a.csv", csv_file(*GOOD)))
    import_preview(rdb, BUREAU, 2025, preview_file("a.csv", csv_file(*GOOD)))
    second = preview_file("b.csv", csv_file(f"{code(7)},淄博戊公司,桓台县,22,,"))
    assert import_preview(rdb, BUREAU, 2025, second, source="b.csv") == {"old": 3, "new": 1}
    assert [r[0] for r in rdb.execute("SELECT credit_code FROM roster_entries WHERE year = 2025")] == [code(7)]
    assert count(rdb, 2024) == 3
    entries = audit.entries(rdb, "roster", 2025)
    assert [(e["action"], e["old"], e["user_id"]) for e in entries] == [("import", '{"rows": 0}', 1),
                                                                        ("import", '{"rows": 3}', 1)]
    assert '"rows": 1' in entries[-1]["new"] and "b.csv" in entries[-1]["new"]


def test_failed_import_keeps_the_old_roster(rdb, monkeypatch):
    import_preview(rdb, BUREAU, 2025, preview_file("a.csv", csv_file(*GOOD)))
    preview = preview_file("b.csv", csv_file(f"{code(7)},淄博戊公司,桓台县,22,,"))

    def boom(done, total):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        import_preview(rdb, BUREAU, 2025, preview, progress=boom)
    assert count(rdb) == 3 and len(audit.entries(rdb, "roster", 2025)) == 1


@pytest.mark.parametrize("role", ["enterprise", "provider"])
def test_only_the_bureau_imports(rdb, role):
    with pytest.raises(AccessDenied):
        import_preview(rdb, Identity(2, "x", role), 2025, preview_file("a.csv", csv_file(*GOOD)))
    assert count(rdb) == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_encodings(encoding):
    preview = preview_file("名录.csv", csv_file(*GOOD, encoding=encoding))
    assert preview.clean and [r.name for r in preview.valid] == ["淄博甲化工有限公司", "淄博乙机械有限公司", "淄博丙陶瓷有限公司"]


def test_unknown_encoding_is_refused_with_a_message():
    preview = preview_file("名录.csv", csv_file(*GOOD, encoding="utf-16"))
    assert not preview.valid and "无法识别文件编码" in preview.problems[0].zh


@pytest.mark.parametrize("name,data,message", [("名录.txt", b"x", "只支持 xlsx 或 csv"),
                                               ("名录.xlsx", b"not a zip", "无法读取该 xlsx"),
                                               ("名录.csv", b"\r\n\r\n", "文件为空")])
def test_unreadable_files(name, data, message):
    preview = preview_file(name, data)
    assert preview.file_problem and message in preview.problems[0].zh


def test_xlsx_with_numbers_typed_as_numbers_and_english_headers():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Credit code", "Name", "District", "Industry", "Revenue", "Employees"])
    sheet.append([code(1), "淄博甲化工有限公司", "zhangdian", 26, 1200.5, 80])
    sheet.append([None, None, None, None, None, None])  # blank rows are skipped, numbering kept
    sheet.append([code(2), "淄博乙机械有限公司", "淄川", "34 通用设备制造业", None, 12.0])
    sheet.append([code(3), "淄博丙公司", "北京区", "C30", None, None])
    out = io.BytesIO()
    book.save(out)
    preview = preview_file("roster.xlsx", out.getvalue())
    assert [(r.row, r.district, r.industry_code, r.employees) for r in preview.valid] == [
        (2, "zhangdian", "26", 80), (4, "zichuan", "34", 12)]
    assert [(p.row, p.field) for p in preview.problems] == [(5, "district")]


def test_sample_roster_in_docs_is_clean():
    from tests.conftest import ROOT

    data = (ROOT / "docs" / "sample-roster.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    preview = preview_file("sample-roster.csv", data)
    assert preview.clean and len(preview.valid) == 20
    assert len({r.district for r in preview.valid}) == 11


class Bilingual:
    """The shape the rewritten validator may return."""

    zh = "校验码错误（中文说明）"

    def get(self, lang):
        return "check character wrong" if lang == "en" else self.zh


def test_credit_code_wrapper_accepts_a_bilingual_validator(monkeypatch):
    import imports.roster as roster

    monkeypatch.setattr(roster, "credit_code_problem", lambda c: Bilingual())
    assert credit_code_message("X") == ("校验码错误（中文说明）", "check character wrong")
    monkeypatch.setattr(roster, "credit_code_problem", lambda c: None)
    assert credit_code_message("X") is None


def test_targets_are_seeded_edited_and_audited(rdb):
    from db.roster import list_targets, set_target

    assert [(t["year"], t["scope"], t["value"]) for t in list_targets(rdb, BUREAU)] == [(2025, "city", "45")]
    set_target(rdb, BUREAU, "ii_adoption_rate", 2025, "city", "47.50")
    set_target(rdb, BUREAU, "ii_adoption_rate", 2025, "linzi", 50)
    assert [(t["scope"], t["value"]) for t in list_targets(rdb, BUREAU)] == [("city", "47.5"), ("linzi", "50")]
    entry = audit.entries(rdb, "target", "ii_adoption_rate/2025/city")[-1]
    assert (entry["old"], entry["new"]) == ('{"value": "45"}', '{"value": "47.5"}')
    for bad in ("0", "101", "abc", "nan"):
        with pytest.raises(ValueError):
            set_target(rdb, BUREAU, "ii_adoption_rate", 2025, "city", bad)
    with pytest.raises(ValueError):
        set_target(rdb, BUREAU, "ii_adoption_rate", 2025, "beijing", 40)
    with pytest.raises(AccessDenied):
        set_target(rdb, Identity(2, "e", "enterprise"), "ii_adoption_rate", 2025, "city", 40)
