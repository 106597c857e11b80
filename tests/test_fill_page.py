"""The fill page without traps (issue 7 §3–4), through AppTest; what only a browser shows is in tests/browser."""

from __future__ import annotations

import logging
import re
import sqlite3

import pytest

from tests.test_pages import open_page, sign_in
from ui.text import local_time, md_escape

PAYLOAD = "**x** [a](http://e) <img src=x> =1+1 $x$ :red[y]"


def start(at, questionnaire_id: str):
    at.button(key=f"start_{questionnaire_id}").click().run()
    assert not at.exception, at.exception
    return at, at.query_params["a"]


def texts(at) -> list[str]:
    return [e.value for kind in ("error", "warning", "info", "success", "caption", "markdown") for e in getattr(at, kind)]


def test_section_not_applicable_can_be_ticked_given_a_reason_and_unticked(fresh_db):
    at, aid = start(sign_in("ent1"), "cmmm_full")
    at = open_page(at, "app_pages/ent_fill.py", a=aid, s="organisation_strategy")
    box = f"na:{aid}:organisation_strategy"
    at.checkbox(key=box).check().run()
    assert at.checkbox(key=box).value is True
    assert "请填写理由，填写后自动保存。" in [w.value for w in at.warning]
    at.text_input(key=f"nar:{aid}:organisation_strategy").input("本企业不涉及").run()
    row = fresh_db.execute("SELECT na_reason FROM answers WHERE assessment_id = ? AND item_id = ?",
                           [int(aid), "organisation_strategy"]).fetchone()
    assert row == ("本企业不涉及",)
    assert at.checkbox(key=box).value is True
    assert not [r for r in at.radio if r.key.startswith(f"w:{aid}:")]  # the section's questions are hidden
    at.checkbox(key=box).uncheck().run()
    assert at.checkbox(key=box).value is False
    row = fresh_db.execute("SELECT na_reason FROM answers WHERE assessment_id = ? AND item_id = ?",
                           [int(aid), "organisation_strategy"]).fetchone()
    assert row == (None,)
    assert [r for r in at.radio if r.key.startswith(f"w:{aid}:")]


def test_missing_list_follows_answers_and_another_assessment_opens(fresh_db):
    at, ii = start(sign_in("ent1"), "ii_adoption")
    at.button(key="submit").click().run()
    assert any("需要处理后才能提交" in e.value for e in at.error)
    first = next(e.value for e in at.error if "需要处理" in e.value)
    at.radio(key=f"w:{ii}:platform_use").set_value("none").run()
    now = next(e.value for e in at.error if "需要处理" in e.value)
    assert now != first  # fewer items listed once one is answered

    at = open_page(at, "app_pages/ent_assessments.py")
    at, quick = start(at, "cmmm_quick")
    assert quick != ii
    assert not at.exception
    assert not any("需要处理" in e.value for e in at.error)  # the other assessment's list is not shown here


def test_missing_list_disappears_when_nothing_is_missing(fresh_db):
    from questionnaires import registry

    quick = registry.latest("cmmm_quick")
    at, aid = start(sign_in("ent2"), "cmmm_quick")
    at.button(key="submit").click().run()
    assert any("需要处理" in e.value for e in at.error)
    for section in quick.sections:
        at = open_page(at, "app_pages/ent_fill.py", a=aid, s=section.id)
        for q in section.questions:
            at.radio(key=f"w:{aid}:{q.id}").set_value(q.options[0].id).run()
    assert not any("需要处理" in e.value for e in at.error)
    assert "所有必答题都已完成，可以提交。" in [s.value for s in at.success]


def test_language_is_remembered_on_the_user(fresh_db):
    at = sign_in("ent1")
    at.radio(key="lang").set_value("en").run()
    assert [t.value for t in at.title] == ["My assessments"]
    again = sign_in("ent1")  # a new session: another device, or a reload
    assert again.radio(key="lang").value == "en"
    assert [t.value for t in again.title] == ["My assessments"]
    assert sign_in("ent1b").radio(key="lang").value == "zh"  # per user


