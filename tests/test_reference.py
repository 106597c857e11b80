"""The one credit-code validator (GB 32100-2015): each rule, normalisation, single-character changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zibo.reference import USCC_ALPHABET, USCC_CATEGORIES, check_credit_code, normalise_credit_code, with_check_character

VALID = ["91350100M000100Y43", "12440200455904030C"]  # domain.md §7.2 test vectors


@pytest.mark.parametrize("code", [*VALID, " 91350100m000100y43 ", "９１３５０１００Ｍ０００１００Ｙ４３",
                                  "9135 0100 M000 100Y 43", with_check_character("Y1370303MA3C4D1K2"),
                                  with_check_character("N2370303MA3C4D1K2"), with_check_character("A1370303MA3C4D1K2")])
def test_valid_codes_pass(code):
    assert check_credit_code(code) is None


def test_normalisation_trims_halves_and_upper_cases():
    assert normalise_credit_code("　９１３５０１００ｍ０００１００ｙ４３\t") == "91350100M000100Y43"


@pytest.mark.parametrize("code,rule,zh", [
    ("", "empty", "请填写"),
    ("   ", "empty", "请填写"),
    ("91350100M000100Y4", "length", "长度应为 18 位，当前为 17 位"),
    ("91350100M000100Y433", "length", "当前为 19 位"),
    ("913501004551000123456", "length", "当前为 21 位"),
    ("91350100M0O0100Y43", "charset", "不允许的字符：O"),
    ("91350100M000100I43", "charset", "不允许的字符：I"),
    ("91350100M00S10VZ43", "charset", "不允许的字符：SVZ"),
    ("91350100M000100Y4-", "charset", "不允许的字符：-"),
    ("B1350100M000100Y43", "authority", "第 1 位登记管理部门代码“B”无效"),
    ("01350100M000100Y43", "authority", "第 1 位登记管理部门代码“0”无效"),
    ("94350100M000100Y43", "category", "第 2 位机构类别代码“4”与登记管理部门“9”不符"),
    ("Y2350100M000100Y43", "category", "与登记管理部门“Y”不符"),
    ("913A0100M000100Y43", "region", "第 3–8 位登记管理机关行政区划码“3A0100”必须全部为数字"),
    ("91350100M000100Y44", "check", "第 18 位校验码不正确"),
    ("12440200455904030D", "check", "第 18 位校验码不正确"),
    ("91350100M000010Y43", "check", "第 18 位校验码不正确"),  # two neighbours swapped
])
def test_each_rule_is_named(code, rule, zh):
    problem = check_credit_code(code)
    assert problem is not None and problem.rule == rule
    assert zh in problem.message.zh
    assert problem.message.en  # bilingual, Chinese first


def test_messages_are_chinese_without_latin_words():
    import re

    for code in ["9", "91350100M0O0100Y43", "B1350100M000100Y43", "94350100M000100Y43", "913A0100M000100Y43",
                 "91350100M000100Y44"]:
        zh = check_credit_code(code).message.zh
        # Only the offending characters themselves may be Latin, never an English word.
        assert not re.search(r"[A-Za-z]{2,}", zh.replace("SVZ", "")), zh


codes = st.builds(
    lambda auth, rest: with_check_character(auth + USCC_CATEGORIES[auth][0] + rest[0] + rest[1]),
    st.sampled_from(sorted(USCC_CATEGORIES)),
    st.tuples(st.text("0123456789", min_size=6, max_size=6), st.text(USCC_ALPHABET, min_size=9, max_size=9)),
)


@given(codes)
def test_generated_codes_are_valid(code):
    assert check_credit_code(code) is None


@given(st.sampled_from(VALID) | codes, st.integers(0, 17), st.characters(min_codepoint=0x21, max_codepoint=0x7E))
def test_any_single_character_change_fails(code, position, replacement):
    replacement = replacement.upper()
    changed = code[:position] + replacement + code[position + 1:]
    if changed == code:
        return
    assert check_credit_code(changed) is not None


@given(codes)
def test_agrees_with_python_stdnum_where_stdnum_can_judge(code):
    """stdnum.cn.uscc needs 8 leading digits (its gap: A/N/Y authorities); compare on the rest."""
    uscc = pytest.importorskip("stdnum.cn.uscc")
    if code[:8].isdigit():
        assert uscc.is_valid(code)
        corrupted = code[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(code[17]) + 1) % 31]
        assert not uscc.is_valid(corrupted) and check_credit_code(corrupted).rule == "check"


def test_full_width_input_is_where_stdnum_alone_falls_short():
    from stdnum.cn import uscc

    full_width = "９１３５０１００Ｍ０００１００Ｙ４３"
    assert check_credit_code(full_width) is None
    assert not uscc.is_valid(full_width)
    assert not uscc.is_valid(with_check_character("Y1370303MA3C4D1K2"))  # letter authority: stdnum rejects
