"""Explained results, advice, charts, PDF and workbook for known answer sets (pure: no database)."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scoring
from questionnaires import registry
from reports import advice as advice_mod
from reports.explain import explain, public_gates, report_filename
from tests.test_results_data import full_answers

STORED_AT = "2026-03-01T02:30:00+00:00"  # 10:30 in Asia/Shanghai
ENTERPRISE = {"name": "淄博华盛新材料有限公司", "credit_code": "91370303MA3C4D1K2X", "district": "zhangdian",
              "industry_code": "26", "production_type": "process", "employees": 320, "revenue_wan": "18500.5",
              "contact_name": "王工", "contact_phone": "13800000000"}


def stored(questionnaire, answers, na=None) -> dict:
    return {"detail": scoring.score(questionnaire, answers, na or {}), "computed_at": STORED_AT}


@pytest.fixture(scope="module")
def full():
    return registry.latest("cmmm_full")


@pytest.fixture(scope="module")
def quick():
    return registry.latest("cmmm_quick")


@pytest.fixture(scope="module")
def full_ex(full):
    return explain(full, stored(full, full_answers()))


# -- advice file ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("qid", ["cmmm_full", "cmmm_quick"])
def test_advice_covers_every_subdomain_and_level(qid):
    assert advice_mod.missing_for(advice_mod.load(), registry.latest(qid)) == []


def test_advice_names_each_missing_entry():
    text = ('subdomains:\n  data:\n    1: {zh: 做一件事, en: Do one thing}\n    2: {zh: "", en: x}\n'
            '    3: {zh: 三, en: three}\n    4: {zh: 四, en: four}\n    7: {zh: 七, en: seven}\n')
    with pytest.raises(advice_mod.AdviceInvalid) as err:
        advice_mod.parse(text, "t.yaml")
    message = str(err.value)
    assert "subdomains.data.2" in message and "subdomains.data.5" in message and "unknown level" in message


def test_advice_is_not_inside_the_published_questionnaires():
    """The frozen questionnaire files are untouched: the manifest still matches them."""
    assert registry.load_all()  # load_all stops on any manifest mismatch


# -- maturity (full) --------------------------------------------------------------------------------------

def test_known_answer_set_level_and_levels(full_ex):
    assert full_ex.level == 2 and full_ex.level_name == "二级 规范级"
    assert full_ex.score_text == "2.35 / 5" and full_ex.next_level_name == "三级 集成级"
    assert [lv.state for lv in full_ex.levels] == ["达标", "达标", "未达标", "不计入", "不计入"]
    assert full_ex.mark == "自评" and not full_ex.indicative
    assert full_ex.computed_at == "2026-03-01 10:30"


def test_blockers_are_the_failing_items_ranked_by_gain(full, full_ex):
    answers = full_answers()
    expected = [i for i, q in full.questions.items()
                if q.type == "scale4" and q.level == 3 and i in answers and answers[i] != "fully_met"]
    assert sorted(b.item for b in full_ex.blockers) == sorted(expected)
    gains = [b.gain for b in full_ex.blockers]
    assert gains == sorted(gains, reverse=True)
    # equal gains keep questionnaire order
    positions = [(round(b.gain, 9), full.questions[b.item].position) for b in full_ex.blockers]
    assert positions == sorted(positions, key=lambda p: (-p[0], p[1]))
    first = full_ex.blockers[0]
    assert first.item == "organisation_strategy_l3_cross_department_mechanism"
    assert first.subdomain == "组织战略" and first.answer == "不满足"
    assert first.evidence.startswith("领导小组成立文件")
    assert first.action == advice_mod.load().action("organisation_strategy", 3).zh
    assert "第3级得分可提高 0.025" in first.gain_text and "+0.0" not in first.gain_text


def test_first_n_items_are_exactly_enough_for_the_next_level(full, full_ex):
    """The summary's N, checked by rescoring: N items reach level 3, N-1 do not."""
    n = int(re.search(r"前 (\d+) 项", full_ex.blocker_summary).group(1))

    def level_after(k: int) -> int:
        answers = full_answers()
        answers.update({b.item: "fully_met" for b in full_ex.blockers[:k]})
        return scoring.score(full, answers)["level"]

    assert level_after(n) == 3
    assert level_after(n - 1) == 2


