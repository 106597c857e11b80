"""50 concurrent writers saving answers through the real write path; latency, errors and lost writes.

    python3 bench/bench_writers.py [--writers 50] [--seconds 20] [--processes 1] [--think-ms 0] [--variant current]
                                   [--database-url postgresql+psycopg://user@host:port/db]

Each writer is a thread with its own connection (as a Streamlit rerun has), signed in as
its own enterprise user (a real session token, so every save re-checks the session inside its
transaction) and saves answers to its own open assessment of the full questionnaire with
``db.assessments.save_answer`` — the function the fill page calls. ``--processes P`` spreads the
writers over P processes on the same database, as several app processes behind nginx do.

Engines: SQLite by default (a new file in a temp dir, or ``--db``). With ``--database-url`` (or
$ZB_DATABASE_URL) the bench runs on PostgreSQL: it creates a NEW database ``zb_bench_…`` on that
server (the URL's own database is only used to connect; nothing is written into it), migrates it,
and drops it at the end unless ``--keep``.

Reported: saves, throughput, p50/p95/p99/max latency of one save, errors (any exception or any
outcome other than "saved"), and lost writes: afterwards every item's stored revision must equal
the number of saves acknowledged for it and hold the last acknowledged value. Budget (issue 8 §5):
p95 ≤ 20 ms, p99 ≤ 100 ms, zero errors, zero lost writes; the exit status is 1 when it is missed.

``--variant`` measures alternatives of the write transaction side by side, without changing the app.
SQLite (db/connection.py ``write_txn``): ``current`` (the code as it is), ``busy-only`` (the landed
code: no process lock, no retry, only SQLite's 10 s busy handler), ``retry-only`` (jittered BEGIN
IMMEDIATE retry, no process lock), ``lock-only`` (process lock, SQLite's busy handler across
processes). PostgreSQL (db/postgres.py ``write_transaction``): ``current`` (the code as it is: since
3 Dec 2026 what ``shared-row-lock`` below measured), ``global-lock`` (the first PostgreSQL version: one
advisory lock, every write transaction of the database runs alone, SQLite's semantics), ``lean-lock`` (that lock,
with lock_timeout set once per connection instead of two SET LOCAL round trips inside it), ``enterprise-lock``
(``pg_advisory_xact_lock(2, enterprise_id)``: saves of one enterprise run one at a time, different
enterprises in parallel), ``row-lock`` (READ COMMITTED, ``SELECT … FOR UPDATE`` of the assessment row
first: saves to one assessment run one at a time), ``shared-row-lock`` (the row lock, plus the one
advisory lock taken in SHARED mode, so that every other write, taking it exclusively as now, still
runs alone). The scoped PostgreSQL variants are correct for ``save_answer`` only — everything it
reads and checks belongs to that assessment; ``shared-row-lock`` is what the app now does for it
(``write_txn(db, assessment=…)``), the others stay bench variants (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONNAIRE = "cmmm_full"
BUDGET_P95_MS = 20.0
BUDGET_P99_MS = 100.0
SQLITE_VARIANTS = ("current", "busy-only", "retry-only", "lock-only")
POSTGRES_VARIANTS = ("current", "global-lock", "lean-lock", "enterprise-lock", "row-lock", "shared-row-lock")


def is_url(location: str) -> bool:
    return location.startswith(("postgresql:", "postgresql+", "postgres:"))


def use_location(location: str) -> None:
    """Point this process's app configuration at the bench database (a file path or a PostgreSQL URL)."""
    os.environ["ZB_DEMO"] = "1"
    if is_url(location):
        os.environ["ZB_DATABASE_URL"] = location
    else:
        os.environ.pop("ZB_DATABASE_URL", None)
        os.environ["ZB_DB_PATH"] = location


def _admin(server_url: str, sql: str) -> None:
    import psycopg

    from db.postgres import libpq_url

    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(sql)


