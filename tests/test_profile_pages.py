"""Profile page, profile gate and pre-fill confirmation through AppTest."""

from __future__ import annotations

import pytest

from assessments import filling
from db import audit
from db.enterprises import get_enterprise
from questionnaires import registry
from tests.conftest import identity_of
from tests.test_pages import open_page, sign_in

PROFILE = "app_pages/ent_profile.py"


def _key(eid: int, field: str) -> str:
    return f"pf:{eid}:{field}"


def test_wrong_credit_code_names_the_rule_and_saves_nothing(fresh_db, ent1):
    before = get_enterprise(fresh_db, ent1, ent1.enterprise_id)
    at = open_page(sign_in("ent1"), PROFILE)
    assert [x.value for x in at.title] == ["企业信息"]
    code = at.text_input(key=_key(ent1.enterprise_id, "credit_code"))
    assert code.value == before["credit_code"]
    code.input(before["credit_code"][:17] + ("0" if before["credit_code"][17] != "0" else "1"))
    at.text_input(key=_key(ent1.enterprise_id, "employees")).input("十二")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert "未保存：以下 2 项需要修改。" in errors
    assert any(e.startswith("统一社会信用代码：第 18 位校验码不正确") for e in errors), errors
    assert any(e.startswith("从业人员（人）：") for e in errors), errors
    assert get_enterprise(fresh_db, ent1, ent1.enterprise_id) == before
    assert not [e for e in audit.entries(fresh_db, "enterprise", ent1.enterprise_id) if e["action"] == "update_profile"]


def test_profile_change_is_saved_and_audited_from_the_page(fresh_db, ent1):
    at = open_page(sign_in("ent1"), PROFILE)
    at.text_input(key=_key(ent1.enterprise_id, "employees")).input("1,234")
    at.text_input(key=_key(ent1.enterprise_id, "contact_phone")).input("１３９ ０５３３ ００１２")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    assert "已保存企业信息（修改 2 项）。" in [s.value for s in at.success]
    row = get_enterprise(fresh_db, ent1, ent1.enterprise_id)
    assert (row["employees"], row["contact_phone"]) == (1234, "13905330012")
    assert at.text_input(key=_key(ent1.enterprise_id, "contact_phone")).value == "13905330012"
    history = at.dataframe[0].value
    assert set(history["字段"]) == {"从业人员（人）", "联系电话"}
    assert "1234" in set(history["新值"]) and "420" in set(history["原值"])


def test_bureau_picks_an_enterprise_and_edits_its_profile(fresh_db):
    bureau = identity_of(fresh_db, "bureau1")
    ent2 = identity_of(fresh_db, "ent2")
    at = open_page(sign_in("bureau1"), PROFILE)
    at.selectbox(key="profile_enterprise").set_value(ent2.enterprise_id).run()
    at.text_input(key=_key(ent2.enterprise_id, "contact_name")).input("新联系人")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    assert get_enterprise(fresh_db, bureau, ent2.enterprise_id)["contact_name"] == "新联系人"
    entry = [e for e in audit.entries(fresh_db, "enterprise", ent2.enterprise_id) if e["action"] == "update_profile"]
    assert entry and entry[-1]["user_id"] == bureau.user_id


def test_assessments_page_blocks_start_until_the_profile_is_complete(fresh_db, ent1):
    fresh_db.execute("UPDATE enterprises SET contact_phone = NULL, employees = NULL WHERE id = ?",
                     [ent1.enterprise_id])
    at = sign_in("ent1")
    warnings = [w.value for w in at.warning]
    assert any("开始评估前，请先完善企业信息。尚未填写：从业人员（人）、联系电话。" in w for w in warnings), warnings
    assert at.button(key="start_ii_adoption").disabled
    assert any(link.label == "前往填写企业信息" for link in at.get("page_link"))


def _submitted_ii(db, who):
    import random

    from startup.demo import _ii_answers

    q = registry.latest("ii_adoption")
    aid, _ = filling.store.start_assessment(db, who, q.id, q.version)
    for item, value in _ii_answers(random.Random(7)).items():
        filling.save_item(db, who, q, aid, item, value, expected_rev=0)
    filling.submit(db, who, aid)
    return q, aid


