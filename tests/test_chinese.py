"""Chinese throughout: every page, for every role, rendered in Chinese shows no untranslated English."""

from __future__ import annotations

import pytest

from tests.chinese_check import emoji_only_characters, english_words, visible_strings
from tests.test_pages import open_page, sign_in


def _aid(db, username: str, questionnaire_id: str) -> int:
    return db.execute("SELECT a.id FROM assessments a JOIN users u ON u.enterprise_id = a.enterprise_id "
                      "WHERE u.username = ? AND a.questionnaire_id = ? ORDER BY a.id DESC",
                      [username, questionnaire_id]).fetchone()[0]


def _names(db) -> set[str]:
    """User-written names of the demo data (display names, enterprise names) may be in any script."""
    import re

    words = set()
    for (text,) in db.execute("SELECT display_name FROM users UNION SELECT name FROM enterprises "
                              "UNION SELECT name FROM providers UNION SELECT username FROM users"):
        words.update(re.findall(r"[A-Za-z]{3,}", text or ""))
    return words


def _submitted(db, username: str) -> list[dict]:
    from db.assessments import list_assessments
    from tests.conftest import identity_of

    seen = list_assessments(db, identity_of(db, username))
    by_kind = {a["questionnaire_id"]: a for a in seen if a["status"] == "submitted"}
    return list(by_kind.values())


def _pages_of(db, role: str) -> list[tuple[str, dict]]:
    if role == "enterprise":
        ii, quick = _aid(db, "ent3", "ii_adoption"), _aid(db, "ent3", "cmmm_quick")
        return [("app_pages/ent_assessments.py", {}), ("app_pages/ent_fill.py", {"a": ii}),
                ("app_pages/ent_fill.py", {"a": ii, "s": "equipment"}), ("app_pages/result.py", {"a": ii}),
                ("app_pages/ent_fill.py", {"a": quick}), ("app_pages/result.py", {"a": quick}),
                ("app_pages/ent_fill.py", {"a": "12abc"}), ("app_pages/ent_fill.py", {}),
                ("app_pages/account.py", {})]
    results = [("app_pages/result.py", {"a": a["id"]}) for a in _submitted(db, USERS[role])[:2]]
    assert results, f"{role} sees no submitted assessment in the demo data"
    if role == "provider":
        return [("app_pages/provider_enterprises.py", {}), *results, ("app_pages/account.py", {})]
    if role == "bureau":
        return [("app_pages/bureau_overview.py", {}), *results, ("app_pages/account.py", {})]
    return [("app_pages/admin_questionnaires.py", {}), ("app_pages/account.py", {})]


USERS = {"enterprise": "ent3", "provider": "provider1", "bureau": "bureau1", "admin": "admin"}


@pytest.mark.parametrize("role", list(USERS))
def test_every_page_of_every_role_is_chinese(fresh_db, role):
    at = sign_in(USERS[role])
    allowed = _names(fresh_db)
    found = {}
    for page, params in _pages_of(fresh_db, role):
        at.query_params.clear()
        at = open_page(at, page, **params)
        strings = visible_strings(at)
        words = english_words(strings, allowed) + emoji_only_characters(strings)
        if words:
            found[f"{page} {params}"] = sorted(set(words))
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_admin_users_page_is_chinese(fresh_db):
    at = open_page(sign_in("admin"), "app_pages/admin_users.py")
    words = english_words(visible_strings(at), _names(fresh_db))
    assert not words, sorted(set(words))


def test_fill_pages_of_the_full_assessment_are_chinese(fresh_db):
    """Every section of the full self-assessment, including number ranges, hints and evidence lines."""
    from questionnaires import registry

    at = sign_in("ent1")
    at.button(key="start_cmmm_full").click().run()
    aid = at.query_params["a"]
    found = {}
    for section in registry.latest("cmmm_full").sections:
        at = open_page(at, "app_pages/ent_fill.py", a=aid, s=section.id)
        words = english_words(visible_strings(at), _names(fresh_db))
        if words:
            found[section.id] = sorted(set(words))
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_checker_finds_english(fresh_db):
    """The check itself can fail: an English label is found, an acronym and a file name are not."""
    assert english_words(["Submit 提交", "ERP 与 MES 集成", "见 docs/questionnaire-format.md", "账号 `ent1b`、zibo2025",
                          "状态：draft"]) == [("Submit", "Submit 提交"), ("draft", "状态：draft")]
    assert emoji_only_characters(["✅ 已核验", "✔ 已核验", "↩ 已退回", "📝 填写中"]) == [("✅", "✅ 已核验"),
                                                                                   ("📝", "📝 填写中")]


def test_sign_in_page_is_chinese(fresh_db):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not english_words(visible_strings(at)), english_words(visible_strings(at))


def test_every_string_has_both_languages_with_the_same_placeholders():
    import re

    from ui.i18n import STRINGS

    for key, pair in STRINGS.items():
        assert len(pair) == 2 and all(pair), key
        zh, en = pair
        assert set(re.findall(r"\{(\w+)\}", zh)) == set(re.findall(r"\{(\w+)\}", en)), key