def test_language_switch_keeps_answers(fresh_db):
    at, aid = start(sign_in("ent1"), "ii_adoption")
    at.radio(key=f"w:{aid}:platform_use").set_value("third_party").run()
    at.multiselect(key=f"w:{aid}:platform_functions").set_value(["equipment_monitoring", "office_only"]).run()
    for lang in ("en", "zh", "en"):
        at.radio(key="lang").set_value(lang).run()
        assert at.radio(key=f"w:{aid}:platform_use").value == "third_party"
        assert at.multiselect(key=f"w:{aid}:platform_functions").value == ["equipment_monitoring", "office_only"]
        assert not at.error and not at.exception


def test_labels_sent_back_in_the_old_language_map_to_the_options():
    """The browser sends a multiselect's labels; after a switch they are the old language's."""
    from questionnaires import registry
    from ui.question_widgets import _option_ids

    q = registry.latest("ii_adoption").questions["platform_functions"]
    zh = [o.label.zh for o in q.options[:2]]
    assert _option_ids(q, zh) == list(q.option_ids[:2])
    assert _option_ids(q, [q.options[0].label.en, "not an option", q.option_ids[0]]) == list(q.option_ids[:1])


def test_rejected_number_is_not_left_in_the_field(fresh_db):
    at, aid = start(sign_in("ent1"), "ii_adoption")
    at.radio(key=f"w:{aid}:platform_use").set_value("third_party").run()
    at = open_page(at, "app_pages/ent_fill.py", a=aid, s="equipment")
    at.number_input(key=f"w:{aid}:equipment_total").set_value(100).run()
    at.number_input(key=f"w:{aid}:equipment_digitised").set_value(120).run()
    assert any("数字化设备数不能多于生产设备总数" in e.value for e in at.error)
    assert at.number_input(key=f"w:{aid}:equipment_digitised").value is None
    at.number_input(key=f"w:{aid}:equipment_digitised").set_value(80).run()
    assert at.number_input(key=f"w:{aid}:equipment_digitised").value == 80
    at.number_input(key=f"w:{aid}:equipment_digitised").set_value(130).run()
    assert at.number_input(key=f"w:{aid}:equipment_digitised").value == 80  # the stored value, not the refused one


def test_no_select_all_on_multiselects(fresh_db):
    at, aid = start(sign_in("ent1"), "ii_adoption")
    at.radio(key=f"w:{aid}:platform_use").set_value("third_party").run()
    for section in ("platform", "cloud", "network", "data_security"):
        at = open_page(at, "app_pages/ent_fill.py", a=aid, s=section)
        assert at.multiselect, section
        assert all(m.proto.select_all == 0 for m in at.multiselect), section


def test_required_count_explains_itself(fresh_db):
    at, aid = start(sign_in("ent1"), "ii_adoption")
    assert any("视您的回答而定" in c.value for c in at.caption)
    at.radio(key=f"w:{aid}:platform_use").set_value("third_party").run()
    note = next(i.value for i in at.info if "必答题由" in i.value)
    assert "增加到" in note
    at.radio(key=f"w:{aid}:platform_use").set_value("none").run()
    assert any("减少到" in i.value for i in at.info)
    at.run()
    assert not any("必答题由" in i.value for i in at.info)  # said once, when it changed


def _aid(db, username, questionnaire_id):
    return db.execute("SELECT a.id FROM assessments a JOIN users u ON u.enterprise_id = a.enterprise_id "
                      "WHERE u.username = ? AND a.questionnaire_id = ? ORDER BY a.id DESC",
                      [username, questionnaire_id]).fetchone()[0]


def test_submitted_assessment_offers_result_and_new_round(fresh_db):
    done = _aid(fresh_db, "ent3", "cmmm_quick")
    at = open_page(sign_in("ent3"), "app_pages/ent_fill.py", a=done)
    assert any(link.proto.label == "查看结果" for link in at.get("page_link"))
    before = fresh_db.execute("SELECT count(*) FROM assessments").fetchone()[0]
    at.run()
    assert fresh_db.execute("SELECT count(*) FROM assessments").fetchone()[0] == before  # nothing silent
    at.button(key="start_new_round").click().run()
    new = int(at.query_params["a"])
    assert new != done
    assert fresh_db.execute("SELECT status FROM assessments WHERE id = ?", [new]).fetchone() == ("draft",)


