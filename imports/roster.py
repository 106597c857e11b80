"""Check an uploaded roster of above-scale manufacturers row by row before anything is imported.

Accepted headers (case, spaces and full-width characters ignored; see docs/kpi.md):

- credit code: 统一社会信用代码, 信用代码, 社会信用代码, credit_code
- name: 企业名称, 单位名称, 单位详细名称, name
- district: 所属区县, 区县, 所属区县/功能区, 区县/功能区, district
- industry division: 行业大类, 行业大类代码, 行业代码, 所属行业, industry, industry_code
- revenue (optional): 营业收入, 营业收入(万元), 主营业务收入, revenue
- employees (optional): 从业人员, 从业人员数, 从业人员(人), 年末从业人员, employees
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from zibo.reference import DISTRICTS, INDUSTRIES, USCC_ALPHABET, credit_code_problem, normalise_credit_code

FIELDS = ("credit_code", "name", "district", "industry_code", "revenue", "employees")
REQUIRED = ("credit_code", "name", "district", "industry_code")
FIELD_ZH = {"credit_code": "统一社会信用代码", "name": "企业名称", "district": "所属区县", "industry_code": "行业大类",
            "revenue": "营业收入", "employees": "从业人员", "file": "文件"}
FIELD_EN = {"credit_code": "credit code", "name": "name", "district": "district", "industry_code": "industry division",
            "revenue": "revenue", "employees": "employees", "file": "file"}

HEADER_ALIASES = {
    "credit_code": ["统一社会信用代码", "信用代码", "社会信用代码", "credit_code", "creditcode"],
    "name": ["企业名称", "单位名称", "单位详细名称", "name"],
    "district": ["所属区县", "区县", "所属区县/功能区", "区县/功能区", "district"],
    "industry_code": ["行业大类", "行业大类代码", "行业代码", "所属行业", "industry", "industry_code"],
    "revenue": ["营业收入", "营业收入(万元)", "主营业务收入", "主营业务收入(万元)", "revenue"],
    "employees": ["从业人员", "从业人员数", "从业人员(人)", "年末从业人员", "employees"],
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


_HEADER_FIELD = {_norm(alias): f for f, aliases in HEADER_ALIASES.items() for alias in aliases}

# District names as they appear in official lists, mapped to reference.DISTRICTS keys.
_DISTRICT_ALIASES = {
    **{_norm(zh): key for key, (zh, _en) in DISTRICTS.items()},
    **{_norm(key): key for key in DISTRICTS},
    **{_norm(zh.removesuffix("区").removesuffix("县")): key for key, (zh, _en) in DISTRICTS.items()
       if key not in ("high_tech_zone", "economic_zone")},
    _norm("高新区"): "high_tech_zone", _norm("淄博高新技术产业开发区"): "high_tech_zone",
    _norm("经开区"): "economic_zone", _norm("经济开发区"): "economic_zone",
    _norm("文昌湖省级旅游度假区"): "wenchang_lake",
}
_INDUSTRY_BY_NAME = {_norm(name): code for code, name in INDUSTRIES.items()}


@dataclass(frozen=True)
class Problem:
    """One row-level error: row number as in the spreadsheet (1 = header), field, message."""

    row: int
    field: str
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class RosterRow:
    row: int
    credit_code: str
    name: str
    district: str  # reference.DISTRICTS key
    industry_code: str  # "13".."43"
    revenue: str | None  # decimal text, as given
    employees: int | None


@dataclass
class Preview:
    """What an import would do: the valid rows, and every problem with its row number (1 = the header)."""

    valid: list = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total_rows: int = 0

    @property
    def clean(self) -> bool:
        return not self.problems and bool(self.valid)

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems if p.row > 1})

    @property
    def file_problem(self) -> bool:
        """A problem with the file itself (e.g. a missing column): nothing can be imported."""
        return any(p.row <= 1 for p in self.problems)


@dataclass
class RosterPreview(Preview):
    """The roster rows that would be imported (RosterRow), and every problem."""


def credit_code_message(code: str) -> tuple[str, str] | None:
    """(zh, en) of why a credit code is invalid, or None; the ONE wrapper around reference.credit_code_problem.

    The validator may return a plain (English) string or a bilingual object with ``.zh`` and
    ``.get(lang)``; for a plain string the Chinese reason is worked out here.
    """
    problem = credit_code_problem(code)
    if problem is None:
        return None
    if hasattr(problem, "zh"):
        en = problem.get("en") if hasattr(problem, "get") else str(problem)
        return str(problem.zh), str(en)
    code = normalise_credit_code(code)
    if len(code) != 18:
        zh = f"应为 18 位，实际为 {len(code)} 位"
    elif any(ch not in USCC_ALPHABET for ch in code):
        bad = "".join(sorted({ch for ch in code if ch not in USCC_ALPHABET}))
        zh = f"含有信用代码不使用的字符：{bad}（不使用 I、O、S、V、Z）"
    elif not code[2:8].isdigit():
        zh = "第 3–8 位（登记管理机关行政区划码）应为数字"
    else:
        zh = "校验位不正确"
    return f"统一社会信用代码无效：{zh}", str(problem)


def _district(value: str) -> str | None:
    return _DISTRICT_ALIASES.get(_norm(value))


def _industry(value: str) -> str | None:
    text = _norm(value)
    match = re.match(r"^c?(\d{2})(?:\D.*)?$", text)  # "26", "C26", "26 化学原料和化学制品制造业"
    if match and match.group(1) in INDUSTRIES:
        return match.group(1)
    return _INDUSTRY_BY_NAME.get(text)


def map_header(header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    """Column index per field, and problems: a missing required column, or a column given twice."""
    columns: dict[str, int] = {}
    problems = []
    for i, title in enumerate(header):
        f = _HEADER_FIELD.get(_norm(title))
        if f is None:
            continue
        if f in columns:
            problems.append(Problem(1, f, f"“{FIELD_ZH[f]}”列出现了两次（第 {columns[f] + 1} 列和第 {i + 1} 列）",
                                    f"column '{FIELD_EN[f]}' appears twice"))
        else:
            columns[f] = i
    for f in REQUIRED:
        if f not in columns:
            accepted = "、".join(HEADER_ALIASES[f][:3])
            problems.append(Problem(1, f, f"缺少“{FIELD_ZH[f]}”列（可用的表头：{accepted}）",
                                    f"missing column '{FIELD_EN[f]}'"))
    return columns, problems


def check_roster(header: list[str], rows: list[tuple[int, list[str]]]) -> RosterPreview:
    """Check every row; valid rows go to ``valid``, each error to ``problems`` (row, field, message)."""
    preview = RosterPreview(total_rows=len(rows))
    columns, header_problems = map_header(header)
    if header_problems:
        preview.problems = header_problems
        return preview
    candidates: list[RosterRow] = []
    bad: set[int] = set()

    def problem(row: int, f: str, zh: str, en: str) -> None:
        preview.problems.append(Problem(row, f, zh, en))
        bad.add(row)

    for number, cells in rows:
        value = {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()}
        for f in REQUIRED:
            if not value[f]:
                problem(number, f, f"缺少{FIELD_ZH[f]}", f"{FIELD_EN[f]} is missing")
        code = normalise_credit_code(value["credit_code"])
        if code and (msg := credit_code_message(code)):
            problem(number, "credit_code", *msg)
        district = _district(value["district"])
        if value["district"] and district is None:
            problem(number, "district", f"未知区县：“{value['district']}”（应为淄博市 11 个区县/功能区之一）",
                    f"unknown district '{value['district']}'")
        industry = _industry(value["industry_code"])
        if value["industry_code"] and industry is None:
            problem(number, "industry_code", f"未知行业大类：“{value['industry_code']}”（应为制造业大类代码 13–43）",
                    f"unknown industry division '{value['industry_code']}' (13-43)")
        revenue = value.get("revenue") or None
        if revenue is not None:
            try:
                amount = Decimal(revenue.replace(",", ""))
                if not amount.is_finite() or amount < 0:
                    raise InvalidOperation
                revenue = str(amount)
            except InvalidOperation:
                problem(number, "revenue", f"营业收入应为非负数字，而不是“{revenue}”", f"revenue must be a number: {revenue!r}")
        employees = value.get("employees") or None
        if employees is not None:
            if re.fullmatch(r"\d+", employees.replace(",", "")):
                employees = int(employees.replace(",", ""))
            else:
                problem(number, "employees", f"从业人员应为非负整数，而不是“{employees}”",
                        f"employees must be a whole number: {employees!r}")
        if number not in bad:
            candidates.append(RosterRow(number, code, value["name"], district, industry, revenue, employees))

    seen: dict[str, list[int]] = {}
    for number, cells in rows:
        i = columns["credit_code"]
        code = normalise_credit_code(cells[i] if i < len(cells) else "")
        if code:
            seen.setdefault(code, []).append(number)
    for code, numbers in seen.items():
        if len(numbers) > 1:
            listed = "、".join(str(n) for n in numbers)
            for n in numbers:
                problem(n, "credit_code", f"信用代码 {code} 在文件中重复出现（第 {listed} 行）",
                        f"credit code {code} appears more than once (rows {listed})")
    preview.valid = [r for r in candidates if r.row not in bad]
    preview.problems.sort(key=lambda p: (p.row, FIELDS.index(p.field) if p.field in FIELDS else -1))
    return preview


def preview_file(filename: str, data: bytes) -> RosterPreview:
    """Read and check an uploaded roster; a file that cannot be read is one problem on row 1."""
    from imports.sheets import SheetError, read_sheet

    try:
        sheet = read_sheet(filename, data)
    except SheetError as e:
        return RosterPreview(problems=[Problem(1, "file", e.zh, e.en)])
    return check_roster(sheet.header, sheet.rows)


class NotClean(Exception):
    """Import refused: the file has problems and only-valid-rows was not chosen, or nothing is valid."""


def import_preview(db, identity, year: int, preview: RosterPreview, *, only_valid: bool = False, source: str = "",
                   progress=None) -> dict:
    """Import a checked roster for ``year``, replacing that year's roster; returns {"old", "new"} counts.

    Refused (nothing changes) when the file itself is unusable, when no row is valid, or when some
    rows have problems and the user has not explicitly chosen to import only the valid rows.
    """
    from db.roster import replace_roster

    if preview.file_problem or not preview.valid:
        raise NotClean("nothing valid to import")
    if preview.problems and not only_valid:
        raise NotClean(f"{preview.bad_rows} row(s) have problems")
    return replace_roster(db, identity, year, preview.valid, source=source, skipped=preview.bad_rows, progress=progress)
