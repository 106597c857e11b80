"""Read the first sheet of an xlsx file or a csv file into rows numbered as the spreadsheet shows them.

CSV encodings: UTF-8 with or without a BOM, and GBK/GB18030 (what Excel and WPS save as "CSV" on a
Chinese Windows). Anything else is refused with a message; we never guess beyond these.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


class SheetError(Exception):
    """The file cannot be read as a table; ``zh``/``en`` say why."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as in the spreadsheet, cell texts)
    encoding: str  # "xlsx", "utf-8-sig", "utf-8" or "gb18030"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 26.0 typed as a number in Excel means "26"
    return str(value).strip()


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of csv bytes; SheetError when it is neither UTF-8 nor GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise SheetError("无法识别文件编码：请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”或 xlsx 格式后再上传。",
                         "Unknown encoding: save the file as CSV UTF-8 or xlsx and upload it again.") from None


def _table(records: list[list[str]], encoding: str) -> Sheet:
    numbered = [(i, [_cell_text(c) for c in rec]) for i, rec in enumerate(records, start=1)]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered:
        raise SheetError("文件为空：没有表头和数据行。", "The file is empty.")
    (_, header), *rows = numbered
    return Sheet(header=header, rows=rows, encoding=encoding)


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The table in an uploaded file (.xlsx or .csv, by file name)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many types for a damaged file
            raise SheetError("无法读取该 xlsx 文件，文件可能已损坏。", "The xlsx file cannot be read.") from None
        try:
            records = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
        return _table(records, "xlsx")
    if name.endswith(".csv"):
        text, encoding = decode_csv(data)
        return _table(list(csv.reader(io.StringIO(text, newline=""))), encoding)
    raise SheetError("只支持 xlsx 或 csv 文件。", "Only xlsx or csv files are accepted.")