def test_draft_deletion_is_confirmed_and_audited(fresh_db):
    at, aid = start(sign_in("ent1"), "cmmm_quick")
    at = open_page(at, "app_pages/ent_assessments.py")
    at.button(key=f"delete_{aid}").click().run()
    assert any(f"#{aid}" in w.value and "不能恢复" in w.value for w in at.warning)
    at.button(key=f"delete_no_{aid}").click().run()
    assert fresh_db.execute("SELECT count(*) FROM assessments WHERE id = ?", [int(aid)]).fetchone() == (1,)
    at.button(key=f"delete_{aid}").click().run()
    at.button(key=f"delete_yes_{aid}").click().run()
    assert fresh_db.execute("SELECT count(*) FROM assessments WHERE id = ?", [int(aid)]).fetchone() == (0,)
    assert f"草稿 #{aid} 已删除。" in [s.value for s in at.success]
    audit = fresh_db.execute("SELECT action, user_id FROM audit_log WHERE entity = 'assessment' AND entity_id = ? "
                             "ORDER BY id DESC", [aid]).fetchone()
    assert audit[0] == "delete_draft"


def test_delete_draft_only_own_drafts(fresh_db, ent1, ent2):
    from db.assessments import ReadOnly, delete_draft, start_assessment
    from db.identity import AccessDenied, NotFound
    from tests.conftest import identity_of

    aid, _ = start_assessment(fresh_db, ent1, "cmmm_quick", "1")
    with pytest.raises(NotFound):
        delete_draft(fresh_db, ent2, aid)
    with pytest.raises((AccessDenied, NotFound)):
        delete_draft(fresh_db, identity_of(fresh_db, "provider1"), aid)
    submitted = _aid(fresh_db, "ent3", "cmmm_quick")
    with pytest.raises(ReadOnly):
        delete_draft(fresh_db, identity_of(fresh_db, "ent3"), submitted)
    assert fresh_db.execute("SELECT count(*) FROM assessments WHERE id IN (?, ?)", [aid, submitted]).fetchone() == (2,)


def test_example_questionnaire_only_in_demo_mode(fresh_db, monkeypatch):
    at = sign_in("ent1")
    assert at.button(key="start_example") is not None
    # The mode is a property of the database (bootstrap records it at creation); a production
    # database is simulated here because it holds no enterprise account to sign in with.
    monkeypatch.setattr("startup.bootstrap.demo_enabled", lambda path=None: False)
    at = open_page(at, "app_pages/ent_assessments.py")
    assert "start_example" not in [b.key for b in at.button]
    assert "start_cmmm_full" in [b.key for b in at.button]


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1e3", "9" * 5000, str(2**63), "12;DROP"])
def test_malformed_or_huge_link(fresh_db, raw):
    at = open_page(sign_in("ent1"), "app_pages/ent_fill.py", a=raw)
    assert any("链接中的评估编号无效" in e.value for e in at.error)
    at = open_page(at, "app_pages/result.py", a=raw)
    assert any("链接中的评估编号无效" in e.value for e in at.error)


def test_submitted_meanwhile_by_a_colleague(fresh_db):
    from assessments import filling
    from tests.conftest import identity_of

    at, aid = start(sign_in("ent2"), "cmmm_quick")
    from questionnaires import registry

    quick = registry.latest("cmmm_quick")
    answers = {q.id: q.options[0].id for q in quick.questions.values()}
    colleague = identity_of(fresh_db, "ent2")
    for qid, value in answers.items():
        filling.save_item(fresh_db, colleague, quick, int(aid), qid, value, expected_rev=0)
    filling.submit(fresh_db, colleague, int(aid))
    first = quick.sections[0].questions[0]
    at.radio(key=f"w:{aid}:{first.id}").set_value(first.options[1].id).run()
    assert not at.exception
    assert any("已由同事提交" in e.value for e in at.error)
    assert any("只读" in w.value for w in at.warning)


@pytest.mark.parametrize("error,message", [("database is locked", "系统正忙"),
                                           ("attempt to write a readonly database", "只读维护"),
                                           ("disk I/O error", "暂时无法访问数据库")])
def test_database_errors_are_explained_and_keep_the_input(fresh_db, monkeypatch, error, message):
    from assessments import filling

    at, aid = start(sign_in("ent1"), "ii_adoption")

    def fail(*args, **kwargs):
        raise sqlite3.OperationalError(error)

    monkeypatch.setattr(filling, "save_item", fail)
    at.radio(key=f"w:{aid}:platform_use").set_value("own").run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert at.radio(key=f"w:{aid}:platform_use").value == "own"  # what the user chose stays


