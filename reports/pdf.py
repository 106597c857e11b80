"""The PDF report (fpdf2, A4, page numbers) of one explained result, with an embedded CJK font.

The font is embedded as a subset, so the file reads correctly on a machine without Chinese
fonts. Content comes from reports.explain (the same object the page shows), so the PDF and
the page agree on level, score and next steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from db.enterprises import PRODUCTION_TYPES, PROFILE_FIELDS
from reports.charts import NoCjkFont
from reports.explain import SHANGHAI, Explanation, say
from scoring import shown
from ui.i18n import STRINGS
from zibo.reference import district_label, industry_label

# (font file, index in the collection); fonts-wqy-microhei is TrueType, Noto CJK's index 2 is SC.
PDF_FONTS = (("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
             ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2))
FONT = "CJK"
MAX_BLOCKERS = 10
GREY = (110, 110, 110)


def pdf_font() -> tuple[str, int]:
    """The first installed CJK font file; NoCjkFont (with the packages to install) if none."""
    for path, index in PDF_FONTS:
        if Path(path).is_file():
            return path, index
    raise NoCjkFont(say("pdf_no_font"))


@dataclass(frozen=True)
class ReportContext:
    """What the report shows beside the explained result: who, when, and the page's extra sections."""

    enterprise: dict
    generated_at: datetime | None = None  # UTC; now when None
    peers: tuple[str, ...] = ()  # sentences, as the page shows them
    changes: tuple[tuple[str, str, str, str], ...] = ()  # (sub-domain, previous, now, change), display text
    change_title: str = ""


class _Report(FPDF):
    def __init__(self, footer_text: str, mark: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.mark = mark

    def header(self) -> None:
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.mark, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, self.footer_text.replace("{n}", str(self.page_no())), align="C")
        self.set_text_color(0, 0, 0)


def report_name(questionnaire_id: str, lang: str = "zh") -> str:
    key = f"report_{questionnaire_id}"
    return say(key if key in STRINGS else "report_other", lang)


