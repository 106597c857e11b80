"""Admin command line: users, questionnaire publication, re-scoring, moving, backing up and restoring the database.

    python manage.py create-user USERNAME ROLE [--enterprise-code CODE] [--provider NAME] [--name NAME]
    python manage.py reset-password USERNAME
    python manage.py one-time-password USERNAME     (prints a new password, to be changed at first sign-in)
    python manage.py deactivate USERNAME | reactivate USERNAME
    python manage.py publish questionnaires/FILE.yaml [...]
    python manage.py rescore [--questionnaire ID] [--batch-size N] [--workers N]
    python manage.py sweep-evidence                 (remove evidence files no attachment refers to)
    python manage.py copy-to URL [--replace] [--source FILE]   (the SQLite deployment into PostgreSQL)
    python manage.py backup FILE                (online; SQLite backup API, or pg_dump -Fc on PostgreSQL)
    python manage.py restore FILE TARGET        (into a new SQLite file or an empty PostgreSQL database)

Passwords are read from $ZB_NEW_PASSWORD or asked for interactively, never taken as arguments.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path

from accounts.passwords import password_problem
from db.connection import location_of
from startup.bootstrap import ensure_ready


def _password() -> str:
    pw = os.environ.get("ZB_NEW_PASSWORD") or getpass.getpass("new password: ")
    problem = password_problem(pw)
    if problem:
        sys.exit(f"password too weak: {problem.en} / 密码太弱：{problem.zh}")
    return pw


RESCORE_BATCH = 1000  # assessments per read and per write transaction
# Worker processes that score a large re-scoring (this process alone writes). Measured with
# bench/bench_rescore.py on the shared 2-core machine (docs/performance.md): 30,000 assessments under
# load ≈ 6 took 23.6 s with two workers against 27.0 s in one process; when the cores are free the
# scoring (two thirds of the CPU time) runs on both. An earlier design in which every worker also
# wrote lost to one process under load (writers waiting for each other's lock). One worker per core,
# at most two.
RESCORE_WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_FROM_BATCHES = 10  # fewer batches than this run in this process (workers take ~1 s to start)


def rescore(db, questionnaire_id: str | None = None, batch_size: int = RESCORE_BATCH, progress=None,
            workers: int = RESCORE_WORKERS) -> dict:
    """Re-score every submitted assessment under the current scoring rules of its questionnaire version.

    Works in batches of ``batch_size`` assessments: one query for the batch, one for the answers of
    those that need re-scoring, one write transaction for their results and audit entries — memory
    stays bounded by the batch, and an interruption keeps every finished batch. A large job (at least
    PARALLEL_FROM_BATCHES batches, on a database file) is scored by ``workers`` processes, each reading
    through its own connection, while this process alone writes (one writer: no waiting for SQLite's
    write lock); at most 2 × ``workers`` scored batches wait for it. New results are stored beside the
    old ones (which stay on record, no longer current). ``progress`` is a text stream (e.g.
    sys.stderr) for a progress bar, or None. Returns counts: assessments, rescored (new scoring
    version), changed (level or verdict), outcome_before/after (applies-count).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    from db.assessments import batch_id_ranges, count_for_scoring, scoring_batches

    total = count_for_scoring(db, questionnaire_id)
    counts = {"assessments": total, "rescored": 0, "changed": 0, "outcome_before": 0, "outcome_after": 0}
    bar = _ProgressBar(progress, total, "rescore")
    path = location_of(db)
    if workers > 1 and path and total >= PARALLEL_FROM_BATCHES * batch_size:
        import multiprocessing

        tasks = [(questionnaire_id, lo, hi, batch_size) for lo, hi in batch_id_ranges(db, questionnaire_id, batch_size)]
        with multiprocessing.get_context("spawn").Pool(workers, _worker_start, (path,)) as pool:
            waiting = [pool.apply_async(_worker_score, (task,)) for task in tasks[:2 * workers]]
            for task in tasks[2 * workers:] + [None] * len(waiting):
                part, scored, n = waiting.pop(0).get()
                if task is not None:
                    waiting.append(pool.apply_async(_worker_score, (task,)))
                _store_scored(db, scored)
                _add(counts, part)
                bar.advance(n)
    else:
        for batch in scoring_batches(db, questionnaire_id, batch_size):
            part, scored = _score_batch(db, batch)
            _store_scored(db, scored)
            _add(counts, part)
            bar.advance(len(batch))
    bar.close()
    return counts


def _add(counts: dict, part: dict) -> None:
    for key, n in part.items():
        counts[key] += n