def create_pg_database(server_url: str, prefix: str = "zb_bench") -> str:
    """A new, empty database on the server of ``server_url``; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{int(time.time())}"
    _admin(server_url, f"CREATE DATABASE {name}")
    return f"{server_url.rpartition('/')[0]}/{name}"


def drop_pg_database(server_url: str, url: str) -> None:
    from db.postgres import close_pools

    close_pools()
    _admin(server_url, f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")


def engine_settings(location: str) -> str:
    """What makes a commit durable on this engine, for the report."""
    if not is_url(location):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}, synchronous=FULL, WAL"
    import psycopg

    from db.postgres import libpq_url

    with psycopg.connect(libpq_url(location)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        fsync, sync_commit, method = (conn.execute(f"SHOW {name}").fetchone()[0]
                                      for name in ("fsync", "synchronous_commit", "wal_sync_method"))
    return f"PostgreSQL {version.split()[0]}, fsync={fsync}, synchronous_commit={sync_commit}, wal_sync_method={method}"


def choice_items() -> list[tuple[str, tuple[str, ...]]]:
    """(item id, answer values) of every scale and single-choice question of the full questionnaire (243)."""
    from questionnaires import registry
    from questionnaires.answers import SCALE4

    q = registry.latest(QUESTIONNAIRE)
    return [(qq.id, tuple(SCALE4) if qq.type == "scale4" else qq.option_ids)
            for s in q.sections for qq in s.questions if qq.type == "scale4" or len(qq.option_ids) >= 2]


def prepare(path: str, writers: int) -> list[tuple[str, int]]:
    """A demo-mode database with one enterprise, user, session and open assessment per writer.

    ``path`` is a SQLite file or a PostgreSQL URL. Returns (session token, assessment id) per writer.
    """
    use_location(path)
    from db import users
    from db.assessments import start_assessment
    from db.connection import write_txn
    from db.enterprises import create_enterprise
    from questionnaires import registry
    from startup.bootstrap import ensure_ready
    from startup.demo import demo_credit_code

    db = ensure_ready(path)
    q = registry.latest(QUESTIONNAIRE)
    out = []
    for i in range(writers):
        with write_txn(db):
            eid = create_enterprise(db, demo_credit_code("zhangdian", f"MA3C{i:05d}"), f"压测企业{i}（演示）",
                                    "zhangdian", "26", is_demo=True, production_type="discrete", employees=100,
                                    revenue_wan="1000", contact_name="测试", contact_phone="0533-2180001")
            uid = users.create_user(db, f"bench{i}", "bench-password-1", "enterprise", f"压测{i}",
                                    enterprise_id=eid, is_demo=True)
            token = users.open_session(db, users.Identity(uid, f"bench{i}", "enterprise", enterprise_id=eid))
        identity = users.resume_session(db, token, users.idle_minutes())
        aid, _ = start_assessment(db, identity, q.id, q.version)
        out.append((token, aid))
    return out


# The enterprise and assessment the running thread saves to: what a scoped lock would be told by save_answer.
_scope = threading.local()


def _scoped_write_transaction(variant: str):
    """db.postgres.write_transaction with the lock taken another way (bench only)."""
    import psycopg

    from db.postgres import WRITE_LOCK_KEY, DatabaseBusy

    @contextlib.contextmanager
    def write_transaction(db, wait_s: float, assessment: int | None = None):
        raw = db.raw
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with raw.transaction():
                yield db
            return
        if variant == "lean-lock":
            # The same one lock, two round trips fewer inside it: lock_timeout set once per connection.
            if getattr(raw, "_bench_lock_timeout", None) != wait_s:
                raw.execute(f"SET lock_timeout = '{int(wait_s * 1000)}ms'")
                raw._bench_lock_timeout = wait_s
            with raw.transaction():
                try:
                    raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
                except psycopg.errors.LockNotAvailable as exc:
                    raise DatabaseBusy("database is locked (writers queued too long)") from exc
                yield db
            return
        with raw.transaction():
            raw.execute(f"SET LOCAL lock_timeout = '{int(wait_s * 1000)}ms'")
            try:
                if variant == "global-lock":
                    raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
                elif variant == "enterprise-lock":
                    raw.execute("SELECT pg_advisory_xact_lock(2, %s)", [_scope.enterprise_id])
                else:  # row-lock, shared-row-lock
                    if variant == "shared-row-lock":
                        # The one write lock in shared mode: unscoped writers (exclusive) still run alone.
                        raw.execute("SELECT pg_advisory_xact_lock_shared(%s)", [WRITE_LOCK_KEY])
                    raw.execute("SELECT id FROM assessments WHERE id = %s FOR UPDATE", [_scope.assessment_id])
            except psycopg.errors.LockNotAvailable as exc:
                raise DatabaseBusy("database is locked (writers queued too long)") from exc
            raw.execute("SET LOCAL lock_timeout = 0")
            yield db

    return write_transaction


def apply_variant(variant: str, location: str) -> None:
    if is_url(location):
        if variant not in POSTGRES_VARIANTS:
            raise SystemExit(f"variant {variant} is a SQLite one; on PostgreSQL: {', '.join(POSTGRES_VARIANTS)}")
        if variant != "current":
            from db import postgres

            postgres.write_transaction = _scoped_write_transaction(variant)
        return
    if variant not in SQLITE_VARIANTS:
        raise SystemExit(f"variant {variant} is a PostgreSQL one; on SQLite: {', '.join(SQLITE_VARIANTS)}")
    from db import connection

    if variant in ("busy-only", "retry-only"):
        connection.PROCESS_WRITE_LOCK = False
    if variant in ("busy-only", "lock-only"):
        connection.BEGIN_RETRY = False


def run_writers(path: str, sessions: list[tuple[str, int]], seconds: float, variant: str, start_at: float,
                think: float = 0.0):
    """Run one thread per session until the deadline; returns (latencies, errors, acknowledged, late starts)."""
    use_location(path)
    apply_variant(variant, path)
    from db import users
    from db.assessments import save_answer
    from db.connection import forget_connections, get_db

    items = choice_items()
    latencies: list[float] = []
    errors: Counter = Counter()
    acknowledged: dict[tuple[int, str], tuple[int, str]] = {}  # (assessment, item) -> (saves, last value)
    late = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions))

    def writer(k: int, token: str, aid: int) -> None:
        db = get_db(path)
        identity = users.resume_session(db, token, users.idle_minutes())
        _scope.enterprise_id, _scope.assessment_id = identity.enterprise_id, aid
        mine_lat, mine_err, revs, last = [], Counter(), {}, {}
        barrier.wait()
        if time.time() > start_at:
            late.append(time.time() - start_at)
        while time.time() < start_at:
            time.sleep(0.001)
        deadline = start_at + seconds
        n = k  # writers start at different items
        while time.time() < deadline:
            item, options = items[n % len(items)]
            rev = revs.get(item, 0)
            value = options[(rev + 1) % len(options)]  # always a change
            t0 = time.perf_counter()
            try:
                outcome = save_answer(db, identity, aid, item, value, expected_rev=rev)
            except Exception as exc:  # every failure counts; the budget is zero
                mine_err[f"{type(exc).__name__}: {exc}"] += 1
            else:
                mine_lat.append(time.perf_counter() - t0)
                if outcome.status == "saved":
                    revs[item] = rev + 1
                    last[item] = value
                else:
                    mine_err[f"outcome {outcome.status}"] += 1
            n += 1
            if think:
                time.sleep(random.uniform(0.5 * think, 1.5 * think))
        forget_connections()
        with lock:
            latencies.extend(mine_lat)
            errors.update(mine_err)
            for item, r in revs.items():
                acknowledged[(aid, item)] = (r, last[item])

    threads = [threading.Thread(target=writer, args=(k, tok, aid)) for k, (tok, aid) in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, acknowledged, late


def _worker(args):
    return run_writers(*args)


def stored_answers(location: str) -> dict[tuple[int, str], tuple[int, object]]:
    """{(assessment, item): (revision, value)} as a new connection sees them (after a crash: a restarted server)."""
    sql = "SELECT assessment_id, item_id, rev, value FROM answers"
    if is_url(location):
        import psycopg

        from db.postgres import libpq_url

        with psycopg.connect(libpq_url(location)) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        import sqlite3

        conn = sqlite3.connect(location)  # a new connection recovers the WAL a killed process left
        rows = conn.execute(sql).fetchall()
        conn.close()
    return {(a, i): (rev, json.loads(v) if v is not None else None) for a, i, rev, v in rows}


def lost_writes(path: str, acknowledged: dict[tuple[int, str], tuple[int, str]]) -> int:
    """Acknowledged saves missing afterwards: revision lower than the count, or another value."""
    stored = stored_answers(path)
    lost = 0
    for key, (saves, value) in acknowledged.items():
        rev, got = stored.get(key, (0, None))
        if rev != saves or got != value:
            lost += max(1, saves - rev)
    return lost


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--variant", choices=tuple(dict.fromkeys(SQLITE_VARIANTS + POSTGRES_VARIANTS)), default="current")
    ap.add_argument("--think-ms", type=float, default=0.0,
                    help="pause between one writer's saves (uniform 0.5–1.5×; 0 = back to back, a closed loop)")
    ap.add_argument("--db", help="SQLite: database file to create (default: a new temp dir)")
    ap.add_argument("--database-url", default=os.environ.get("ZB_DATABASE_URL") or None,
                    help="PostgreSQL server to create the bench database on (default: $ZB_DATABASE_URL; unset = SQLite)")
    ap.add_argument("--keep", action="store_true", help="PostgreSQL: keep the bench database afterwards")
    args = ap.parse_args(argv)

    server = args.database_url
    if server:
        path = create_pg_database(server)
    else:
        path = args.db or str(Path(tempfile.mkdtemp(prefix="zb-bench-")) / "bench.db")
    try:
        return measure(args, path)
    finally:
        if server and not args.keep:
            drop_pg_database(server, path)


def measure(args, path: str) -> int:
    from db.connection import redacted

    sessions = prepare(path, args.writers)
    from db.connection import forget_connections

    forget_connections()
    margin = 3.0 if is_url(path) else 1.0  # PostgreSQL: each thread's first connection, the pool growing
    start_at = time.time() + margin + 0.5 * args.processes
    if args.processes == 1:
        results = [run_writers(path, sessions, args.seconds, args.variant, start_at, args.think_ms / 1000)]
    else:
        chunks = [sessions[i::args.processes] for i in range(args.processes)]
        with mp.get_context("spawn").Pool(args.processes) as pool:
            start_at = time.time() + 2 * margin + args.processes
            results = pool.map(_worker, [(path, c, args.seconds, args.variant, start_at, args.think_ms / 1000)
                                         for c in chunks])
    latencies = sorted(x for r in results for x in r[0])
    errors: Counter = Counter()
    acknowledged: dict = {}
    late = [x for r in results for x in r[3]]
    for _, e, a, _ in results:
        errors.update(e)
        acknowledged.update(a)
    lost = lost_writes(path, acknowledged)
    n = len(latencies)
    ms = [x * 1000 for x in latencies]
    p50, p95, p99 = pct(ms, 50), pct(ms, 95), pct(ms, 99)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"variant {args.variant}: {args.writers} writers in {args.processes} process(es), {args.seconds:g} s, "
          f"think {args.think_ms:g} ms; {engine_settings(path)}; database {redacted(path)}; load average {load}")
    if late:
        print(f"warning: {len(late)} writers started up to {max(late):.2f} s late (throughput is understated)")
    print(f"saves {n}, throughput {n / args.seconds:.0f}/s, latency ms p50 {p50:.2f} p95 {p95:.2f} "
          f"p99 {p99:.2f} max {max(ms, default=float('nan')):.1f} mean {statistics.fmean(ms) if ms else 0:.2f}")
    n_err = sum(errors.values())
    print(f"errors {n_err}" + "".join(f"\n  {c} × {m}" for m, c in errors.most_common(5)))
    print(f"acknowledged {sum(s for s, _ in acknowledged.values())}, lost writes {lost}")
    ok = p95 <= BUDGET_P95_MS and p99 <= BUDGET_P99_MS and n_err == 0 and lost == 0 and n > 0
    print("within budget (p95 ≤ 20 ms, p99 ≤ 100 ms, 0 errors, 0 lost)" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
