"""Onboarding from the roster, and the bureau's picture and onboarding pages through AppTest."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, identity_of
from tests.test_kpi_page import exported, with_roster  # noqa: F401 (fixtures)
from tests.test_pages import open_page, sign_in

OVERVIEW = "app_pages/bureau_overview.py"
ONBOARDING = "app_pages/bureau_onboarding.py"
FULL, QUICK = "智能制造能力成熟度自评估（完整版）", "智能制造成熟度快速自测（指示性）"


def _counts(db) -> tuple[int, int, int]:
    return (db.execute("SELECT count(*) FROM enterprises").fetchone()[0],
            db.execute("SELECT count(DISTINCT credit_code) FROM enterprises").fetchone()[0],
            db.execute("SELECT count(*) FROM users WHERE role = 'enterprise'").fetchone()[0])


def test_onboarding_creates_records_and_accounts_once(with_roster):  # noqa: F811
    from accounts.passwords import verify_password
    from db import audit
    from db.onboarding import onboard, onboarding_status

    db = with_roster
    bureau = identity_of(db, "bureau1")
    before = onboarding_status(db, bureau, 2025)
    enterprises, _, accounts = _counts(db)
    issued, created = onboard(db, bureau, 2025)
    pending = before["roster"] - before["with_account"]
    assert len(issued) == created["accounts"] == pending > 0
    assert created["enterprises"] == before["roster"] - before["with_record"]
    after = _counts(db)
    assert after == (enterprises + created["enterprises"], enterprises + created["enterprises"], accounts + pending)
    user = next(db.query("SELECT * FROM users WHERE username = ?", [issued[0].username]))
    assert user["must_change_password"] == 1 and verify_password(issued[0].password, user["password_hash"])
    assert user["username"] == issued[0].credit_code
    assert onboarding_status(db, bureau, 2025)["with_account"] == before["roster"]
    assert audit.entries(db, "roster", 2025)[-1]["action"] == "onboard"

    again, created_again = onboard(db, bureau, 2025)  # re-running creates nothing
    assert again == [] and created_again == {"enterprises": 0, "accounts": 0, "pending": 0}
    assert _counts(db) == after


def test_onboarding_one_district_and_refused_for_others(with_roster):  # noqa: F811
    from db.identity import AccessDenied
    from db.onboarding import onboard

    db = with_roster
    issued, _ = onboard(db, identity_of(db, "bureau1"), 2025, district="zhangdian")
    codes = {i.credit_code for i in issued}
    districts = {r[0] for r in db.execute(
        f"SELECT district FROM roster_entries WHERE credit_code IN ({','.join('?' * len(codes))})", list(codes))}
    assert districts == {"zhangdian"}
    for user in ("ent1", "provider1"):
        with pytest.raises(AccessDenied):
            onboard(db, identity_of(db, user), 2025)


def test_onboarding_page_hands_out_the_sheet(with_roster, exported):  # noqa: F811
    at = open_page(sign_in("bureau1"), ONBOARDING)
    assert not at.exception
    at.button(key="onb_run").click().run()
    assert not at.exception
    sheet = next(d.value for d in at.dataframe)
    assert list(sheet.columns) == ["企业名称", "统一社会信用代码", "用户名", "一次性密码"]
    book = load_workbook(io.BytesIO(exported["xlsx:开户清单"]), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("企业名称", "统一社会信用代码", "用户名", "一次性密码") and len(rows) == len(sheet) + 1
    assert list(rows[1]) == sheet.iloc[0].tolist() and "（示例）" in rows[1][0]


@pytest.fixture
def scored(with_roster):  # noqa: F811
    """Demo data plus two cmmm_full results (self 2 in zhangdian; self 1 verified as 3 in boshan)."""
    from db.assessments import store_result

    db = with_roster
    made = []
    for eid, level, verified in ((1, 2, None), (3, 1, 3)):
        aid = db.execute("INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, "
                         "created_at, updated_at, submitted_at) VALUES (?, 'cmmm_full', '1', 'submitted', "
                         "'2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z') RETURNING id", [eid]).fetchall()[0][0]
        store_result(db, aid, "self", "cmmm_full", "1", {"method": "cmmm", "scoring_version": "t", "level": level,
                                                          "score": float(level), "subdomains": {"data": {"score": 1.0}}})
        if verified:
            store_result(db, aid, "verified", "cmmm_full", "1", {"method": "cmmm", "scoring_version": "t",
                                                                  "level": verified, "score": 3.0, "subdomains": {}})
        made.append(aid)
    return db, made


def _cell(v):
    """A view cell as the export holds it: "—" (no value, shown) is an empty cell; shown numbers are numbers."""
    if v != v or v == "—":
        return None
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


def _table(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_overview_shows_levels_and_exports_agree_row_for_row(scored, exported):  # noqa: F811
    at = open_page(sign_in("bureau1"), OVERVIEW)
    assert not at.exception
    assert [t.value for t in at.title] == ["全市概况"]
    assert at.selectbox(key="city_q_zh").value == QUICK  # the demo's six quick checks outnumber our two
    exported.clear()
    at.selectbox(key="city_q_zh").set_value(FULL).run()
    city = _table(at, "范围")
    assert city.iloc[0][["2级", "3级", "合计（家）"]].tolist() == [1, 1, 2]
    assert [m.value for m in at.metric] == ["2", "1", "100.0 %"]
    for name, table in [("maturity_levels_cmmm_full_city_all", city),
                        ("maturity_by_district_cmmm_full_all", _table(at, "区县/功能区"))]:
        book = load_workbook(io.BytesIO(exported[f"xlsx:{name}"]), read_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert list(rows[0]) == list(table.columns)
        assert [list(r) for r in rows[1:]] == [[_cell(v) for v in r] for r in table.values.tolist()]
        data = exported[f"csv:{'|'.join(table.columns)}"]
        assert data.startswith(b"\xef\xbb\xbf")
        assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == len(table) + 1
    reference = _table(at, "来源")
    assert reference["来源"].tolist()[1:] == [f"全国 {y} 年（c3mep 自诊断样本）" for y in (2020, 2021, 2022)]
    english = [c for d in at.dataframe for c in d.value.columns if c.isascii() and c.strip()]
    assert english == []


def test_overview_drill_down_to_one_enterprise(scored):
    db, made = scored
    at = open_page(sign_in("bureau1"), OVERVIEW)
    at.selectbox(key="city_q_zh").set_value(FULL).run()
    at.selectbox(key="city_district").set_value("boshan").run()
    at.selectbox(key="city_level").set_value(3).run()
    listing = _table(at, "企业名称")
    assert len(listing) == 1 and listing.iloc[0]["结果依据"] == "核验结果" and listing.iloc[0]["等级"] == "3级"
    assert at.selectbox(key="city_pick").value == made[1]
    links = [p for p in at.get("page_link")]
    assert any(f"a={made[1]}" in str(p.proto) for p in links)


def test_publication_export_suppresses_small_cells(scored, exported):  # noqa: F811
    at = open_page(sign_in("bureau1"), OVERVIEW)
    at.selectbox(key="city_q_zh").set_value(FULL).run()
    exported.clear()
    at.checkbox(key="city_publication").check().run()
    assert not at.exception
    book = load_workbook(io.BytesIO(exported["xlsx:maturity_levels_cmmm_full_city_all_publication"]), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1][rows[0].index("合计（家）")] == "<5" and rows[1][rows[0].index("2级")] == "<5"
    assert not any(k.startswith("xlsx:enterprises_") for k in exported)  # lists are never published


@pytest.mark.parametrize("page", [OVERVIEW, ONBOARDING])
@pytest.mark.parametrize("user", ["ent1", "provider1"])
def test_other_roles_are_refused(with_roster, page, user):  # noqa: F811
    from db.users import open_session

    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.session_state["_token"] = open_session(with_roster, identity_of(with_roster, user))
    at.run()
    assert "无权访问此页面。" in [e.value for e in at.error]
    assert not at.title and not at.dataframe