def test_all_levels_passed_has_no_blockers(full):
    answers = {k: ("fully_met" if v in ("largely_met", "partly_met", "not_met") else v)
               for k, v in full_answers().items()}
    ex = explain(full, stored(full, answers))
    assert ex.level == 5 and ex.blockers == [] and ex.next_level_name == ""
    assert "均达到达标线" in ex.blocker_summary


def test_english_explanation_has_no_chinese_fixed_text(full):
    ex = explain(full, stored(full, full_answers()), lang="en")
    assert ex.level_name == "Level 2 · Standardised" and ex.mark == "Self-assessed"
    assert not re.search(r"[\u4e00-\u9fff]", ex.blocker_summary + ex.blockers[0].gain_text + ex.blockers[0].action)


@pytest.mark.parametrize("level,met", [(0, []), (1, []), (2, ["基础级智能工厂", "先进级智能工厂"]),
                                       (3, ["基础级智能工厂", "先进级智能工厂", "卓越级智能工厂"])])
def test_public_gates_are_references_with_source(level, met):
    gates = public_gates(level)
    assert [g.tier for g in gates if g.met] == met
    assert all("来源" in g.source and re.search(r"20\d\d", g.source) for g in gates)


# -- quick check -------------------------------------------------------------------------------------------

def quick_answers(quick, pattern=(0, 1, 2, 3, 1, 2)) -> dict:
    answers = {"manufacturing_type": "discrete"}
    subdomains = quick.scoring.subdomains
    for i, sd in enumerate(subdomains):
        level = pattern[i % len(pattern)]
        answers[sd] = next(o.id for o in quick.questions[sd].options if o.score == level)
    return answers


def test_quick_check_weakest_with_actions_not_the_chosen_answer(quick):
    ex = explain(quick, stored(quick, quick_answers(quick)))
    assert ex.indicative and len(ex.weakest) == 3
    book = advice_mod.load()
    for area in ex.weakest:
        assert area.chosen_level == 0
        assert area.action == book.action(area.subdomain, 1).zh
        assert area.action != area.chosen_text
        assert "总分由" in area.gain_text and "满分 5 分" in area.gain_text
    assert ex.next_steps[0].startswith(ex.weakest[0].name + "：")


def test_quick_check_uncertainty_names_the_range(quick):
    ex = explain(quick, stored(quick, quick_answers(quick, (2,))))
    assert ex.level_name == "二级 规范级"
    assert "“一级 规划级”" in ex.uncertainty and "“三级 集成级”" in ex.uncertainty
    assert "指示性" in ex.uncertainty


def test_quick_check_gain_matches_a_rescore(quick):
    answers = quick_answers(quick)
    ex = explain(quick, stored(quick, answers))
    weakest = ex.weakest[0]
    raised = dict(answers)
    raised[weakest.subdomain] = next(o.id for o in quick.questions[weakest.subdomain].options if o.score == 1)
    after = scoring.score(quick, raised)["score"]
    assert f"升至 {after:.2f} 分" in weakest.gain_text


# -- adoption -------------------------------------------------------------------------------------------------

def test_adoption_verdict_criteria_and_rates():
    q = registry.latest("ii_adoption")
    answers = {"platform_use": "own", "platform_name": "自建平台", "platform_functions": ["equipment_monitoring"],
               "equipment_total": 100, "equipment_digitised": 50, "equipment_networked": 20,
               "equipment_on_platform": 10, "cloud_systems": ["erp"]}
    ex = explain(q, stored(q, answers))
    assert ex.outcome is True and ex.verdict == "应用工业互联网"
    assert ("使用自建或第三方工业互联网平台，且至少用于一项生产经营功能（仅办公协同不计）", True) in ex.criteria
    assert ("设备数字化率", "50.0 %") in ex.indicators


# -- charts, PDF, workbook ---------------------------------------------------------------------------------------