def test_unexpected_error_gets_a_chinese_message_and_a_logged_reference(fresh_db, caplog):
    aid = _aid(fresh_db, "ent3", "cmmm_quick")
    fresh_db.execute("UPDATE assessments SET questionnaire_version = 'withdrawn' WHERE id = ?", [aid])
    logger = logging.getLogger("zibo.pages")
    logger.addHandler(caplog.handler)
    try:
        at = open_page(sign_in("ent3"), "app_pages/ent_fill.py", a=aid)
    finally:
        logger.removeHandler(caplog.handler)
    message = next(e.value for e in at.error if "参考编号" in e.value)
    ref = message.split("参考编号 ")[1].split(" ")[0]
    assert ref.startswith("ERR-")
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


def test_user_text_is_escaped(fresh_db):
    fresh_db.execute("UPDATE users SET display_name = ? WHERE username = 'ent1'", [PAYLOAD])
    at, aid = start(sign_in("ent1"), "ii_adoption")
    at.radio(key=f"w:{aid}:platform_use").set_value("own").run()
    bodies = texts(at) + [m.value for m in at.sidebar.markdown]
    assert any(md_escape(PAYLOAD) in b for b in bodies)  # sidebar name and "saved by" line
    assert not any("[a](http://e)" in b or re.search(r"(?<!\\)<img", b) for b in bodies)


@pytest.mark.parametrize("ts,shown", [("2026-12-03T06:05:00.123456Z", "2026-12-03 14:05"),
                                      ("2026-12-31T16:30:00Z", "2027-01-01 00:30"),
                                      ("2026-12-03T06:05:00+00:00", "2026-12-03 14:05"),
                                      ("", ""), (None, ""), ("garbage", "")])
def test_times_are_shown_in_shanghai(ts, shown):
    assert local_time(ts) == shown


def test_md_escape_disarms_markup():
    escaped = md_escape(PAYLOAD + "\n# heading")
    assert "\n" not in escaped
    assert re.search(r"(?<!\\)[*\[\]()<>$:#=]", escaped) is None  # every markup character is escaped


def test_ranges_and_c3mep_link():
    from ui.i18n import STRINGS

    assert "[www.c3mep.cn](https://www.c3mep.cn)" in STRINGS["self_reference"][0]
    assert not STRINGS["range"][0].endswith("– ")
    assert "{lo}" in STRINGS["range_min"][0] and "{hi}" in STRINGS["range_max"][0]


def test_locked_database_while_reading_a_page_is_explained(fresh_db, monkeypatch):
    import db.assessments

    at, aid = start(sign_in("ent1"), "ii_adoption")

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(db.assessments, "load_answers", locked)
    at.run()
    assert not at.exception
    assert any("系统正忙" in e.value and "ERR-" in e.value for e in at.error)


def test_number_labels_show_a_complete_range(fresh_db):
    at, aid = start(sign_in("ent1"), "ii_adoption")
    at = open_page(at, "app_pages/ent_fill.py", a=aid, s="equipment")
    labels = {n.key: n.label for n in at.number_input}
    assert "范围：不小于 0" in labels[f"w:{aid}:equipment_total"]
    assert "范围：0 – 100" in labels[f"w:{aid}:key_process_nc_rate"]
    assert not any(re.search(r"– ?）", label) for label in labels.values())
    at.radio(key="lang").set_value("en").run()
    assert at.number_input(key=f"w:{aid}:equipment_total").label.endswith(" (units; Range: at least 0)")


def test_unexpected_error_in_a_callback_gets_a_reference_too(fresh_db, monkeypatch, caplog):
    from assessments import filling

    at, aid = start(sign_in("ent1"), "ii_adoption")

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(filling, "save_item", boom)
    logger = logging.getLogger("zibo.pages")
    logger.addHandler(caplog.handler)
    try:
        at.radio(key=f"w:{aid}:platform_use").set_value("own").run()
    finally:
        logger.removeHandler(caplog.handler)
    assert not at.exception
    message = next(e.value for e in at.error if "参考编号" in e.value)
    assert "boom" not in message
    assert any(r.exc_info and r.getMessage().split()[-1] in message for r in caplog.records)
    at.run()
    assert not any("参考编号" in e.value for e in at.error)  # shown once