def _score_batch(db, batch: list[dict]) -> tuple[dict, tuple[list, list]]:
    """Score one batch (rows of db.assessments.scoring_batches) without writing: its counts, and the
    result rows and audit entries for ``_store_scored``."""
    import scoring
    from db.assessments import answers_for_scoring_many, result_row
    from questionnaires import registry

    counts = {"rescored": 0, "changed": 0, "outcome_before": 0, "outcome_after": 0}
    todo = []
    for a in batch:
        q = registry.get(a["questionnaire_id"], a["questionnaire_version"])
        if q.scoring is None:
            continue
        counts["outcome_before"] += int(bool(a["old_outcome"]))
        if a["old_scoring_version"] == q.scoring.version:
            counts["outcome_after"] += int(bool(a["old_outcome"]))
            continue
        todo.append((a, q))
    if not todo:
        return counts, ([], [])
    inputs = answers_for_scoring_many(db, [a["id"] for a, _ in todo])
    rows = [result_row(a["id"], q.id, q.version, scoring.score(q, *inputs[a["id"]])) for a, q in todo]
    entries = []
    for (a, _), (_, _, _, _, version, score, level, outcome, _, _) in zip(todo, rows):
        old = None if a["old_scoring_version"] is None else {
            "scoring_version": a["old_scoring_version"], "level": a["old_level"],
            "outcome": a["old_outcome"], "score": a["old_score"]}
        entries.append((a["id"], old, {"scoring_version": version, "level": level, "outcome": outcome, "score": score},
                        "scoring rules changed"))
        counts["rescored"] += 1
        counts["outcome_after"] += int(bool(outcome))
        if old is None or (old["level"], old["outcome"]) != (level, outcome):
            counts["changed"] += 1
    return counts, (rows, entries)


def _store_scored(db, scored: tuple[list, list]) -> None:
    """Write one scored batch in one transaction: the results (and summary tables) and audit entries."""
    from db import audit
    from db.assessments import store_results_many
    from db.connection import write_txn

    rows, entries = scored
    if not rows:
        return
    with write_txn(db):
        store_results_many(db, "self", rows)
        audit.record_many(db, None, "rescore", "assessment", entries)


_worker_db = None


def _worker_start(path: str) -> None:
    global _worker_db
    from db.connection import get_db

    _worker_db = get_db(path)


def _worker_score(task: tuple) -> tuple[dict, tuple[list, list], int]:
    """Score one batch in a worker process (the assessments with after_id < id <= last_id), nothing
    written: (counts, scored rows and audit entries, assessments read)."""
    from db.assessments import scoring_batches

    questionnaire_id, after_id, last_id, batch_size = task
    part = {"rescored": 0, "changed": 0, "outcome_before": 0, "outcome_after": 0}
    rows, entries, n = [], [], 0
    for batch in scoring_batches(_worker_db, questionnaire_id, batch_size, after_id=after_id, last_id=last_id):
        counts, (batch_rows, batch_entries) = _score_batch(_worker_db, batch)
        _add(part, counts)
        rows += batch_rows
        entries += batch_entries
        n += len(batch)
    return part, (rows, entries), n


