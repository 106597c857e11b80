"""Benchmark `manage.py rescore` on a synthetic SQLite database of full cmmm assessments.

Usage: python bench/bench_rescore.py [N] [--db PATH] [--batch-size B] [--workers W]
       (default 150,000 assessments in /tmp/zb_bench_rescore_N.db, batches of 1,000, manage.rescore's workers)

The database is built once straight through SQL (every scored item answered, per-assessment
maturity so all levels occur, types mixed, one in ten with a not-applicable sub-domain, the answers
snapshot in the form submit writes, and a current result under an old scoring version "2024.0" so
that every assessment is re-scored) and reused by later runs after resetting the results, audit
entries and summary tables. Printed:

- project: ``manage.rescore`` — batched reads, ``scoring.score`` with the explained result, new
  results, summary tables and audit entries written, one transaction per batch; wall time, CPU time
  (this process and its workers), load average, and peak memory (RSS growth during the run, from
  resource.getrusage);
- numpy only: the same batched reads of the same answers, S and level computed in NumPy for the
  whole batch (bench_scoring.NumpyFloor) and written to a temporary table; no explanation, no audit;
- the ratio, and the target of ≤ 60 s for 150,000 on this 2-core machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

OLD_VERSION = "2024.0"
TARGET_SECONDS = 60.0
TARGET_N = 150_000
T0 = "2026-01-01T00:00:00.000000Z"
# 20 buckets from low to high answers; an assessment's maturity shifts which buckets its random draws hit
BUCKETS = ["not_met", "partly_met", "partly_met", "largely_met", "largely_met", "largely_met",
           *["fully_met"] * 14]


def build(path: str, n: int) -> None:
    """Create the synthetic database (all in SQL; a few minutes for 150,000 on this machine)."""
    from db.connection import get_db
    from questionnaires import registry

    q = registry.get("cmmm_full", "1")
    items = [qid for qid, x in q.questions.items() if x.type == "scale4"]
    db = get_db(path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    # Three assessments per enterprise, as after three yearly rounds: the bureau's summary tables are
    # kept per enterprise, so one enterprise owning everything would be an unrealistic worst case.
    conn.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
                 "INSERT INTO enterprises (id, credit_code, name, district, industry_code, created_at) "
                 "SELECT i, 'BENCH' || i, '基准企业' || i, 'zhangdian', '26', ? FROM c", [(n + 2) // 3, T0])
    conn.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
                 "INSERT INTO assessments (id, enterprise_id, questionnaire_id, questionnaire_version, status, "
                 "created_at, submitted_at) SELECT i, (i + 2) / 3, 'cmmm_full', '1', 'submitted', ?, ? FROM c",
                 [n, T0, T0])
    conn.execute("INSERT INTO answers (assessment_id, item_id, value, na_reason, rev, updated_at) "
                 "SELECT id, 'manufacturing_type', json_quote(CASE id % 3 WHEN 0 THEN 'discrete' WHEN 1 THEN 'process' "
                 "ELSE 'mixed' END), NULL, 1, ? FROM assessments", [T0])
    conn.execute("INSERT INTO answers (assessment_id, item_id, value, na_reason, rev, updated_at) "
                 "SELECT a.id, j.value, json_quote(json_extract(?, '$[' || min(19, abs(random()) % 20 + (a.id * 7919) % 8)"
                 " || ']')), NULL, 1, ? FROM assessments a, json_each(?) j", [json.dumps(BUCKETS), T0, json.dumps(items)])
    conn.execute("INSERT INTO answers (assessment_id, item_id, value, na_reason, rev, updated_at) "
                 "SELECT id, 'product_service', NULL, '本企业无此业务', 1, ? FROM assessments WHERE id % 10 = 0", [T0])
    # What submitting writes beside the answer rows (db.assessments.submit): the answers as one JSON text.
    conn.execute("UPDATE assessments SET submitted_answers = (SELECT json_object("
                 "'answers', coalesce(json_group_object(x.item_id, json(x.value)) "
                 "FILTER (WHERE x.na_reason IS NULL AND x.value IS NOT NULL), json_object()), "
                 "'na', coalesce(json_group_object(x.item_id, x.na_reason) FILTER (WHERE x.na_reason IS NOT NULL), "
                 "json_object())) FROM answers x WHERE x.assessment_id = assessments.id)")
    # ... in the form submit stores it (db.assessments.snapshot_text: values in question order)
    from db.assessments import snapshot_text

    last = 0
    while True:
        rows = conn.execute("SELECT id, submitted_answers FROM assessments WHERE id > ? ORDER BY id LIMIT 5000",
                            [last]).fetchall()
        if not rows:
            break
        packed = []
        for aid, text in rows:
            data = json.loads(text)
            packed.append((snapshot_text("cmmm_full", "1", data["answers"], data["na"]), aid))
        conn.executemany("UPDATE assessments SET submitted_answers = ? WHERE id = ?", packed)
        last = rows[-1][0]
    conn.execute("INSERT INTO results (assessment_id, kind, questionnaire_id, questionnaire_version, scoring_method, "
                 "scoring_version, computed_at, is_current, score, level, detail) "
                 f"SELECT id, 'self', 'cmmm_full', '1', 'cmmm', '{OLD_VERSION}', ?, 1, 0, 0, '{{}}' FROM assessments", [T0])
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def reset(db) -> None:
    """Back to the state before a rescore: only the old results, current; no audit entries; the
    bureau's summary tables rebuilt from those results (as migration m050 fills them)."""
    from db.stats import rebuild_summaries

    # The audit log is append-only (triggers of migration m070); this synthetic database alone has its
    # triggers lifted for the reset and put back exactly as they were.
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
                          ).fetchall()
    with db.conn:
        db.execute("DELETE FROM result_subdomains WHERE result_id IN (SELECT id FROM results "
                   "WHERE scoring_version <> ?)", [OLD_VERSION])
        db.execute("DELETE FROM results WHERE scoring_version <> ?", [OLD_VERSION])
        db.execute("UPDATE results SET is_current = 1 WHERE is_current = 0")
        for name, _ in triggers:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DELETE FROM audit_log")
        for _, sql in triggers:
            db.execute(sql)
        rebuild_summaries(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def numpy_rescore(db, batch_size: int) -> tuple[float, int]:
    """The same reads, S and level per batch in NumPy, written to a temporary table. Returns (seconds, n)."""
    from bench_scoring import NumpyFloor

    from db.assessments import answers_for_scoring_many, scoring_batches
    from questionnaires import registry

    floor = NumpyFloor(registry.get("cmmm_full", "1"))
    db.execute("CREATE TEMP TABLE IF NOT EXISTS numpy_scores (assessment_id INTEGER, score REAL, level INTEGER)")
    db.execute("DELETE FROM numpy_scores")
    started, n = time.perf_counter(), 0
    for batch in scoring_batches(db, "cmmm_full", batch_size):
        inputs = answers_for_scoring_many(db, [a["id"] for a in batch])
        assessments = [inputs[a["id"]] for a in batch]
        total, level = floor.compute(*floor.encode(assessments))
        with db.conn:
            db.conn.executemany("INSERT INTO numpy_scores VALUES (?,?,?)",
                                zip([a["id"] for a in batch], total.tolist(), level.tolist()))
        n += len(batch)
    return time.perf_counter() - started, n


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (rescore workers), user + system."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))


def rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: kB


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=TARGET_N)
    parser.add_argument("--db")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="manage.rescore's workers (default: its default)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = args.db or f"/tmp/zb_bench_rescore_{args.n}.db"
    if args.build_only:
        build(path, args.n)
        return 0

    import sqlite3

    def existing() -> int:
        try:
            with sqlite3.connect(path) as c:
                return c.execute("SELECT count(*) FROM assessments").fetchone()[0]
        except sqlite3.Error:
            return -1

    if existing() != args.n:
        Path(path).unlink(missing_ok=True)
        t = time.perf_counter()
        # built in a child process so that its memory does not count in this one's peak
        subprocess.run([sys.executable, __file__, str(args.n), "--db", path, "--build-only"], check=True)
        print(f"built {path} with {args.n:,} assessments in {time.perf_counter() - t:.0f} s", file=sys.stderr)

    from db.connection import get_db
    from manage import rescore

    db = get_db(path)
    reset(db)
    answers = db.execute("SELECT count(*) FROM answers").fetchone()[0]

    load_before = f"{os.getloadavg()[0]:.2f}"
    t_numpy, n_numpy = numpy_rescore(db, args.batch_size)
    rss_before = rss_mb()
    cpu_before = cpu_seconds()
    t = time.perf_counter()
    more = {} if args.workers is None else {"workers": args.workers}
    counts = rescore(db, "cmmm_full", batch_size=args.batch_size, progress=sys.stderr, **more)
    t_project = time.perf_counter() - t
    cpu_project = cpu_seconds() - cpu_before
    rss_growth = rss_mb() - rss_before

    # the two agree on every score and level
    disagree = db.execute(
        "SELECT count(*) FROM results r JOIN numpy_scores n ON n.assessment_id = r.assessment_id "
        "WHERE r.is_current = 1 AND (abs(r.score - n.score) > 1e-9 OR r.level <> n.level)").fetchone()[0]
    levels = [db.execute("SELECT count(*) FROM results WHERE is_current = 1 AND level = ?", [lv]).fetchone()[0]
              for lv in range(6)]
    size_mb = Path(path).stat().st_size / 2**20

    out = io.StringIO()
    print(f"{args.n:,} submitted cmmm_full assessments, {answers:,} answer rows, database {size_mb:,.0f} MB; "
          f"batches of {args.batch_size:,}; workers {args.workers or 'default'}; "
          f"load average before/after {load_before}/{os.getloadavg()[0]:.2f}", file=out)
    print(f"re-scored {counts['rescored']:,}; levels 0..5 = {levels}; "
          f"project vs numpy: {disagree} disagreements", file=out)
    print(file=out)
    print(f"{'method':<44}{'total s':>9}{'µs/assessment':>15}{'ratio':>8}", file=out)
    for name, seconds, n in (("project  manage.rescore (results + audit)", t_project, counts["rescored"]),
                             ("numpy only (same reads, S and level)", t_numpy, n_numpy)):
        print(f"{name:<44}{seconds:>9.1f}{1e6 * seconds / max(n, 1):>15.0f}{seconds / t_numpy:>8.2f}", file=out)
    print(f"\nCPU time of the rescore (this process and its workers): {cpu_project:.1f} s "
          f"({1e6 * cpu_project / max(counts['rescored'], 1):.0f} µs/assessment); on a shared machine the wall time "
          "above also holds the time other processes had the cores", file=out)
    print(f"peak memory growth during rescore: {rss_growth:.0f} MB (max RSS {rss_mb():.0f} MB; "
          f"largest child process, i.e. a rescore worker or the builder: {rss_mb(resource.RUSAGE_CHILDREN):.0f} MB)",
          file=out)
    scaled = t_project * TARGET_N / max(args.n, 1)
    print(f"target: {TARGET_N:,} in ≤ {TARGET_SECONDS:.0f} s -> {scaled:.1f} s"
          f"{'' if args.n == TARGET_N else ' (scaled from this run)'} "
          f"{'OK' if scaled <= TARGET_SECONDS else 'OVER'}", file=out)
    print(out.getvalue(), end="")
    return 0 if disagree == 0 and counts["rescored"] == args.n else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
