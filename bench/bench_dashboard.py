"""Province-scale timing of the bureau's maturity picture, against DuckDB, and of the answers export.

Usage: python bench/bench_dashboard.py [ENTERPRISES] [ASSESSMENTS] [ITEMS] [--postgres URL]
       (default 50000 150000 20; --postgres: also on PostgreSQL, in a database zb_bench_dashboard that the
       bench creates and drops on the server of URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)

Builds a fresh migrated SQLite database (temp dir) with ENTERPRISES enterprises over the 11
districts and 31 industry divisions and ASSESSMENTS submitted cmmm_full assessments (every
enterprise has one, the rest go to random enterprises as re-assessments), each with a current
self result (level drawn from CESI's 2022 distribution, domain.md §1.7: ≤1 63 %, 2 21 %, 3 12 %,
≥4 4 %), 20 sub-domain scores, a verified result for 20 %, and ITEMS answers each.

Prints:
- the dashboard computation (the db.stats aggregates and kpi.maturity steps the page runs on
  each view; the drill-down list only loads when a cell is chosen), cold (first run on a new
  connection: empty SQLite page cache; the OS file cache is warm, it cannot be dropped in the
  container) and warm (median of 5);
- DuckDB (in-memory, the same tables copied in) running the very same db.stats functions (same
  SQL) and Python steps, cold and warm, and the ratio SQLite / DuckDB;
- the long-format answers export (csv) time and peak memory (VmHWM of a child process that
  does only the export, and its value before the export started) and the row count;
- with --postgres, the same data built the same way in PostgreSQL, and the same dashboard (cold = first
  run on a new connection; the server's shared buffers are warm from the build) and export there.
Budget: ≤ 1 s cold, ≤ 200 ms warm, within 2× of DuckDB.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db.connection import forget_connections, get_db  # noqa: E402
from db.identity import Identity  # noqa: E402
from db.stats import (  # noqa: E402
    FILL_CELLS,
    FILL_CURRENT,
    FILL_SUMS,
    picture_cells,
    weakest_subdomains,
)  # noqa: E402
from kpi import maturity as mat  # noqa: E402
from zibo.reference import DISTRICTS, INDUSTRIES, with_check_character  # noqa: E402

BUREAU = Identity(1, "bench", "bureau", "bench")
Q = "cmmm_full"
LEVEL_WEIGHTS = {0: 20, 1: 43, 2: 21, 3: 12, 4: 3.5, 5: 0.5}  # percent, CESI 2022 with ≤1 and ≥4 split
SUBDOMAINS = [f"sd{i:02d}" for i in range(20)]
T0 = "2025-01-01T00:00:00.000000Z"


def build(path: str, enterprises: int, assessments: int, items: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    db = get_db(path)
    conn = db.conn
    districts, industries = list(DISTRICTS), list(INDUSTRIES)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO enterprises (id, credit_code, name, district, industry_code, above_scale, created_at) "
        "VALUES (?,?,?,?,?,1,?)",
        ((i, with_check_character(f"91370303MA{i:07d}"), f"合成企业{i:05d}", rng.choice(districts),
          rng.choice(industries), T0) for i in range(1, enterprises + 1)))
    owners = list(range(1, enterprises + 1)) + [rng.randint(1, enterprises) for _ in range(assessments - enterprises)]
    owners.sort()  # each enterprise's assessments get increasing ids: the latest is its last one
    levels, weights = list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values())
    assessment_rows, result_rows, sub_rows = [], [], []
    result_id = 0
    for aid, owner in enumerate(owners, start=1):
        verified = rng.random() < 0.2
        assessment_rows.append((aid, owner, Q, "1", "verified" if verified else "submitted", T0, T0, T0))
        for kind in ("self", "verified") if verified else ("self",):
            result_id += 1
            level = rng.choices(levels, weights)[0]
            result_rows.append((result_id, aid, kind, Q, "1", "cmmm", "b1", T0, 1, float(level), level, "{}"))
            sub_rows.extend((result_id, sd, round(max(0.0, min(5.0, rng.gauss(level, 0.8))), 4)) for sd in SUBDOMAINS)
    conn.executemany("INSERT INTO assessments (id, enterprise_id, questionnaire_id, questionnaire_version, status, "
                     "created_at, updated_at, submitted_at) VALUES (?,?,?,?,?,?,?,?)", assessment_rows)
    conn.executemany("INSERT INTO results (id, assessment_id, kind, questionnaire_id, questionnaire_version, "
                     "scoring_method, scoring_version, computed_at, is_current, score, level, detail) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", result_rows)
    conn.executemany("INSERT INTO result_subdomains (result_id, subdomain, score) VALUES (?,?,?)", sub_rows)
    del assessment_rows, result_rows, sub_rows
    conn.executemany("INSERT INTO answers (assessment_id, item_id, value, rev, updated_at) VALUES (?,?,?,?,?)",
                     ((aid, f"q{j:03d}", str(rng.randint(0, 3)), 1, T0)
                      for aid in range(1, assessments + 1) for j in range(items)))
    conn.execute(FILL_CURRENT.format(where=""))  # as store_result keeps them, row by row
    conn.execute(FILL_SUMS)
    conn.execute(FILL_CELLS)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    forget_connections()
    from db.postgres import close_pools

    close_pools()  # PostgreSQL: the timed runs start on new connections


def dashboard(db) -> tuple:
    """What the page computes on each view (db.stats + kpi.maturity), on either engine."""
    cells = picture_cells(db, BUREAU, Q)
    counts = mat.level_counts(cells)
    return (counts, mat.level_counts_by(cells, "district", keys=DISTRICTS), mat.level_counts_by(cells, "industry_code"),
            mat.verified_count(cells), mat.tier_candidates(counts), mat.transitions(cells),
            [w["subdomain"] for w in weakest_subdomains(db, BUREAU, Q)][:5])


class DuckAsDb:
    """Just enough of sqlite_utils.Database (execute, query) for db.stats to run the same SQL on DuckDB."""

    def __init__(self, duck):
        self.duck = duck

    def execute(self, sql: str, params=()):
        return self.duck.execute(sql, list(params))

    def query(self, sql: str, params=()):
        cursor = self.duck.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return (dict(zip(names, row, strict=True)) for row in cursor.fetchall())


def engine_dashboard(location: str) -> tuple:
    """The dashboard through the app's own connection (a SQLite path or a PostgreSQL URL)."""
    return dashboard(get_db(location))