class _ProgressBar:
    """A one-line text progress bar on a stream (redrawn in place after each batch), or nothing."""

    WIDTH = 30

    def __init__(self, stream, total: int, label: str):
        self.stream, self.total, self.label, self.done = stream, total, label, 0
        self.started = time.monotonic()
        self._draw()

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def _draw(self) -> None:
        if self.stream is None:
            return
        share = self.done / self.total if self.total else 1.0
        filled = int(share * self.WIDTH)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                          f"{self.done:,}/{self.total:,} ({share:.0%}) {elapsed:.1f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-user")
    p.add_argument("username")
    p.add_argument("role", choices=["enterprise", "provider", "bureau", "admin"])
    p.add_argument("--enterprise-code")
    p.add_argument("--provider")
    p.add_argument("--name", default="")
    p = sub.add_parser("reset-password")
    p.add_argument("username")
    for name in ("one-time-password", "deactivate", "reactivate"):
        p = sub.add_parser(name)
        p.add_argument("username")
    p = sub.add_parser("publish")
    p.add_argument("files", nargs="+")
    sub.add_parser("sweep-evidence", help="remove evidence files no attachment refers to (e.g. of deleted drafts)")
    p = sub.add_parser("rescore")
    p.add_argument("--questionnaire")
    p.add_argument("--batch-size", type=int, default=RESCORE_BATCH)
    p.add_argument("--workers", type=int, default=RESCORE_WORKERS)
    p = sub.add_parser("copy-to", help="copy the SQLite deployment into the PostgreSQL database at URL")
    p.add_argument("url", metavar="URL", help="postgresql+psycopg://user:password@host:port/dbname")
    p.add_argument("--replace", action="store_true",
                   help="empty the target's tables (audit_log included) and copy again, in one transaction")
    p.add_argument("--source", help="the SQLite file (default: the configured database)")
    p = sub.add_parser("backup", help="online backup of the configured database into a new FILE")
    p.add_argument("file")
    p = sub.add_parser("restore", help="restore FILE into TARGET: a new SQLite file path or an empty PostgreSQL database")
    p.add_argument("file")
    p.add_argument("target")
    args = parser.parse_args(argv)

    if args.command in ("copy-to", "backup", "restore"):
        return _database_command(args)
    if args.command == "publish":
        from questionnaires.loader import QuestionnaireInvalid
        from questionnaires.registry import publish
        for f in args.files:
            try:
                print("published", publish(Path(f)))
            except QuestionnaireInvalid as exc:
                print(exc, file=sys.stderr)
                return 1
        return 0

    db = ensure_ready()
    from db.enterprises import enterprise_id_by_code
    from db.providers import provider_by_name
    from db.users import UserError, create_user, issue_one_time_password, set_active, set_password, user_id_by_username
    try:
        if args.command == "create-user":
            enterprise_id = provider_id = None
            if args.enterprise_code:
                from zibo.reference import credit_code_problem, normalise_credit_code
                problem = credit_code_problem(args.enterprise_code)
                if problem:
                    sys.exit(f"统一社会信用代码 {args.enterprise_code!r} 无效：{problem}")
                code = normalise_credit_code(args.enterprise_code)
                enterprise_id = enterprise_id_by_code(db, code)
                if enterprise_id is None:
                    sys.exit(f"no enterprise with credit code {args.enterprise_code}")
            if args.provider:
                provider = provider_by_name(db, args.provider)
                if provider is None:
                    sys.exit(f"no provider named {args.provider}")
                provider_id = provider["id"]
            create_user(db, args.username, _password(), args.role, args.name, enterprise_id=enterprise_id,
                        provider_id=provider_id)
            print(f"created {args.username} ({args.role})")
        elif args.command == "reset-password":
            set_password(db, args.username, _password(), must_change=True)
            print(f"password of {args.username} reset; open sessions revoked")
        elif args.command == "one-time-password":
            print(issue_one_time_password(db, None, args.username))
            print(f"one-time password of {args.username} above; it must be changed at first sign-in; "
                  "open sessions revoked", file=sys.stderr)
        elif args.command in ("deactivate", "reactivate"):
            set_active(db, None, user_id_by_username(db, args.username), args.command == "reactivate")
            print(f"{args.username} {args.command}d" + ("; open sessions revoked" if args.command == "deactivate" else ""))
        elif args.command == "sweep-evidence":
            from db.evidence import sweep_orphans

            print(f"{sweep_orphans(db)} evidence file(s) no attachment refers to removed")
        elif args.command == "rescore":
            counts = rescore(db, args.questionnaire, batch_size=args.batch_size, progress=sys.stderr,
                             workers=args.workers)
            print(f"{counts['assessments']} submitted assessments, {counts['rescored']} re-scored under current rules, "
                  f"{counts['changed']} changed level or verdict; applies/outcome count "
                  f"{counts['outcome_before']} -> {counts['outcome_after']}")
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _database_command(args) -> int:
    """copy-to, backup and restore: they read or make databases, so they do not open (or create) the app's."""
    from db.backup import BackupError, backup, restore
    from db.connection import database_path, redacted
    from db.copy import CopyError, copy_to, format_counts
    from db.migrate import is_postgres

    try:
        if args.command == "copy-to":
            source = args.source or database_path()
            if is_postgres(source):
                print(f"the configured database is already PostgreSQL ({redacted(source)}); copy-to copies a SQLite "
                      "deployment: unset ZB_DATABASE_URL or name the file with --source", file=sys.stderr)
                return 1
            report = copy_to(source, args.url, replace=args.replace, say=lambda line: print(line, flush=True))
            print(format_counts(report))
            print(f"mode: {report.mode or '-'} (the target opens in the same mode)")
            if not report.ok:
                print("row counts differ: the copy is not complete", file=sys.stderr)
                return 1
            print(f"copied into {redacted(args.url)}; point the app at it with ZB_DATABASE_URL")
        elif args.command == "backup":
            location = database_path()
            report = backup(location, args.file)
            print(_counts_table(report.counts))
            print(f"backup of {redacted(location)} as of {report.taken_at} (UTC) in {report.file}")
        else:
            counts = restore(args.file, args.target)
            print(_counts_table(counts))
            print(f"restored {args.file} into {redacted(args.target)}; stop the app and point it there "
                  "(docs/database.md, Backup and restore)")
    except (CopyError, BackupError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _counts_table(counts: dict[str, int]) -> str:
    width = max([len("table"), *map(len, counts)])
    return "\n".join([f"{'table':<{width}}  {'rows':>9}", *(f"{t:<{width}}  {n:>9,}" for t, n in counts.items())])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
