"""The results page through AppTest: what an enterprise reads after submitting, in Chinese."""

from __future__ import annotations

import re

from tests.test_pages import open_page, sign_in
from tests.test_results_data import (
    add_peers,
    ent1_full,  # noqa: F401 - fixture
    full_answers,
    submit_full,
)

ALLOWED_LATIN = {"www", "cn", "c3mep", "Excel"}  # a web address and a product name; acronyms pass


def page_texts(at) -> list[str]:
    return ([m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
            + [i.value for i in at.info] + [w.value for w in at.warning] + [t.value for t in at.title])


def test_full_result_explains_level_blockers_peers_and_gates(fresh_db, ent1_full):  # noqa: F811
    add_peers(fresh_db, 5, "zhangdian", "26", [1.0, 1.5, 2.0, 3.0, 3.5])
    at = open_page(sign_in("ent1"), "app_pages/result.py", a=ent1_full)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["成熟度等级"] == "二级 规范级" and metrics["成熟度得分 S"] == "2.35 / 5"
    assert metrics["下一等级"] == "三级 集成级"
    texts = page_texts(at)
    assert any(t.startswith("第3级得分为 0.55，低于达标线 0.8") for t in texts)
    assert any("1. 组织战略" in t and "目前：不满足" in t for t in texts)
    assert any("成立跨部门的数字化领导小组" in t for t in texts)
    assert any("同行业（26 化学原料和化学制品制造业）：得分高于 60% 的同类企业（共 5 家有结果）" in t for t in texts)
    assert any("同区县（张店区）：得分高于 60%" in t for t in texts)
    assert "公开申报门槛对照" in texts and any("基础级智能工厂" in t and "满足" in t for t in texts)
    assert any("这是本企业第一次提交该问卷" in t for t in texts)
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) >= 2
    downloads = [b.proto.label for b in at.get("download_button")]
    assert downloads == ["下载 PDF 报告", "下载 Excel 明细"]
    # what a reader sees: no badge markup, icon names or link targets
    visible = [re.sub(r":[a-z]+-badge\[|:material/[a-z_]+:|\]\(https://[^)]*\)", " ", t) for t in texts]
    latin = {w for t in visible for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", t) if re.search("[a-z]", w)}
    latin -= ALLOWED_LATIN
    assert latin == set(), latin


def test_peers_hidden_with_fewer_than_five(fresh_db, ent1_full):  # noqa: F811
    add_peers(fresh_db, 4, "zhangdian", "26", [1.0, 1.5, 2.0, 3.0])
    texts = page_texts(open_page(sign_in("ent1"), "app_pages/result.py", a=ent1_full))
    assert any("有结果的同类企业不足 5 家（目前 4 家），暂不显示比较" in t for t in texts)
    assert not any("得分高于" in t for t in texts)


def test_second_assessment_shows_change_per_subdomain(fresh_db, ent1, ent1_full):  # noqa: F811
    second = submit_full(fresh_db, ent1, full_answers(level3="fully_met"))
    at = open_page(sign_in("ent1"), "app_pages/result.py", a=second)
    assert any(s.value.startswith("与上次评估相比（") and "二级 规范级" in s.value for s in at.subheader)
    table = next(d.value for d in at.dataframe if "变化" in d.value.columns)
    assert len(table) == 20 and all(v.startswith("+") for v in table["变化"])


def test_quick_check_result_weakest_areas_and_link_to_full(fresh_db):
    at = sign_in("ent3")
    aid = fresh_db.execute("SELECT a.id FROM assessments a JOIN users u ON u.enterprise_id = a.enterprise_id "
                           "WHERE u.username = 'ent3' AND a.questionnaire_id = 'cmmm_quick'").fetchone()[0]
    at = open_page(at, "app_pages/result.py", a=aid)
    assert any("指示性" in i.value for i in at.info)
    assert any("每个能力子域只用一道题估计" in w.value for w in at.warning)
    assert "最薄弱的三个能力子域及改进做法" in [s.value for s in at.subheader]
    assert sum(1 for m in at.markdown if m.value.startswith("**建议做法**：")) == 3
    assert sum(1 for c in at.caption if "总分由" in c.value) >= 1
    assert not any(re.search(r"\+0\.\d{3}", t) for t in page_texts(at))
    links = [p.proto.label for p in at.get("page_link")]
    assert "开始完整版自评估" in links


def test_english_page_uses_english_labels(fresh_db, ent1_full):  # noqa: F811
    at = sign_in("ent1")
    at.radio(key="lang").set_value("en").run()
    at = open_page(at, "app_pages/result.py", a=ent1_full)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Maturity level"] == "Level 2 · Standardised"
    assert [b.proto.label for b in at.get("download_button")] == ["Download PDF report", "Download Excel workbook"]


def test_without_a_cjk_font_the_pdf_button_gives_way_to_a_message(fresh_db, ent1_full, monkeypatch):  # noqa: F811
    from reports import pdf

    monkeypatch.setattr(pdf, "PDF_FONTS", (("/nonexistent/font.ttc", 0),))
    at = open_page(sign_in("ent1"), "app_pages/result.py", a=ent1_full)
    assert any("暂时无法生成 PDF 报告" in e.value and "fonts-wqy-microhei" in e.value for e in at.error)
    assert [b.proto.label for b in at.get("download_button")] == ["下载 Excel 明细"]


def test_bureau_reads_the_same_result(fresh_db, ent1_full):  # noqa: F811
    at = open_page(sign_in("bureau1"), "app_pages/result.py", a=ent1_full)
    assert {m.label: m.value for m in at.metric}["成熟度等级"] == "二级 规范级"
    assert not any("开始完整版自评估" in p.proto.label for p in at.get("page_link"))
