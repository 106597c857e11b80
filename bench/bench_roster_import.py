"""Time checking and importing a synthetic roster (default 20,000 rows) into a fresh database.

Usage: python bench/bench_roster_import.py [ROWS]
Prints the time to write the csv, check it (imports.roster.preview_file) and import it
(db.roster.replace_roster, one transaction, chunked executemany), then re-import it
(replacing the year), and the KPI computation over the imported roster.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db.connection import get_db  # noqa: E402
from db.identity import Identity  # noqa: E402
from db.kpi import adoption_rows  # noqa: E402
from imports.roster import import_preview, preview_file  # noqa: E402
from kpi import adoption as kpi  # noqa: E402
from zibo.reference import DISTRICTS, INDUSTRIES, with_check_character  # noqa: E402

BUREAU = Identity(1, "bench", "bureau", "bench")


def synthetic_csv(rows: int, seed: int = 2025) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["统一社会信用代码", "企业名称", "所属区县", "行业大类", "营业收入（万元）", "从业人员"])
    districts = [zh for zh, _ in DISTRICTS.values()]
    for i in range(rows):
        code = with_check_character(f"91370303MA{i:07d}")
        writer.writerow([code, f"淄博合成企业{i:05d}有限公司", rng.choice(districts), rng.choice(list(INDUSTRIES)),
                         rng.randint(2000, 500000), rng.randint(20, 3000)])
    return out.getvalue().encode("utf-8-sig")


def main(rows: int = 20_000) -> None:
    t0 = time.perf_counter()
    data = synthetic_csv(rows)
    t1 = time.perf_counter()
    preview = preview_file("roster.csv", data)
    t2 = time.perf_counter()
    assert preview.clean and len(preview.valid) == rows, preview.problems[:3]
    with tempfile.TemporaryDirectory() as tmp:
        db = get_db(str(Path(tmp) / "bench.db"))
        t3 = time.perf_counter()
        import_preview(db, BUREAU, 2025, preview)
        t4 = time.perf_counter()
        counts = import_preview(db, BUREAU, 2025, preview)
        t5 = time.perf_counter()
        tally = kpi.tally(adoption_rows(db, BUREAU, 2025))
        kpi.by_district(adoption_rows(db, BUREAU, 2025))
        kpi.trend(adoption_rows(db, BUREAU, 2025), kpi.quarter_of_date(date.today()))
        t6 = time.perf_counter()
        db.conn.close()
    print(f"rows: {rows:,} ({len(data) / 1e6:.1f} MB csv)")
    print(f"generate csv:       {t1 - t0:6.2f} s (not part of the import)")
    print(f"check (preview):    {t2 - t1:6.2f} s")
    print(f"import (new year):  {t4 - t3:6.2f} s")
    print(f"re-import (replace):{t5 - t4:6.2f} s  old {counts['old']:,} -> new {counts['new']:,}")
    print(f"check + import:     {t2 - t1 + t4 - t3:6.2f} s")
    print(f"KPI (3 reads + city, district, trend): {t6 - t5:6.2f} s  roster {tally.roster:,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
