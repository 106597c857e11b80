"""The Excel workbook (xlsx, openpyxl) of one assessment: the result, every answer, item and sub-domain scores.

Chinese sheet names and headers (in the chosen language), plain cell values (no formulas,
user text always stored as text so "=..." never runs), fixed column widths and a frozen
header row: opens cleanly in Excel and WPS.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from questionnaires.model import CmmmScoring, Question, Questionnaire
from reports.explain import SCALE4_ZH_EN, SHANGHAI, Explanation, pick, say
from reports.pdf import report_name
from zibo.reference import district_label, industry_label

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
YES_NO = {"yes": ("是", "Yes"), "no": ("否", "No")}


def _text_cell(ws, row: int, col: int, value: Any) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # user text is text, never a formula
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]], widths: list[int]):
    ws = wb.create_sheet(title)
    for col, (head, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = ws.cell(row=1, column=col, value=head)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _text_cell(ws, r, c, value)
    ws.freeze_panes = "A2"
    return ws


def answer_text(question: Question, value: Any, lang: str = "zh") -> Any:
    """An answer as a reader sees it: option labels, 是/否, numbers as numbers, text as written."""
    i = 1 if lang == "en" else 0
    if value is None:
        return None
    if question.type == "scale4":
        return SCALE4_ZH_EN.get(value, (value, value))[i]
    if question.type == "yes_no":
        return YES_NO.get(value, (value, value))[i]
    if question.type == "single_choice":
        option = question.option(value)
        return pick(option.label, lang) if option else str(value)
    if question.type == "multiple_choice":
        return "；".join(pick(o.label, lang) if (o := question.option(v)) else str(v) for v in value)
    return value


def item_score(questionnaire: Questionnaire, question: Question, value: Any) -> float | None:
    """The score an answered item contributes (scale4 value, or the chosen option's score)."""
    s = questionnaire.scoring
    if value is None or not isinstance(s, CmmmScoring):
        return None
    if question.type == "scale4":
        return s.scale_values.get(value)
    if question.type == "single_choice" and (option := question.option(value)) is not None:
        return option.score
    return None


def build_workbook(ex: Explanation, questionnaire: Questionnaire, detail: dict, enterprise: dict,
                   answers: dict[str, Any], na: dict[str, str], generated_at: datetime | None = None) -> bytes:
    """The workbook as xlsx bytes. ``answers``/``na`` are the stored answers and not-applicable reasons."""
    lang = ex.lang
    wb = Workbook()
    wb.remove(wb.active)
    generated = (generated_at or datetime.now(UTC)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    summary = [
        [say("pdf_name", lang), enterprise.get("name") or ""],
        [say("credit_code", lang), enterprise.get("credit_code") or ""],
        [say("district", lang), district_label(enterprise.get("district"), lang) if enterprise.get("district") else ""],
        [say("industry", lang), industry_label(enterprise.get("industry_code")) if enterprise.get("industry_code") else ""],
        [say("above_scale", lang),
         "" if enterprise.get("above_scale") is None else say("yes" if enterprise["above_scale"] else "no", lang)],
        [say("questionnaire", lang), f"{ex.title}（{questionnaire.id} v{ex.questionnaire_version}）"],
        [say("scoring_version", lang, v="").strip("：: "), ex.scoring_version],
        [say("res_mark", lang, mark="").strip("：: "), ex.mark],
        [say("pdf_computed", lang, when="").strip("：: "), ex.computed_at],
        [say("pdf_generated", lang, when="").strip("：: "), generated],
    ]
    if ex.method == "rule":
        summary.append([say("pdf_verdict", lang), ex.verdict])
        summary += [[label, say("met" if met else "not_met", lang)] for label, met in ex.criteria]
        summary += [[label, value] for label, value in ex.indicators]
    else:
        summary += [[say("level", lang), ex.level_name], [say("overall_score", lang), ex.score]]
        if ex.uncertainty:
            summary.append(["", ex.uncertainty])
        summary += [["", note] for note in ex.notes]
    _sheet(wb, say("wb_sheet_result", lang), [say("wb_field", lang), say("wb_value", lang)], summary, [28, 90])

    rows = []
    for section in questionnaire.sections:
        for q in section.questions:
            value = answers.get(q.id)
            reason = na.get(q.id) or na.get(section.id)
            if value is None and reason is None:
                continue
            rows.append([q.id, pick(section.title, lang), q.level, pick(q.text, lang), answer_text(q, value, lang),
                         item_score(questionnaire, q, value), reason])
    _sheet(wb, say("wb_sheet_answers", lang),
           [say(k, lang) for k in ("wb_item_code", "wb_section", "wb_level", "wb_item_text", "wb_answer",
                                   "wb_item_score", "wb_na_reason")], rows, [34, 14, 7, 70, 22, 10, 30])

    if ex.method != "rule":
        levels = [lv.level for lv in ex.levels]
        sd_rows = []
        for sd in ex.subdomains:
            per = detail["subdomains"][sd.id]["levels"]
            sd_rows.append([sd.element, sd.domain, sd.name, sd.score, *[per.get(str(n)) for n in levels],
                            sd.not_applicable])
        _sheet(wb, say("wb_sheet_subdomains", lang),
               [say("element", lang), say("res_domain", lang), say("res_subdomain", lang), say("res_score", lang),
                *[say("wb_level_n", lang, n=n) for n in levels], say("wb_na_reason", lang)],
               sd_rows, [12, 14, 16, 10, *[8] * len(levels), 30])
        _sheet(wb, say("wb_sheet_levels", lang),
               [say("wb_level", lang), say("res_level_score", lang), say("wb_state", lang)],
               [[lv.name, lv.score, lv.state] for lv in ex.levels], [16, 12, 12])
        if ex.method == "cmmm_quick":
            steps = [[i, w.name, w.chosen_text, w.action, w.gain_text] for i, w in enumerate(ex.weakest, start=1)]
            headers = [say("res_rank", lang), say("res_subdomain", lang), say("wb_answer", lang),
                       say("res_action", lang).rstrip("：: "), say("wb_gain", lang)]
            widths = [6, 14, 50, 60, 60]
        else:
            steps = [[b.rank, b.subdomain, b.level, b.item, b.text, b.answer, b.evidence, b.action, b.gain]
                     for b in ex.blockers]
            headers = [say("res_rank", lang), say("res_subdomain", lang), say("wb_level", lang),
                       say("wb_item_code", lang), say("wb_item_text", lang), say("wb_answer", lang),
                       say("evidence", lang).rstrip("：: "), say("res_action", lang).rstrip("：: "),
                       say("wb_gain", lang)]
            widths = [6, 14, 7, 30, 60, 12, 40, 60, 14]
        _sheet(wb, say("wb_sheet_steps", lang), headers, steps, widths)
        wb.properties.title = report_name(questionnaire.id, lang)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