def test_prefilled_reassessment_needs_each_section_confirmed_on_the_fill_page(fresh_db, ent1):
    q, first = _submitted_ii(fresh_db, ent1)
    at = sign_in("ent1")
    history = at.dataframe[0].value
    assert f"#{first}" in set(history["编号"])
    at.button(key="prefill_ii_adoption").click().run()
    assert not at.exception, at.exception
    aid = int(at.query_params["a"])
    assert aid != first
    assert any("请确认或修改" in w.value for w in at.warning)
    at.button(key="submit").click().run()
    assert any("本节为上次评估的预填答案" in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert fresh_db.execute("SELECT status FROM assessments WHERE id = ?", [aid]).fetchone()[0] == "draft"
    pending = [r[0] for r in fresh_db.execute("SELECT section_id FROM prefill_sections WHERE assessment_id = ?",
                                              [aid]).fetchall()]
    assert pending
    for section_id in pending:
        at.radio(key="_nav_section").set_value(section_id).run()
        at.button(key=f"confirm_section_{section_id}").click().run()
        assert not at.exception, at.exception
        assert any("本节预填答案已确认" in c.value for c in at.caption)
    at.button(key="submit").click().run()
    assert not at.exception, at.exception
    assert fresh_db.execute("SELECT status FROM assessments WHERE id = ?", [aid]).fetchone()[0] == "submitted"


@pytest.mark.parametrize("username", ["provider1", "admin"])
def test_profile_page_checks_the_role_itself(fresh_db, username):
    from streamlit.testing.v1 import AppTest

    from db.users import open_session
    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / PROFILE), default_timeout=30)
    at.session_state["_token"] = open_session(fresh_db, identity_of(fresh_db, username))
    at.run()
    assert "无权访问此页面。" in [e.value for e in at.error]
    assert not at.title and not at.text_input


def test_unset_choices_show_a_placeholder_and_are_named_when_saving(fresh_db, ent1):
    """An enterprise from a roster without industry or production type: the form asks, the save names both."""
    fresh_db.execute("UPDATE enterprises SET industry_code = NULL, production_type = NULL WHERE id = ?",
                     [ent1.enterprise_id])
    at = open_page(sign_in("ent1"), PROFILE)
    assert any("尚未填写：所属行业（国民经济行业分类大类）、生产类型。" in w.value for w in at.warning)
    assert at.selectbox(key=_key(ent1.enterprise_id, "industry_code")).value is None
    at.get("form_submit_button")[0].click()
    at.run()
    errors = [e.value for e in at.error]
    assert "所属行业（国民经济行业分类大类）：请选择制造业行业大类（13–43）。" in errors
    assert "生产类型：请选择生产类型（离散型、流程型或混合型）。" in errors
    at.selectbox(key=_key(ent1.enterprise_id, "industry_code")).set_value("34")
    at.radio(key=_key(ent1.enterprise_id, "production_type")).set_value("mixed")
    at.get("form_submit_button")[0].click()
    at.run()
    assert "企业信息已完整。" in [s.value for s in at.success]
    assert get_enterprise(fresh_db, ent1, ent1.enterprise_id)["industry_code"] == "34"


def test_profile_save_after_sign_out_elsewhere_is_not_saved_and_goes_to_sign_in(fresh_db, ent1):
    """A page without its own SessionEnded handling still says "not saved" and goes to sign-in (ui/errors.py)."""
    at = open_page(sign_in("ent1"), PROFILE)
    before = get_enterprise(fresh_db, ent1, ent1.enterprise_id)["employees"]
    fresh_db.execute("UPDATE auth_sessions SET revoked_at = '2020-01-01T00:00:00.000000Z'")  # signed out in another tab
    at.text_input(key=_key(ent1.enterprise_id, "employees")).input("999")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert any("未保存" in w.value for w in at.warning)  # the rerun's own session check ends it first
    assert at.text_input(key="login_user") is not None
    assert fresh_db.execute("SELECT employees FROM enterprises WHERE id = ?", [ent1.enterprise_id]).fetchone()[0] == before
