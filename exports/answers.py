"""Write the long-format answers export (db.exports) to a temporary csv (UTF-8 with BOM) or xlsx file.

Rows are converted and written one at a time (openpyxl write_only for xlsx), so memory stays
bounded however many assessments there are; ``progress(done, total)`` is called every batch.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from db.exports import COLUMNS, plain_value
from zibo.reference import district_label

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROGRESS_EVERY = 5000
SHEET_ROWS = 1_000_000
TIME_COLUMNS = {"submitted_at", "verified_at", "answered_at"}


def shanghai(utc_iso: str | None) -> str:
    """A stored UTC time as Asia/Shanghai local time, to the second ("" when absent)."""
    if not utc_iso:
        return ""
    return datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def convert(row: tuple, label: Callable[..., str], lang: str = "zh") -> list:
    """One database row as shown in the export: local times, labels for district, status and result kind."""
    out = []
    for column, value in zip(COLUMNS, row, strict=True):
        if column in TIME_COLUMNS:
            value = shanghai(value)
        elif column == "district":
            value = district_label(value, lang)
        elif column == "status":
            value = label(f"city_status_{value}")
        elif column == "result_kind":
            value = label(f"city_basis_{value}") if value else ""
        elif column == "value":
            value = plain_value(value)
        elif value is None:
            value = ""
        out.append(value)
    return out


def headers(label: Callable[..., str]) -> list[str]:
    return [label(f"city_exp_{c}") for c in COLUMNS]


def write_csv(rows: Iterable[tuple], label, total: int, progress=None, lang: str = "zh") -> str:
    """Write the export to a temporary .csv (UTF-8 with BOM); returns its path (the caller deletes it)."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8-sig", newline="", delete=False)
    with handle:
        writer = csv.writer(handle)
        writer.writerow(headers(label))
        for done, row in enumerate(rows, start=1):
            writer.writerow(convert(row, label, lang))
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)
    if progress:
        progress(total, total)
    return handle.name


def write_xlsx(rows: Iterable[tuple], label, total: int, progress=None, lang: str = "zh") -> str:
    """Write the export to a temporary .xlsx with openpyxl's write-only mode; returns its path."""
    book = Workbook(write_only=True)
    sheet = None
    for done, row in enumerate(rows, start=1):
        if (done - 1) % SHEET_ROWS == 0:  # Excel holds 1,048,576 rows per sheet: continue on a new one
            sheet = book.create_sheet(label("city_exp_sheet", n=(done - 1) // SHEET_ROWS + 1))
            sheet.append(headers(label))
        sheet.append(convert(row, label, lang))
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)
    if sheet is None:
        book.create_sheet(label("city_exp_sheet", n=1)).append(headers(label))
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    book.save(handle.name)
    if progress:
        progress(total, total)
    return handle.name