def postgres_database(server_url: str) -> str:
    """A new, empty database zb_bench_dashboard on the server of ``server_url``; returns its URL."""
    import psycopg

    from db.postgres import libpq_url

    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS zb_bench_dashboard WITH (FORCE)")
        conn.execute("CREATE DATABASE zb_bench_dashboard")
    return server_url.rpartition("/")[0] + "/zb_bench_dashboard"


def drop_postgres_database(server_url: str) -> None:
    import psycopg

    from db.postgres import close_pools, libpq_url

    close_pools()
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS zb_bench_dashboard WITH (FORCE)")


def timed(fn, runs: int = 5) -> tuple[float, float, object]:
    start = time.perf_counter()
    first = fn()
    cold = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return cold, statistics.median(times), first


def duckdb_connection(path: str):
    import sqlite3

    import duckdb
    import pandas as pd

    source = sqlite3.connect(path)
    duck = duckdb.connect()
    for table, columns in [("enterprises", "id, name, credit_code, district, industry_code"),
                           ("assessments", "id, enterprise_id, questionnaire_id, questionnaire_version, status, "
                                           "submitted_at, verified_at"),
                           ("results", "id, assessment_id, kind, is_current, score, level, scoring_version"),
                           ("result_subdomains", "result_id, subdomain, score"),
                           ("maturity_current", "*"), ("subdomain_sums", "*"),
                           ("level_cells", "*")]:
        frame = pd.read_sql_query(f"SELECT {columns} FROM {table}", source)  # noqa: F841 (read by duckdb)
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
    source.close()
    return duck


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux carries the parent's peak over exec."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def export_child(path: str) -> None:
    """Only the export, in its own process, so ru_maxrss is the export's peak."""
    from db.exports import count_answer_rows, iter_answer_rows
    from exports.answers import write_csv
    from ui.i18n import STRINGS

    def label(key, **kw):
        return STRINGS[key][0].format(**kw) if kw else STRINGS[key][0]

    db = get_db(path)
    baseline = peak_mib()  # interpreter, streamlit (via i18n), openpyxl, the connection
    start = time.perf_counter()
    total = count_answer_rows(db, BUREAU, Q)
    out = write_csv(iter_answer_rows(db, BUREAU, Q), label, total)
    elapsed = time.perf_counter() - start
    size = os.path.getsize(out)
    os.unlink(out)
    peak = peak_mib()
    print(json.dumps({"rows": total, "seconds": elapsed, "peak_mib": peak, "baseline_mib": baseline, "bytes": size}))


