"""The bureau KPI page through AppTest: figures over the roster, filters, exports equal to the view, targets."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, identity_of
from tests.test_pages import open_page, sign_in

PAGE = "app_pages/bureau_kpi.py"


@pytest.fixture
def with_roster(fresh_db):
    """The demo data set plus docs/sample-roster.csv imported as the 2025 roster."""
    from imports.roster import import_preview, preview_file

    data = (ROOT / "docs" / "sample-roster.csv").read_bytes()
    import_preview(fresh_db, identity_of(fresh_db, "bureau1"), 2025, preview_file("sample-roster.csv", data))
    return fresh_db


@pytest.fixture
def exported(monkeypatch):
    """Every export the page produces: (kind, file bytes) per table name."""
    import kpi.export as export

    files: dict[str, tuple[str, bytes]] = {}
    real_csv, real_xlsx = export.csv_bytes, export.xlsx_bytes

    def fake_csv(table):
        data = real_csv(table)
        files[f"csv:{'|'.join(table.columns)}"] = data
        return data

    def fake_xlsx(table, sheet="Sheet1"):
        data = real_xlsx(table, sheet)
        files[f"xlsx:{sheet}"] = data
        return data

    monkeypatch.setattr(export, "csv_bytes", fake_csv)
    monkeypatch.setattr(export, "xlsx_bytes", fake_xlsx)
    return files


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def expected(db, district=None, verified_only=False):
    from db.kpi import adoption_rows
    from kpi import adoption as kpi

    rows = kpi.only(adoption_rows(db, identity_of(db, "bureau1"), 2025), district)
    return kpi.tally(rows, kpi.Definition(count_self_assessed=not verified_only))


def test_bureau_sees_the_rate_over_the_roster_with_coverage_and_gap(with_roster):
    from kpi.adoption import gap, percent_text

    at = open_page(sign_in("bureau1"), PAGE)
    assert [t.value for t in at.title] == ["工业互联网应用率"]
    tally = expected(with_roster)
    assert tally.roster == 20 and tally.assessed == 6  # the 6 demo submissions; 14 non-respondents stay in
    rate, coverage, needed, awaiting = at.metric[:4]
    assert (rate.label, rate.value) == ("应用率", percent_text(tally.rate))
    assert rate.delta.endswith("个百分点")
    captions = [c.value for c in at.caption]
    assert "目标 45.0 %（2025 年）" in captions and "6 / 20 家已有评估结果" in captions
    assert coverage.value == percent_text(tally.coverage)
    assert needed.value == f"还需 {gap(tally, 45)} 家"
    assert awaiting.value == "6"  # demo submissions are all awaiting review
    assert any("分母为 2025 年规上工业企业名录全部企业" in c.value for c in at.caption)
    districts = table_with(at, "区县/功能区")
    assert len(districts) == 11 and districts["名录企业数"].sum() == 20
    assert districts["应用企业"].sum() == tally.applying
    assert list(table_with(at, "行业大类").columns)[:3] == ["行业大类", "名录企业数", "已评估"]
    assert any("季度" in s.value for s in at.subheader)


def test_district_filter_and_verified_only(with_roster):
    from kpi.adoption import percent_text

    at = open_page(sign_in("bureau1"), PAGE)
    at.selectbox(key="kpi_district").set_value("zhangdian").run()
    tally = expected(with_roster, "zhangdian")
    assert at.metric[0].value == percent_text(tally.rate)
    assert f"{tally.assessed} / {tally.roster} 家已有评估结果" in [c.value for c in at.caption]
    assert any(s.value == "张店区规上工业企业工业互联网应用率" for s in at.subheader)
    at.selectbox(key="kpi_district").set_value(None).run()
    at.checkbox(key="kpi_verified_only").check().run()
    assert at.metric[0].value == "0.0 %"  # no demo result is verified yet
    assert any("自评结果不计入" in c.value for c in at.caption)


def test_exports_equal_the_view_row_for_row(with_roster, exported):
    at = open_page(sign_in("bureau1"), PAGE)
    shown = table_with(at, "区县/功能区")
    book = load_workbook(io.BytesIO(exported["xlsx:adoption_by_district_2025"]), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == list(shown.columns) and rows[1][0] == "张店区"
    assert len(rows) - 1 == len(shown)
    for sheet_row, (_, view_row) in zip(rows[1:], shown.iterrows()):
        assert [None if v is None else v for v in sheet_row] == [None if v != v else v for v in view_row.tolist()]
    data = exported[f"csv:{'|'.join(shown.columns)}"]
    assert data.startswith(b"\xef\xbb\xbf")
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert records[0] == list(shown.columns) and [r[0] for r in records[1:]] == shown["区县/功能区"].tolist()
    assert [int(r[1]) for r in records[1:]] == shown["名录企业数"].tolist()


def test_export_follows_the_district_filter(with_roster, exported):
    at = open_page(sign_in("bureau1"), PAGE)
    at.selectbox(key="kpi_district").set_value("boshan").run()
    shown = table_with(at, "行业大类")
    book = load_workbook(io.BytesIO(exported["xlsx:adoption_by_industry_2025_boshan"]), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == shown["行业大类"].tolist() == ["30 非金属矿物制品业", "34 通用设备制造业"]


def test_without_roster_the_page_says_so(fresh_db):
    at = open_page(sign_in("bureau1"), PAGE)
    assert any("尚未导入规上企业名录" in i.value for i in at.info)
    assert not at.metric


def test_bureau_edits_a_target_and_the_gap_follows(with_roster):
    from db import audit
    from kpi.adoption import gap

    at = open_page(sign_in("bureau1"), PAGE)
    at.number_input(key="target_value").set_value(60.0)
    at.get("form_submit_button")[0].click().run()
    assert any("目标已保存" in s.value for s in at.success)
    assert at.metric[2].value == f"还需 {gap(expected(with_roster), 60)} 家"
    assert audit.entries(with_roster, "target", "ii_adoption_rate/2025/city")[-1]["new"] == '{"value": "60"}'


@pytest.mark.parametrize("user", ["ent1", "provider1", "admin"])
def test_other_roles_cannot_open_the_page(with_roster, user):
    from db.users import open_session

    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    at.session_state["_token"] = open_session(with_roster, identity_of(with_roster, user))
    at.run()
    assert "无权访问此页面。" in [e.value for e in at.error]
    assert not at.title and not at.dataframe and not at.metric


def test_bureau_navigation_lists_the_page(with_roster):
    at = sign_in("bureau1")
    at = open_page(at, PAGE)
    assert not at.exception


def test_page_not_reachable_without_login(fresh_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.switch_page(PAGE)
    at.run()
    assert not at.metric and not at.dataframe
    assert at.text_input(key="login_user") is not None


def test_page_in_english(with_roster):
    at = sign_in("bureau1")
    at.radio(key="lang").set_value("en").run()
    at = open_page(at, PAGE)
    assert [t.value for t in at.title] == ["Industrial-internet adoption"]
    assert at.metric[0].label == "Adoption rate"
    assert "District / zone" in table_with(at, "District / zone").columns
