"""Check a spreadsheet assigning enterprises to provider organisations row by row before anything changes.

Columns (header names as for the roster; see imports/roster.py): the credit code (统一社会信用代码,
信用代码, 社会信用代码, credit_code) and optionally the provider (服务商, 服务商名称, 服务机构, provider).
Without a provider column, or where its cell is empty, the provider chosen on the page is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from imports.roster import HEADER_ALIASES, Preview, Problem, _norm, credit_code_message
from zibo.reference import normalise_credit_code

PROVIDER_ALIASES = ["服务商", "服务商名称", "服务机构", "provider", "provider_name"]
_CODE_HEADERS = {_norm(a) for a in HEADER_ALIASES["credit_code"]}
_PROVIDER_HEADERS = {_norm(a) for a in PROVIDER_ALIASES}


@dataclass(frozen=True)
class AssignmentRow:
    row: int
    credit_code: str
    enterprise_id: int
    enterprise: str
    provider_id: int
    provider: str


@dataclass
class AssignmentPreview(Preview):
    """The assignments that would be made (AssignmentRow), and every problem."""


class NotClean(Exception):
    """Import refused: problems remain and only-valid-rows was not chosen, or nothing is valid."""


def check_assignments(db, header: list[str], rows: list[tuple[int, list[str]]],
                      default_provider_id: int | None = None) -> AssignmentPreview:
    """Check every row against the enterprises and providers on record."""
    preview = AssignmentPreview(total_rows=len(rows))
    code_col = next((i for i, h in enumerate(header) if _norm(h) in _CODE_HEADERS), None)
    provider_col = next((i for i, h in enumerate(header) if _norm(h) in _PROVIDER_HEADERS), None)
    if code_col is None:
        preview.problems.append(Problem(1, "credit_code", "缺少“统一社会信用代码”列（可用的表头：统一社会信用代码、信用代码）",
                                        "missing column 'credit code'"))
    if provider_col is None and default_provider_id is None:
        preview.problems.append(Problem(1, "provider", "文件中没有“服务商”列，请在页面上选择要分配的服务商",
                                        "no 'provider' column: choose the provider on the page"))
    if preview.problems:
        return preview
    from db.providers import assignment_targets

    enterprises, provider_rows = assignment_targets(db)
    providers = {_norm(r["name"]): r for r in provider_rows}
    by_id = {r["id"]: r for r in providers.values()}
    seen: dict[str, list[int]] = {}
    for number, cells in rows:
        raw = cells[code_col].strip() if code_col < len(cells) else ""
        code = normalise_credit_code(raw)
        named = cells[provider_col].strip() if provider_col is not None and provider_col < len(cells) else ""
        problems = []
        if not code:
            problems.append(("credit_code", "缺少统一社会信用代码", "credit code is missing"))
        elif msg := credit_code_message(code):
            problems.append(("credit_code", *msg))
        elif code not in enterprises:
            problems.append(("credit_code", f"平台上没有信用代码为 {code} 的企业", f"no enterprise with credit code {code}"))
        provider = None
        if named:
            provider = providers.get(_norm(named))
            if provider is None:
                problems.append(("provider", f"未知服务商：“{named}”（请先在本页创建该服务商）", f"unknown provider {named!r}"))
        elif default_provider_id is not None:
            provider = by_id.get(default_provider_id)
        else:
            problems.append(("provider", "缺少服务商名称", "provider is missing"))
        if code:
            seen.setdefault(code, []).append(number)
        if problems:
            preview.problems.extend(Problem(number, f, zh, en) for f, zh, en in problems)
            continue
        ent = enterprises[code]
        preview.valid.append(AssignmentRow(number, code, ent["id"], ent["name"], provider["id"], provider["name"]))
    # A code listed twice is ambiguous (which provider?): every occurrence is an error.
    for code, numbers in seen.items():
        if len(numbers) > 1:
            listed = "、".join(str(n) for n in numbers)
            preview.problems.extend(Problem(n, "credit_code", f"信用代码 {code} 在文件中重复出现（第 {listed} 行）",
                                            f"credit code {code} appears more than once (rows {listed})")
                                    for n in numbers)
    bad = {p.row for p in preview.problems}
    preview.valid = [r for r in preview.valid if r.row not in bad]
    preview.problems.sort(key=lambda p: p.row)
    return preview


def preview_file(db, filename: str, data: bytes, default_provider_id: int | None = None) -> AssignmentPreview:
    """Read and check an uploaded assignment file; a file that cannot be read is one problem on row 1."""
    from imports.sheets import SheetError, read_sheet

    try:
        sheet = read_sheet(filename, data)
    except SheetError as e:
        return AssignmentPreview(problems=[Problem(1, "file", e.zh, e.en)])
    return check_assignments(db, sheet.header, sheet.rows, default_provider_id)


def import_preview(db, identity, preview: AssignmentPreview, *, only_valid: bool = False) -> int:
    """Apply a checked file (all rows in one transaction); returns how many assignments changed.

    Refused, changing nothing, when the file itself is unusable, no row is valid, or some rows
    have problems and the user has not explicitly chosen to import only the valid rows.
    """
    from db.providers import assign_many

    if preview.file_problem or not preview.valid:
        raise NotClean("nothing valid to import")
    if preview.problems and not only_valid:
        raise NotClean(f"{preview.bad_rows} row(s) have problems")
    return assign_many(db, identity, [(r.enterprise_id, r.provider_id) for r in preview.valid])