def build_pdf(ex: Explanation, ctx: ReportContext, charts_png: tuple[bytes, ...] = ()) -> bytes:
    """The report as PDF bytes; raises NoCjkFont when no Chinese font is installed."""
    font_path, index = pdf_font()
    lang = ex.lang
    pdf = _Report(say("pdf_page", lang, n="{n}", total="{nb}"), f"{report_name(ex.questionnaire_id, lang)} · {ex.mark}")
    pdf.add_font(FONT, "", font_path, collection_font_number=index)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(18, 14, 18)
    pdf.add_page()
    w = pdf.epw

    def heading(text: str, size: int = 13) -> None:
        if pdf.will_page_break(30):  # no heading alone at the foot of a page
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(FONT, size=size)
        pdf.multi_cell(w, size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=10)
        pdf.ln(1)

    def para(text: str, size: int = 10, colour=(0, 0, 0)) -> None:
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(w, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)

    def table(rows: list[tuple[str, ...]], widths: tuple[int, ...], header: bool = True) -> None:
        pdf.set_font(FONT, size=9)
        with pdf.table(col_widths=widths, text_align="LEFT", first_row_as_headings=header,
                       headings_style=FontFace(fill_color=(235, 235, 235)), line_height=5) as t:
            for r in rows:
                row = t.row()
                for cell in r:
                    row.cell(cell)
        pdf.ln(2)

    enterprise = ctx.enterprise
    generated = (ctx.generated_at or datetime.now(UTC)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    pdf.set_font(FONT, size=18)
    pdf.multi_cell(w, 10, report_name(ex.questionnaire_id, lang), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=14)
    pdf.set_text_color(*((46, 125, 50) if ex.verified else (21, 101, 192)))
    pdf.cell(w, 8, f"【{ex.mark}】", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    para(say("pdf_generated", lang, when=generated) + "    " + say("pdf_computed", lang, when=ex.computed_at),
         9, GREY)
    para(say("pdf_versions", lang, title=ex.title, v=ex.questionnaire_version, s=ex.scoring_version), 9, GREY)

    heading(say("pdf_profile", lang))
    profile = [(say("pdf_name", lang), str(enterprise.get("name") or ""))]
    if enterprise.get("credit_code"):
        profile.append((say("credit_code", lang), str(enterprise["credit_code"])))
    if enterprise.get("district"):
        profile.append((say("district", lang), district_label(enterprise["district"], lang)))
    if enterprise.get("industry_code"):
        profile.append((say("industry", lang), industry_label(enterprise["industry_code"])))
    if enterprise.get("above_scale") is not None:
        profile.append((say("above_scale", lang), say("yes" if enterprise["above_scale"] else "no", lang)))
    # The rest of the company profile (issue 9 §1), as far as it is filled in.
    if enterprise.get("production_type") in PRODUCTION_TYPES:
        zh, en = PRODUCTION_TYPES[enterprise["production_type"]]
        profile.append((PROFILE_FIELDS["production_type"].get(lang), en if lang == "en" else zh))
    for field in ("employees", "revenue_wan"):
        if enterprise.get(field) not in (None, ""):
            profile.append((PROFILE_FIELDS[field].get(lang), str(enterprise[field])))
    contact = " ".join(str(enterprise[f]) for f in ("contact_name", "contact_phone") if enterprise.get(f))
    if contact:
        profile.append((PROFILE_FIELDS["contact_name"].get(lang), contact))
    table(profile, (45, 125), header=False)

    heading(say("pdf_result", lang))
    if ex.method == "rule":
        _rule_section(pdf, ex, para, table, heading)
    else:
        _maturity_section(pdf, ex, ctx, charts_png, para, table, heading, w)
    return bytes(pdf.output())


def _maturity_section(pdf, ex: Explanation, ctx: ReportContext, charts_png, para, table, heading, w) -> None:
    lang = ex.lang
    pdf.set_font(FONT, size=16)
    pdf.cell(w, 10, f"{say('level', lang)}：{ex.level_name}    {say('overall_score', lang)}：{ex.score_text}",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if ex.next_level_name:
        para(say("res_next_level", lang, name=ex.next_level_name))
    if ex.uncertainty:
        para(ex.uncertainty)
    else:
        para(say("self_reference", lang), 9, GREY)
    for note in ex.notes:
        para(note, 9, GREY)
    if ex.national:
        para(ex.national, 9, GREY)
    table([(say("wb_level", lang), say("res_level_score", lang), say("wb_state", lang)),
           *[(lv.name, "—" if lv.score is None else shown(lv.score), lv.state) for lv in ex.levels]], (60, 50, 60))
    for png in charts_png:
        if pdf.will_page_break(95):
            pdf.add_page()
        pdf.image(png, w=min(w, 165))
        pdf.ln(2)

    heading(say("pdf_next_steps", lang))
    if ex.method == "cmmm_quick":
        for i, area in enumerate(ex.weakest, start=1):
            para(f"{i}. {area.name}", 11)
            para(say("res_chosen", lang, text=area.chosen_text), 9, GREY)
            para(say("res_action", lang) + area.action)
            if area.gain_text:
                para(area.gain_text, 9, GREY)
            pdf.ln(1)
    else:
        para(ex.blocker_summary)
        pdf.ln(1)
        for b in ex.blockers[:MAX_BLOCKERS]:
            para(f"{b.rank}. {b.subdomain} · {say('res_level_short', lang, n=b.level)} · "
                 f"{say('res_answer_now', lang, answer=b.answer)}", 10)
            para(b.text)
            if b.evidence:
                para(say("evidence", lang) + b.evidence, 9, GREY)
            if b.action:
                para(say("res_action", lang) + b.action, 10)
            para(b.gain_text, 9, GREY)
            pdf.ln(1.5)
    if ctx.peers:
        heading(say("res_peers", lang))
        for line in ctx.peers:
            para(line)
    if ctx.changes:
        heading(ctx.change_title)
        table([(say("res_subdomain", lang), say("res_previous", lang), say("res_now", lang), say("res_delta", lang)),
               *ctx.changes], (70, 33, 33, 34))
    if ex.gates:
        heading(say("gates_title", lang))
        para(say("gates_caption", lang), 9, GREY)
        for gate in ex.gates:
            para(gate.text)
            para(gate.source, 8, GREY)


def _rule_section(pdf, ex: Explanation, para, table, heading) -> None:
    lang = ex.lang
    para(f"{say('pdf_verdict', lang)}：{ex.verdict}", 14)
    heading(say("criteria", lang), 11)
    table([(say("criteria", lang), say("status", lang)),
           *[(label, say("met" if met else "not_met", lang)) for label, met in ex.criteria]], (130, 40))
    heading(say("indicators", lang), 11)
    table([(say("indicators", lang), say("wb_value", lang)), *ex.indicators], (120, 50))
