"""Provider organisations, assignment one by one and from a spreadsheet, and provider isolation."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from db.identity import AccessDenied, NotFound
from tests.conftest import identity_of


@pytest.fixture
def bureau(fresh_db):
    return identity_of(fresh_db, "bureau1")


@pytest.fixture
def two_providers(fresh_db, bureau):
    """Provider A = the demo provider (enterprises 1-3); provider B serves enterprise 4, with user provb."""
    from db.providers import assign_enterprise, create_provider_org, create_provider_user

    pid = create_provider_org(fresh_db, bureau, "乙方咨询有限公司")
    create_provider_user(fresh_db, bureau, pid, "provb", "zibo2025-Strong!", "乙顾问")
    assign_enterprise(fresh_db, bureau, identity_of(fresh_db, "ent4").enterprise_id, pid)
    return identity_of(fresh_db, "provider1"), identity_of(fresh_db, "provb")


def codes(db, *usernames):
    return [db.execute("SELECT e.credit_code FROM enterprises e JOIN users u ON u.enterprise_id = e.id "
                       "WHERE u.username = ?", [u]).fetchone()[0] for u in usernames]


def assignments(db) -> dict[int, int]:
    return dict(db.execute("SELECT enterprise_id, provider_id FROM assignments").fetchall())


def csv_file(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8-sig")


# --- organisations and users --------------------------------------------------------------------


def test_bureau_creates_a_provider_and_its_user_audited(fresh_db, bureau):
    from db import audit
    from db.providers import create_provider_org, create_provider_user, list_providers, provider_users

    pid = create_provider_org(fresh_db, bureau, "  新  服务商 ")
    uid = create_provider_user(fresh_db, bureau, pid, "newprov", "zibo2025-Strong!", "新顾问")
    assert any(p["id"] == pid and p["name"] == "新 服务商" and p["users"] == 1 for p in list_providers(fresh_db, bureau))
    assert [u["id"] for u in provider_users(fresh_db, bureau, pid)] == [uid]
    row = fresh_db.execute("SELECT role, provider_id, must_change_password FROM users WHERE id = ?", [uid]).fetchone()
    assert tuple(row) == ("provider", pid, 1)
    assert [e["action"] for e in audit.entries(fresh_db, "provider", pid)] == ["create_provider"]


@pytest.mark.parametrize("name, says", [("", "2 至 100"), ("x", "2 至 100"), ("淄博智造咨询服务有限公司（演示）", "已存在")])
def test_bad_provider_names_are_refused(fresh_db, bureau, name, says):
    from db.providers import create_provider_org
    from db.users import UserError

    before = fresh_db.execute("SELECT count(*) FROM providers").fetchone()[0]
    with pytest.raises(UserError) as refused:
        create_provider_org(fresh_db, bureau, name)
    assert says in refused.value.text.zh
    assert fresh_db.execute("SELECT count(*) FROM providers").fetchone()[0] == before


@pytest.mark.parametrize("who", ["ent1", "provider1"])
def test_only_bureau_and_admin_manage_providers(fresh_db, who):
    from db.providers import assign_enterprise, create_provider_org, list_providers

    identity = identity_of(fresh_db, who)
    for call in (lambda: create_provider_org(fresh_db, identity, "某服务商"), lambda: list_providers(fresh_db, identity),
                 lambda: assign_enterprise(fresh_db, identity, identity_of(fresh_db, "ent4").enterprise_id, 1)):
        with pytest.raises(AccessDenied):
            call()


def test_reassignment_is_audited_old_to_new(fresh_db, bureau, two_providers):
    from db import audit
    from db.providers import assign_enterprise

    a, b = two_providers
    ent1 = identity_of(fresh_db, "ent1").enterprise_id
    assert assign_enterprise(fresh_db, bureau, ent1, b.provider_id) is True
    assert assign_enterprise(fresh_db, bureau, ent1, b.provider_id) is False  # unchanged: no entry
    assert assignments(fresh_db)[ent1] == b.provider_id
    [entry] = [e for e in audit.entries(fresh_db, "enterprise", ent1) if e["action"] == "reassign"]
    assert json.loads(entry["old"])["provider_id"] == a.provider_id
    assert json.loads(entry["new"]) == {"provider_id": b.provider_id, "provider": "乙方咨询有限公司"}
    assert entry["user_id"] == bureau.user_id
    assign_enterprise(fresh_db, bureau, ent1, None)
    assert ent1 not in assignments(fresh_db)
    assert audit.entries(fresh_db, "enterprise", ent1)[-1]["action"] == "unassign"


# --- isolation ----------------------------------------------------------------------------------


def test_a_provider_sees_only_its_own_enterprises(fresh_db, two_providers):
    from db.assessments import get_assessment, list_assessments
    from db.enterprises import can_see_enterprise, get_enterprise, list_enterprises

    a, b = two_providers
    ent4 = identity_of(fresh_db, "ent4").enterprise_id
    ent1 = identity_of(fresh_db, "ent1").enterprise_id
    assert {e["id"] for e in list_enterprises(fresh_db, b)} == {ent4}
    assert ent4 not in {e["id"] for e in list_enterprises(fresh_db, a)}
    assert not can_see_enterprise(fresh_db, b, ent1) and not can_see_enterprise(fresh_db, a, ent4)
    with pytest.raises(NotFound):
        get_enterprise(fresh_db, b, ent1)
    b_assessments = list_assessments(fresh_db, b)
    assert b_assessments and {x["enterprise_id"] for x in b_assessments} == {ent4}
    for x in list_assessments(fresh_db, a):
        with pytest.raises(NotFound):
            get_assessment(fresh_db, b, x["id"])
    for x in b_assessments:
        with pytest.raises(NotFound):
            get_assessment(fresh_db, a, x["id"])


def test_a_provider_without_organisation_sees_nothing(fresh_db):
    from db.enterprises import list_enterprises
    from db.identity import Identity

    assert list_enterprises(fresh_db, Identity(999, "ghost", "provider", provider_id=None)) == []


# --- spreadsheet import -------------------------------------------------------------------------


def test_clean_csv_assigns_every_row(fresh_db, bureau, two_providers):
    from imports.assignments import import_preview, preview_file

    a, b = two_providers
    c5, c6 = codes(fresh_db, "ent5", "ent6")
    preview = preview_file(fresh_db, "a.csv", csv_file([["统一社会信用代码", "服务商"], [c5, "乙方咨询有限公司"],
                                                         [c6.lower(), ""]]), default_provider_id=a.provider_id)
    assert preview.problems == [] and [r.row for r in preview.valid] == [2, 3]
    assert import_preview(fresh_db, bureau, preview) == 2
    got = assignments(fresh_db)
    ids = [identity_of(fresh_db, u).enterprise_id for u in ("ent5", "ent6")]
    assert (got[ids[0]], got[ids[1]]) == (b.provider_id, a.provider_id)


def test_xlsx_without_provider_column_uses_the_chosen_provider(fresh_db, bureau, two_providers):
    from imports.assignments import import_preview, preview_file

    _, b = two_providers
    book = Workbook()
    sheet = book.active
    sheet.append(["信用代码"])
    for code in codes(fresh_db, "ent7", "ent8"):
        sheet.append([code])
    out = io.BytesIO()
    book.save(out)
    preview = preview_file(fresh_db, "a.xlsx", out.getvalue(), default_provider_id=b.provider_id)
    assert not preview.problems
    assert import_preview(fresh_db, bureau, preview) == 2
    assert {assignments(fresh_db)[identity_of(fresh_db, u).enterprise_id] for u in ("ent7", "ent8")} == {b.provider_id}


@pytest.mark.parametrize("rows, row, message", [
    ([["91370303MA3C1234X"]], 2, "统一社会信用代码无效"),  # invalid code
    ([["91370303MA3C12345"]], 2, "统一社会信用代码无效"),
    ([["913703000000000000"]], 2, "统一社会信用代码无效"),
    ([["{c5}", "不存在的服务商"]], 2, "未知服务商：“不存在的服务商”"),
    ([["{unknown}"]], 2, "平台上没有信用代码为"),  # valid code, no such enterprise
    ([["{c5}"], ["{c5}"]], 3, "在文件中重复出现（第 2、3 行）"),  # duplicate row
    ([["", "乙方咨询有限公司"]], 2, "缺少统一社会信用代码"),
])
def test_each_bad_row_is_named_and_nothing_is_imported(fresh_db, bureau, two_providers, rows, row, message):
    from imports.assignments import NotClean, import_preview, preview_file
    from startup.demo import demo_credit_code

    a, _ = two_providers
    (c5,) = codes(fresh_db, "ent5")
    unknown = demo_credit_code("zhangdian", "MA9XXXXX9")
    filled = [[cell.format(c5=c5, unknown=unknown) for cell in r] for r in rows]
    good = codes(fresh_db, "ent6")
    data = csv_file([["统一社会信用代码", "服务商"], *[r + [""] * (2 - len(r)) for r in filled], [good[0], ""]])
    before = assignments(fresh_db)
    audit_before = fresh_db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    preview = preview_file(fresh_db, "bad.csv", data, default_provider_id=a.provider_id)
    assert any(p.row == row and message in p.zh for p in preview.problems), preview.problems
    with pytest.raises(NotClean):
        import_preview(fresh_db, bureau, preview)
    assert assignments(fresh_db) == before
    assert fresh_db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_before


def test_only_valid_rows_when_explicitly_chosen(fresh_db, bureau, two_providers):
    from imports.assignments import import_preview, preview_file

    a, _ = two_providers
    c5, c6 = codes(fresh_db, "ent5", "ent6")
    preview = preview_file(fresh_db, "m.csv", csv_file([["信用代码", "服务商"], [c5, "谁也不是"], [c6, ""]]),
                           default_provider_id=a.provider_id)
    assert preview.bad_rows == 1 and [r.credit_code for r in preview.valid] == [c6]
    assert import_preview(fresh_db, bureau, preview, only_valid=True) == 1
    got = assignments(fresh_db)
    assert got[identity_of(fresh_db, "ent6").enterprise_id] == a.provider_id
    assert identity_of(fresh_db, "ent5").enterprise_id not in got


@pytest.mark.parametrize("header, default, message", [
    (["名称"], 1, "缺少“统一社会信用代码”列"),
    (["统一社会信用代码"], None, "没有“服务商”列"),
])
def test_file_level_problems_block_everything(fresh_db, bureau, header, default, message):
    from imports.assignments import NotClean, import_preview, preview_file

    (c5,) = codes(fresh_db, "ent5")
    preview = preview_file(fresh_db, "f.csv", csv_file([header, [c5]]), default_provider_id=default)
    assert preview.file_problem and any(message in p.zh for p in preview.problems)
    with pytest.raises(NotClean):
        import_preview(fresh_db, bureau, preview, only_valid=True)


def test_unreadable_file_is_one_problem(fresh_db):
    from imports.assignments import preview_file

    preview = preview_file(fresh_db, "f.txt", b"hello")
    assert preview.file_problem and "只支持 xlsx 或 csv" in preview.problems[0].zh


def test_provider_b_cannot_open_provider_a_assessments_by_url(fresh_db, two_providers):
    from db.assessments import list_assessments
    from tests.test_pages import open_page, sign_in

    a, b = two_providers
    from db.users import set_password

    set_password(fresh_db, "provb", "zibo2025")  # the demo password sign_in() types
    foreign = [x["id"] for x in list_assessments(fresh_db, a) if x["status"] != "draft"]
    own = [x["id"] for x in list_assessments(fresh_db, b) if x["status"] != "draft"]
    assert foreign and own
    at = open_page(sign_in("provb"), "app_pages/result.py", a=foreign[0])
    assert "未找到该评估，或您无权查看。" in [e.value for e in at.error]
    at = open_page(at, "app_pages/provider_enterprises.py")
    shown = " ".join(m.value for m in at.markdown)
    assert "淄博华盛新材料" not in shown  # enterprise 1 belongs to provider A
    at = open_page(at, "app_pages/result.py", a=own[0])
    assert "未找到该评估，或您无权查看。" not in [e.value for e in at.error]
