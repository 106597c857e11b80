"""Table exports: csv with a UTF-8 BOM (opens correctly in Excel and WPS) and xlsx."""

from __future__ import annotations

import io

import pandas as pd


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as csv, UTF-8 with a BOM, headers as shown."""
    return table.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """The table as an xlsx workbook with one sheet (sheet names are cut to Excel's 31 characters)."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet[:31], index=False)
    return out.getvalue()