def test_charts_show_twenty_subdomains_and_the_pass_mark(full_ex):
    from reports.charts import level_chart, radar_chart, radar_frame

    points, labels = radar_frame(full_ex)
    assert len(labels) == 20 and set(points["series"]) == {"当前得分", "下一等级（三级 集成级）"}
    assert "达标线 0.8" in level_chart(full_ex).to_json()
    assert "组织战略 2.30" in radar_chart(full_ex).to_json()


def test_chart_png_renders(full_ex):
    from reports.charts import level_chart, to_png

    png = to_png(level_chart(full_ex))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


@pytest.fixture(scope="module")
def pdf_bytes(full_ex):
    from reports.pdf import ReportContext, build_pdf

    return build_pdf(full_ex, ReportContext(ENTERPRISE, peers=("同行业（26 化学原料和化学制品制造业）：……",)))


def test_pdf_text_has_name_level_and_first_next_step(pdf_bytes, full_ex):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    assert "淄博华盛新材料有限公司" in text
    assert "二级规范级" in text
    assert re.sub(r"\s+", "", full_ex.blockers[0].action) in text
    assert "【自评】" in text and "91370303MA3C4D1K2X" in text
    assert f"第1页/共{len(reader.pages)}页" in text
    assert "2025.1" in text  # scoring version
    assert "流程型制造" in text and "18500.5" in text and "王工13800000000" in text  # the company profile


