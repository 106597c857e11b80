"""The audit log: append-only in the database, filters in Asia/Shanghai days, the page and its exports."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date

import psycopg
import pytest
from openpyxl import load_workbook

from tests.conftest import identity_of
from tests.test_pages import open_page, sign_in

PAGE = "app_pages/audit_log.py"


def test_no_update_or_delete_function_exists():
    from db import audit

    assert not [n for n in dir(audit) if any(w in n.lower() for w in ("update", "delete", "remove", "clear", "edit"))]


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log",
                                 "UPDATE audit_log SET at = '2000-01-01T00:00:00.000000Z' WHERE id = 1"])
def test_the_database_refuses_changes_to_the_log(fresh_db, sql):
    from db import audit

    audit.record(fresh_db, identity_of(fresh_db, "bureau1"), "set_target", "target", 1, old={"value": "1"})
    before = list(fresh_db.query("SELECT * FROM audit_log ORDER BY id"))
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.RaiseException), match="append-only"):
        fresh_db.execute(sql)
    assert list(fresh_db.query("SELECT * FROM audit_log ORDER BY id")) == before


def _entry(db, at: str, user: str, action: str, entity: str, entity_id) -> None:
    """An entry with a chosen time (inserted directly: record() always stamps now)."""
    uid = identity_of(db, user).user_id
    db.execute("INSERT INTO audit_log (at, user_id, action, entity, entity_id, old, new, reason) "
               "VALUES (?,?,?,?,?,?,?,?)", [at, uid, action, entity, str(entity_id), None, '{"provider": "甲"}', "测试"])


def test_date_filter_uses_shanghai_days(fresh_db):
    from db.audit import AuditFilter, query

    # 2026-03-01 23:30 UTC is 2026-03-02 07:30 in Shanghai; 2026-03-01 15:59 UTC is still 2026-03-01 23:59 there.
    _entry(fresh_db, "2026-03-01T23:30:00.000000Z", "bureau1", "assign", "enterprise", 1)
    _entry(fresh_db, "2026-03-01T15:59:00.000000Z", "bureau1", "assign", "enterprise", 2)
    bureau = identity_of(fresh_db, "bureau1")
    day1 = query(fresh_db, bureau, AuditFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 1)))
    day2 = query(fresh_db, bureau, AuditFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)))
    assert [r["entity_id"] for r in day1] == ["2"] and [r["entity_id"] for r in day2] == ["1"]


def test_filters_by_user_action_entity_and_enterprise(fresh_db):
    from db.assessments import list_assessments
    from db.audit import AuditFilter, query

    bureau = identity_of(fresh_db, "bureau1")
    ent3 = identity_of(fresh_db, "ent3")
    own = [a["id"] for a in list_assessments(fresh_db, ent3)]
    rows = query(fresh_db, bureau, AuditFilter(enterprise_id=ent3.enterprise_id))
    assert rows and {r["entity_id"] for r in rows} <= {str(i) for i in own} | {str(ent3.enterprise_id)}
    assert {r["action"] for r in rows} >= {"start", "submit"}
    assert {r["who"] for r in query(fresh_db, bureau, AuditFilter(user_id=ent3.user_id))} == {ent3.display_name}
    assert {r["action"] for r in query(fresh_db, bureau, AuditFilter(action="submit"))} == {"submit"}
    assert {r["entity"] for r in query(fresh_db, bureau, AuditFilter(entity="assessment"))} == {"assessment"}


@pytest.mark.parametrize("who", ["ent1", "provider1"])
def test_only_bureau_and_admin_read_the_log(fresh_db, who):
    from db.audit import AuditFilter, query
    from db.identity import AccessDenied

    with pytest.raises(AccessDenied):
        query(fresh_db, identity_of(fresh_db, who), AuditFilter())


@pytest.fixture
def exported(monkeypatch):
    import kpi.export as export

    files: dict[str, bytes] = {}
    real_csv, real_xlsx = export.csv_bytes, export.xlsx_bytes

    def fake_csv(table):
        files["csv"] = real_csv(table)  # the last run's export is the one offered with the view
        return files["csv"]

    def fake_xlsx(table, sheet="Sheet1"):
        files["xlsx"] = real_xlsx(table, sheet)
        return files["xlsx"]

    monkeypatch.setattr(export, "csv_bytes", fake_csv)
    monkeypatch.setattr(export, "xlsx_bytes", fake_xlsx)
    return files


def test_page_shows_chinese_labels_and_exports_equal_the_filtered_view(fresh_db, exported):
    from db.providers import assign_enterprise

    bureau = identity_of(fresh_db, "bureau1")
    assert assign_enterprise(fresh_db, bureau, identity_of(fresh_db, "ent1").enterprise_id, None)
    at = open_page(sign_in("bureau1"), PAGE)
    assert [t.value for t in at.title] == ["操作日志"]
    at.selectbox(key="audit_action").set_value("unassign").run()
    assert not at.exception, at.exception
    [view] = [d.value for d in at.dataframe]
    assert list(view.columns) == ["时间", "操作人", "操作", "对象", "原值", "新值", "原因"]
    assert list(view["操作"]) == ["取消服务商分配"] and list(view["操作人"]) == [bureau.display_name]
    assert "服务商：淄博智造咨询服务有限公司（演示）" in view["原值"].iloc[0]
    text = exported["csv"]
    assert text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows == [list(view.columns), *[[str(v) for v in r] for r in view.itertuples(index=False)]]
    sheet = load_workbook(io.BytesIO(exported["xlsx"])).active
    assert [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)] == rows


def test_unfiltered_view_has_no_raw_keys(fresh_db):
    at = open_page(sign_in("bureau1"), PAGE)
    [view] = [d.value for d in at.dataframe]
    joined = " ".join(" ".join(map(str, r)) for r in view.itertuples(index=False))
    assert "提交评估" in joined and "状态：" in joined
    for raw in ("submitted", "draft", "score", "status", "cmmm_quick"):
        assert raw not in joined


@pytest.mark.parametrize("page", [PAGE, "app_pages/providers_admin.py"])
@pytest.mark.parametrize("who", ["ent1", "provider1"])
def test_pages_refuse_other_roles_even_when_run_directly(fresh_db, page, who):
    from streamlit.testing.v1 import AppTest

    from db.users import open_session
    from tests.conftest import ROOT

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(sign_in(who), page)  # not in the role's navigation at all
    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.session_state["_token"] = open_session(fresh_db, identity_of(fresh_db, who))
    at.run()
    assert "无权访问此页面。" in [e.value for e in at.error]
    assert not at.title and not at.dataframe


def test_bad_date_range_is_a_message(fresh_db):
    at = open_page(sign_in("admin"), PAGE)
    at.date_input(key="audit_from").set_value(date(2030, 1, 2))
    at.date_input(key="audit_to").set_value(date(2030, 1, 1)).run()
    assert "开始日期不能晚于结束日期。" in [e.value for e in at.error]