def export_figures(location: str) -> dict:
    child = subprocess.run([sys.executable, __file__, "--export-only", location], capture_output=True, text=True,
                           check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def print_export(engine: str, export: dict) -> None:
    print(f"{engine} answers export (csv): {export['rows']:,} rows, {export['bytes'] / 1_048_576:.0f} MiB in "
          f"{export['seconds']:.1f} s, peak memory {export['peak_mib']:.0f} MiB (whole process; "
          f"{export['baseline_mib']:.0f} MiB before the export started)")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--export-only":
        export_child(sys.argv[2])
        return
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="ENTERPRISES ASSESSMENTS ITEMS")
    parser.add_argument("--postgres", metavar="URL", help="also measure on the PostgreSQL server of URL")
    args = parser.parse_args()
    enterprises, assessments, items = (args.sizes + [50000, 150000, 20][len(args.sizes):])[:3]
    work = tempfile.mkdtemp(prefix="bench_dashboard_")
    path = os.path.join(work, "bench.db")
    start = time.perf_counter()
    build(path, enterprises, assessments, items)
    print(f"built {enterprises:,} enterprises, {assessments:,} assessments, {items} answers each "
          f"in {time.perf_counter() - start:.1f} s ({os.path.getsize(path) / 1_048_576:.0f} MiB)")

    s_cold, s_warm, s_result = timed(lambda: engine_dashboard(path))
    counts = s_result[0]
    total = sum(counts.values())
    print("levels:", {lv: f"{100 * counts[lv] / total:.1f} %" for lv in mat.LEVELS})
    print(f"SQLite dashboard: cold {s_cold * 1000:.0f} ms, warm {s_warm * 1000:.0f} ms "
          f"(budget ≤ 1000 / ≤ 200 ms)")

    start = time.perf_counter()
    duck = duckdb_connection(path)
    print(f"DuckDB: tables copied in {time.perf_counter() - start:.1f} s (not counted)")

    d_cold, d_warm, d_result = timed(lambda: dashboard(DuckAsDb(duck)))
    assert d_result == s_result, "the two engines disagree"
    print(f"DuckDB dashboard: cold {d_cold * 1000:.0f} ms, warm {d_warm * 1000:.0f} ms")
    print(f"ratio SQLite / DuckDB: cold {s_cold / d_cold:.2f}×, warm {s_warm / d_warm:.2f}× (budget ≤ 2×)")
    print_export("SQLite", export_figures(path))
    os.unlink(path)

    if args.postgres:
        url = postgres_database(args.postgres)
        try:
            start = time.perf_counter()
            build(url, enterprises, assessments, items)
            print(f"PostgreSQL: built the same data in {time.perf_counter() - start:.1f} s")
            p_cold, p_warm, p_result = timed(lambda: engine_dashboard(url))
            assert p_result == s_result, "PostgreSQL and SQLite disagree"
            print(f"PostgreSQL dashboard: cold {p_cold * 1000:.0f} ms, warm {p_warm * 1000:.0f} ms "
                  f"(budget ≤ 1000 / ≤ 200 ms)")
            print(f"ratio PostgreSQL / DuckDB: cold {p_cold / d_cold:.2f}×, warm {p_warm / d_warm:.2f}× (budget ≤ 2×)")
            print_export("PostgreSQL", export_figures(url))
        finally:
            drop_postgres_database(args.postgres)


if __name__ == "__main__":
    main()