def test_pdf_embeds_its_font(pdf_bytes):
    from pypdf import PdfReader

    fonts = set()
    for page in PdfReader(io.BytesIO(pdf_bytes)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object().get("/DescendantFonts")
            if descriptor:
                desc = descriptor[0].get_object()["/FontDescriptor"].get_object()
                fonts.add(any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")))
    assert fonts == {True}


def test_pdf_without_a_cjk_font_says_what_to_install(monkeypatch, full_ex):
    from reports import pdf
    from reports.charts import NoCjkFont

    monkeypatch.setattr(pdf, "PDF_FONTS", (("/nonexistent/font.ttc", 0),))
    with pytest.raises(NoCjkFont, match="fonts-wqy-microhei"):
        pdf.build_pdf(full_ex, pdf.ReportContext(ENTERPRISE))


def test_workbook_sheets_and_chinese_content(full, full_ex):
    from openpyxl import load_workbook

    from reports.workbook import build_workbook

    answers = full_answers()
    data = build_workbook(full_ex, full, scoring.score(full, answers), ENTERPRISE, answers, {})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["结果", "答案明细", "子域得分", "等级得分", "提升建议"]
    result = {r[0]: r[1] for r in wb["结果"].iter_rows(min_row=2, values_only=True)}
    assert result["企业名称"] == "淄博华盛新材料有限公司" and result["成熟度等级"] == "二级 规范级"
    assert result["结果性质"] == "自评"
    rows = list(wb["答案明细"].iter_rows(values_only=True))
    assert rows[0] == ("条目编号", "章节", "等级", "条目内容", "答案", "条目得分", "不适用理由")
    item = full.questions["organisation_strategy_l1_strategy_plan_exists"]
    assert ("organisation_strategy_l1_strategy_plan_exists", "组织战略", 1, item.text.zh, "全部满足", 1, None) in rows
    assert len(rows) == 1 + len(answers)
    sub = list(wb["子域得分"].iter_rows(values_only=True))
    assert len(sub) == 21 and sub[0][:4] == ("能力要素", "能力域", "能力子域", "得分")
    steps = list(wb["提升建议"].iter_rows(min_row=2, values_only=True))
    assert steps[0][3] == full_ex.blockers[0].item and steps[0][7] == full_ex.blockers[0].action


def test_workbook_keeps_user_text_as_text(full_ex):
    from openpyxl import load_workbook

    from reports.workbook import build_workbook

    q = registry.latest("ii_adoption")
    answers = {"platform_use": "own", "platform_name": "=HYPERLINK(\"http://x\")", "equipment_total": 10,
               "equipment_digitised": 5, "equipment_networked": 0, "equipment_on_platform": 0,
               "platform_functions": ["office_only"], "cloud_systems": ["none_cloud"]}
    ex = explain(q, stored(q, answers))
    wb = load_workbook(io.BytesIO(build_workbook(ex, q, scoring.score(q, answers), ENTERPRISE, answers, {})))
    cell = next(c for row in wb["答案明细"].iter_rows() for c in row if c.value == answers["platform_name"])
    assert cell.data_type == "s"
    assert wb.sheetnames == ["结果", "答案明细"]


@pytest.mark.parametrize("name,expected", [
    ("淄博华盛新材料有限公司", "智能制造成熟度评估报告_淄博华盛新材料有限公司_20260301.pdf"),
    ("A/B:C*公司", "智能制造成熟度评估报告_A_B_C_公司_20260301.pdf"),
])
def test_report_file_name(name, expected):
    assert report_filename("cmmm_full", name, "20260301", "pdf") == expected


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_pdf_of_the_quick_check_has_range_and_weakest_actions(quick):
    from reports.pdf import ReportContext, build_pdf

    ex = explain(quick, stored(quick, quick_answers(quick)))
    text = pdf_text(build_pdf(ex, ReportContext(ENTERPRISE)))
    assert "智能制造成熟度快速自测报告" in text and "每个能力子域只用一道题估计" in text
    assert all(re.sub(r"\s+", "", area.action) in text for area in ex.weakest)


def test_pdf_of_the_adoption_survey_has_verdict_and_rates():
    from reports.pdf import ReportContext, build_pdf

    q = registry.latest("ii_adoption")
    answers = {"platform_use": "none", "equipment_total": 100, "equipment_digitised": 50, "equipment_networked": 20,
               "equipment_on_platform": 0, "cloud_systems": ["none_cloud"]}
    ex = explain(q, stored(q, answers), verified=True)
    text = pdf_text(build_pdf(ex, ReportContext(ENTERPRISE)))
    assert "工业互联网应用评估报告" in text and "【已核验】" in text
    assert "判定结论：未达到“应用工业互联网”标准" in text and "设备数字化率50.0%" in text


def test_pdf_shows_peers_change_and_national_reference(full_ex):
    from reports.pdf import ReportContext, build_pdf

    ctx = ReportContext(ENTERPRISE, peers=("同行业（26 化学原料和化学制品制造业）：得分高于 60% 的同类企业（共 5 家有结果）",),
                        change_title="与上次评估相比（2025-06-01，一级 规划级）",
                        changes=(("组织战略", "1.80", "2.30", "+0.50"),))
    text = pdf_text(build_pdf(full_ex, ctx))
    assert "得分高于60%的同类企业（共5家有结果）" in text
    assert "与上次评估相比（2025-06-01，一级规划级）" in text and "+0.50" in text
    assert "规模以上工业企业" not in text  # not in this profile: nothing invented
    assert "智能制造发展指数报告（2022）" in text


# -- invariants over random answer sets ----------------------------------------------------------------------

@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_blockers_and_their_count_hold_for_any_answers(full, data):
    """Blockers are the failing items of the stopping level, by falling gain; the stated N is exact."""
    from questionnaires.conditions import visibility

    answers = {"manufacturing_type": "discrete"}
    visible = visibility(full, answers, {}).questions
    skew = data.draw(st.sampled_from([(0, 1, 2, 3), (0, 0, 1, 2), (0, 1, 1, 1)]), label="skew")
    for item in full.questions.values():
        if item.type == "scale4" and item.id in visible:
            answers[item.id] = SCALE_BY_RANK[data.draw(st.sampled_from(skew))]
    ex = explain(full, stored(full, answers))
    gains = [b.gain for b in ex.blockers]
    assert gains == sorted(gains, reverse=True)
    assert {b.level for b in ex.blockers} <= {next((lv.level for lv in ex.levels if lv.counted and not lv.passed),
                                                   None)}
    match = re.search(r"前 (\d+) 项", ex.blocker_summary)

    def level_after(k: int) -> int:
        raised = dict(answers)
        raised.update({b.item: "fully_met" for b in ex.blockers[:k]})
        return scoring.score(full, raised)["level"]

    if match:
        n = int(match.group(1))
        assert level_after(n) > ex.level and (n == 1 or level_after(n - 1) == ex.level)
    elif ex.blockers:
        assert level_after(len(ex.blockers)) == ex.level


SCALE_BY_RANK = ("fully_met", "largely_met", "partly_met", "not_met")
