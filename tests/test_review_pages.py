"""The review pages through AppTest: queue, item review with live preview, conflicts, return, verify,
what the enterprise and the bureau see, and who may open what."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from db import reviews
from db.assessments import get_assessment
from questionnaires import registry
from review import verification
from tests.conftest import ROOT, identity_of
from tests.test_pages import open_page, sign_in
from tests.test_results_data import full_answers, submit_full

FULL = registry.latest("cmmm_full")
REVIEW = "app_pages/provider_review.py"


@pytest.fixture
def submitted(fresh_db, ent1):
    return submit_full(fresh_db, ent1, full_answers())


def first_items(n: int) -> list[str]:
    answers = full_answers()
    return [k for k in answers if k in FULL.questions and FULL.questions[k].type == "scale4"][:n]


def key(aid: int, item: str, part: str, at: str = "0", round_no: int = 1) -> str:
    return f"rv:{aid}:{round_no}:{item}:{at}:{part}"


def to_section(at, aid: int, item: str):
    """Show the section of ``item`` (the page opens at the first one)."""
    at.radio(key=f"rv_section:{aid}").set_value(FULL.questions[item].section_id).run()
    assert not at.exception, at.exception
    return at


def texts(at) -> list[str]:
    return ([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
            + [w.value for w in at.warning] + [s.value for s in at.success] + [i.value for i in at.info])


def form_button(at, label: str, index: int = 0):
    return [b for b in at.get("button") if b.proto.label == label][index]


def test_queue_lists_the_submission_and_opens_the_review(fresh_db, submitted):
    at = open_page(sign_in("provider1"), "app_pages/provider_queue.py")
    assert any("张工" not in t and "华盛新材料" in t for t in texts(at))
    at.button(key=f"rv_{submitted}").click().run()
    assert at.query_params["a"] == [str(submitted)] or at.query_params["a"] == str(submitted)
    assert any(t.value.startswith("逐项核验") for t in at.title)


def test_adjust_with_reason_updates_the_preview_and_is_stored(fresh_db, submitted):
    item = first_items(1)[0]
    at = to_section(open_page(sign_in("provider1"), REVIEW, a=submitted), submitted, item)
    before = [m.value for m in at.metric]
    assert before[0] == before[1]  # nothing adjusted: the preview equals the self result
    at.radio(key=key(submitted, item, "action")).set_value("adjust")
    at.selectbox(key=key(submitted, item, "value")).set_value("not_met")
    at.text_input(key=key(submitted, item, "reason")).input("现场未见<b>制度</b>文件")
    form_button(at, "保存本题").click().run()
    assert not at.exception
    assert "已保存（第 1 版）。" in texts(at)
    state = reviews.review_state(fresh_db, identity_of(fresh_db, "provider1"), submitted)
    assert state.items[item]["verified_value"] == "not_met" and state.items[item]["reason"] == "现场未见<b>制度</b>文件"
    after = [m.value for m in at.metric]
    assert after[0] == before[0] and after[1] != before[1]
    assert any("已调整为：不满足" in t and r"\<b\>" in t for t in texts(at))  # the reason shows escaped


def test_adjust_without_reason_is_refused_and_nothing_stored(fresh_db, submitted):
    item = first_items(1)[0]
    at = to_section(open_page(sign_in("provider1"), REVIEW, a=submitted), submitted, item)
    at.radio(key=key(submitted, item, "action")).set_value("adjust")
    at.selectbox(key=key(submitted, item, "value")).set_value("not_met")
    form_button(at, "保存本题").click().run()
    assert "未保存：调整核验值必须填写理由" in texts(at)
    assert fresh_db.execute("SELECT count(*) FROM review_items").fetchone()[0] == 0


def test_second_reviewer_save_is_refused_with_a_reload(fresh_db, submitted):
    a, b = first_items(2)
    at = to_section(open_page(sign_in("provider1"), REVIEW, a=submitted), submitted, a)  # shows revision 0
    colleague = identity_of(fresh_db, "provider1")
    verification.save_item(fresh_db, colleague, FULL, submitted, a, action="adjust", value="partly_met",
                        reason="同事的理由", expected_rev=0)
    at.radio(key=key(submitted, b, "action")).set_value("confirm")
    form_button(at, "保存本题", 1).click().run()
    assert any(t.startswith("未保存：另一位审核人员刚刚修改了本评估的核验（现为第 1 版）") for t in texts(at))
    state = reviews.review_state(fresh_db, colleague, submitted)
    assert set(state.items) == {a} and state.items[a]["reason"] == "同事的理由"
    assert any("同事的理由" in t for t in texts(at))  # reloaded: the colleague's decision shows
    at.radio(key=key(submitted, b, "action")).set_value("confirm")  # the reload keeps my choice; save again
    form_button(at, "保存本题", 1).click().run()
    assert set(reviews.review_state(fresh_db, colleague, submitted).items) == {a, b}


def test_return_then_enterprise_sees_notes_then_verify(fresh_db, ent1, submitted):
    item = first_items(1)[0]
    provider = identity_of(fresh_db, "provider1")
    verification.save_item(fresh_db, provider, FULL, submitted, item, action="confirm", comment="请补充*会议纪要*",
                        expected_rev=0)
    at = open_page(sign_in("provider1"), REVIEW, a=submitted)
    at.text_area(key=f"rv_overall:{submitted}:1").input("请修改后重新提交")
    assert at.multiselect(key=f"rv_revisit:{submitted}:1:1").value == [item]  # commented items are pre-selected
    form_button(at, "退回修改").click().run()
    assert "已退回企业修改。" in texts(at)
    assert get_assessment(fresh_db, ent1, submitted)["status"] == "returned"

    ent = open_page(sign_in("ent1"), "app_pages/result.py", a=submitted)
    shown = texts(ent)
    assert any(t.startswith("服务商已于") and "退回本评估" in t for t in shown)
    assert any(r"请补充\*会议纪要\*" in t for t in shown) and "总体意见：请修改后重新提交" in shown
    fill = open_page(ent, "app_pages/ent_fill.py", a=submitted, s=FULL.questions[item].section_id)
    notes = [w.value for w in fill.warning if "服务商要求修改此题" in w.value]
    assert notes and r"请补充\*会议纪要\*" in notes[0]


def test_verify_from_the_page_shows_verified_to_enterprise(fresh_db, ent1, submitted):
    at = open_page(sign_in("provider1"), REVIEW, a=submitted)
    form_button(at, "核验通过").click().run()
    assert "已核验，结果已保存并锁定。" in texts(at)
    assert get_assessment(fresh_db, ent1, submitted)["status"] == "verified"
    ent = open_page(sign_in("ent1"), "app_pages/result.py", a=submitted)
    assert any("✔ 已核验" in c.value for c in ent.caption)
    assert any(t.startswith("服务商已于") and "核验本评估" in t for t in texts(ent))
    assert any(c.value.startswith("企业自评：") for c in ent.caption)


def test_bureau_reads_the_review_without_controls(fresh_db, submitted):
    at = open_page(sign_in("bureau1"), REVIEW, a=submitted)
    assert "市工信局只查看核验情况，不作核验。" in texts(at)
    assert not [b for b in at.get("button") if b.proto.label in ("保存本题", "退回修改", "核验通过")]
    queue = open_page(at, "app_pages/provider_queue.py")
    assert queue.button(key=f"rv_{submitted}").proto.label == "查看核验"


def test_other_provider_gets_not_found_by_url(fresh_db, submitted):
    from db.connection import write_txn
    from db.enterprises import create_provider
    from db.users import create_user

    with write_txn(fresh_db):
        pid = create_provider(fresh_db, "另一家服务商（演示）", is_demo=True)
        create_user(fresh_db, "providerB", "zibo2025", "provider", "钱顾问（演示）", provider_id=pid, is_demo=True)
    for page in (REVIEW, "app_pages/result.py"):
        at = open_page(sign_in("providerB"), page, a=submitted)
        assert "未找到该评估，或您无权查看。" in [e.value for e in at.error]
        assert not at.metric and not [b for b in at.get("button") if b.proto.label == "保存本题"]
    queue = open_page(sign_in("providerB"), "app_pages/provider_queue.py")
    assert "没有符合条件的评估。" in texts(queue)


@pytest.mark.parametrize("page", [REVIEW, "app_pages/provider_queue.py"])
def test_enterprise_users_cannot_run_review_pages(fresh_db, page):
    from db.users import open_session

    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.session_state["_token"] = open_session(fresh_db, identity_of(fresh_db, "ent1"))
    at.run()
    assert "无权访问此页面。" in [e.value for e in at.error]
    assert not at.metric and not at.get("button")


def test_a_draft_is_not_shown_for_review(fresh_db, ent1):
    from db.assessments import start_assessment

    draft, _ = start_assessment(fresh_db, ent1, FULL.id, FULL.version)
    at = open_page(sign_in("provider1"), REVIEW, a=draft)
    assert "该评估当前不在待核验状态（可能已被退回或已核验），无法操作。" in texts(at)
    assert not at.metric and not [b for b in at.get("button") if b.proto.label == "保存本题"]


def test_queue_filters_by_status_and_district(fresh_db, submitted):
    at = open_page(sign_in("provider1"), "app_pages/provider_queue.py")
    assert at.button(key=f"rv_{submitted}") is not None
    at.selectbox(key="q_district").set_value("zichuan").run()
    assert not [b for b in at.get("button") if b.key == f"rv_{submitted}"]
    at.selectbox(key="q_district").set_value(None).run()
    at.multiselect(key="q_status").set_value(["verified"]).run()
    assert "没有符合条件的评估。" in texts(at)


@pytest.mark.parametrize("page,user,expected", [
    (REVIEW, "providerB", "未找到该评估，或您无权查看。"),
    ("app_pages/result.py", "providerB", "未找到该评估，或您无权查看。"),
    (REVIEW, "ent2", "无权访问此页面。"),
    ("app_pages/result.py", "ent2", "未找到该评估，或您无权查看。"),
    ("app_pages/ent_fill.py", "ent2", "未找到该评估，或您无权查看。"),
])
def test_access_matrix_for_a_foreign_submission(fresh_db, submitted, page, user, expected):
    """Pages × roles × another organisation's assessment by URL: nothing of it shows, nothing can be done."""
    from db.connection import write_txn
    from db.enterprises import create_provider
    from db.users import create_user

    with write_txn(fresh_db):
        pid = create_provider(fresh_db, "另一家服务商（演示）", is_demo=True)
        create_user(fresh_db, "providerB", "zibo2025", "provider", "钱顾问（演示）", provider_id=pid, is_demo=True)
    if user == "ent2" and page == REVIEW:  # not in an enterprise's navigation: run the script itself
        from db.users import open_session

        at = AppTest.from_file(str(ROOT / page), default_timeout=30)
        at.session_state["_token"] = open_session(fresh_db, identity_of(fresh_db, user))
        at.query_params["a"] = str(submitted)
        at.run()
    else:
        at = sign_in(user)
        at.query_params["a"] = str(submitted)
        at.switch_page(page)
        at.run()
    assert expected in [e.value for e in at.error]
    assert not at.metric and not at.get("form")
    assert not any("华盛新材料" in t for t in texts(at))
