"""SIGKILL during 20 writers saving answers: every acknowledged save is present afterwards.

    python3 bench/bench_crash.py [--writers 20] [--rounds 5] [--min-s 1] [--max-s 3]
                                 [--database-url postgresql+psycopg://…] [--kill writer|postmaster]

A child process (the "server") runs the writers — threads calling ``db.assessments.save_answer``
with real sessions, as the fill page does — and reports each save on stdout only after
save_answer returned "saved" (the moment the page tells the user "saved"). After a random 1–3 s:

``--kill writer`` (default): the parent SIGKILLs the child, opens the database again like a
restarted server (SQLite recovers the WAL; PostgreSQL keeps running, the killed process's
connections are cut mid-transaction) and checks, for every item, that the stored revision is at
least the last acknowledged one and holds that value (a later, unacknowledged save may also have
committed: that is allowed, and counted). The next round starts on the same database.

``--kill postmaster`` (PostgreSQL only; the engine's own crash): the parent freezes the postmaster,
SIGKILLs it and every backend, auxiliary and walwriter process it started (no shutdown checkpoint,
no flush: what an OOM kill or a crash of the engine leaves), restarts it with the same options
(``pg_ctl start``: WAL crash recovery), lets the child go on saving for ``--after-s`` seconds
through the restarted server — the app process is not restarted, its pool must reconnect — and
then SIGKILLs the child and checks as above. Saves refused while the engine is down are reported
as outage errors (the user sees "not saved"; nothing is acknowledged); a round fails if an
acknowledged save is missing or if no save was acknowledged after the restart.

At the end: SQLite ``PRAGMA integrity_check``; PostgreSQL amcheck (``verify_heapam`` on every
table, ``bt_index_check`` with heapallindexed on every index of the bench database). Exit status 1
if any acknowledged save is missing. PostgreSQL runs create a new database ``zb_crash_…`` on the
given server and drop it afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_writers import (  # noqa: E402
    create_pg_database,
    drop_pg_database,
    engine_settings,
    is_url,
    stored_answers,
    use_location,
)


def child(path: str, sessions: list[tuple[str, int]]) -> None:
    """Save until killed; print "ACK aid item rev value" after each acknowledged save, "ERROR …" after a failure.

    Each save asks for the thread's connection again, as every Streamlit rerun does, so a
    connection broken by an engine crash is replaced from the pool.
    """
    use_location(path)
    from bench_writers import choice_items

    from db import users
    from db.assessments import load_answers, save_answer
    from db.connection import forget_connections, get_db

    items = choice_items()
    out_lock = threading.Lock()

    def say(line: str) -> None:
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    ready = threading.Barrier(len(sessions) + 1)

    def writer(k: int, token: str, aid: int) -> None:
        db = get_db(path)
        identity = users.resume_session(db, token, users.idle_minutes())
        revs = {i: a.rev for i, a in load_answers(db, identity, aid).items()}  # go on where the last round stopped
        ready.wait()
        n = k
        while True:
            item, options = items[n % len(items)]
            rev = revs.get(item, 0)
            value = options[(rev + 1) % len(options)]
            try:
                outcome = save_answer(get_db(path), identity, aid, item, value, expected_rev=rev)
            except Exception as exc:  # the engine went away: the user is told "not saved" and tries again
                say(f"ERROR {aid} {item} {type(exc).__name__}")
                forget_connections()
                time.sleep(0.2)
                continue
            if outcome.status != "saved":
                say(f"ERROR {aid} {item} outcome-{outcome.status}")
                return
            revs[item] = rev + 1
            say(f"ACK {aid} {item} {rev + 1} {value} {time.time():.6f}")
            n += 1

    for k, (token, aid) in enumerate(sessions):
        threading.Thread(target=writer, args=(k, token, aid), daemon=True).start()
    ready.wait()  # every writer connected (migrations checked, pool filled): the kill comes 1–3 s into saving
    say("READY")
    while True:
        time.sleep(1)


class Child:
    """The writer process and the lines it printed."""

    def __init__(self, path: str, sessions_file: str):
        self.proc = subprocess.Popen([sys.executable, __file__, "--child", path, sessions_file],
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 60
        while "READY\n" not in self.lines and time.monotonic() < deadline:
            time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join(timeout=10)

    def results(self, since: float = 0.0) -> tuple[dict, int, int]:
        """({(aid, item): (rev, value)} acknowledged, errors, acknowledgements after ``since`` (epoch s))."""
        acked: dict[tuple[int, str], tuple[int, str]] = {}
        errors = late_acks = 0
        for line in self.lines:
            if not line.endswith("\n"):
                continue  # cut by the kill: not received, so not acknowledged
            parts = line.split()
            if parts[0] == "ACK":
                key = (int(parts[1]), parts[2])
                rev = int(parts[3])
                if rev > acked.get(key, (0, ""))[0]:
                    acked[key] = (rev, parts[4])
                late_acks += float(parts[5]) > since
            elif parts[0] == "ERROR":
                errors += 1
        return acked, errors, late_acks


class Postmaster:
    """Kill and restart the PostgreSQL server a URL points to (its data directory is asked from the server)."""

    def __init__(self, url: str):
        import psycopg

        from db.postgres import libpq_url

        with psycopg.connect(libpq_url(url)) as conn:
            self.data = Path(conn.execute("SHOW data_directory").fetchone()[0])
        self.url = url
        opts = shlex.split((self.data / "postmaster.opts").read_text())
        self.bin = Path(opts[0]).parent
        i = opts.index("-D")
        self.options = shlex.join(opts[1:i] + opts[i + 2:])
        self.owner = pwd.getpwuid(self.data.stat().st_uid).pw_name

    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill(self) -> int:
        """SIGKILL the postmaster and every process it started; returns how many processes were killed."""
        pm = self.pid()
        os.kill(pm, signal.SIGSTOP)  # no new backend is forked while the children are listed
        children = [pid for pid in _pids() if _ppid(pid) == pm]
        os.kill(pm, signal.SIGKILL)
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in [pm, *children]) and time.monotonic() < deadline:
            time.sleep(0.01)
        return 1 + len(children)

    def start(self) -> float:
        """Start the server with its previous options (crash recovery); returns the seconds until it accepts."""
        t0 = time.monotonic()
        cmd = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data.parent / "server.log"),
               "-w", "-t", "120", "start", "-o", self.options]
        if os.getuid() == 0 and self.owner != "root":
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return time.monotonic() - t0


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    """Whether the process still exists — a zombie too: until it is reaped, PostgreSQL's lock file check
    (kill(pid, 0)) takes it for a running postmaster and refuses to start."""
    return Path(f"/proc/{pid}").exists()


def check(path: str, acked: dict) -> tuple[int, int, int]:
    """(acknowledged saves, of them present, committed but unacknowledged) as a new connection sees them."""
    stored = stored_answers(path)
    acknowledged = present = extra = 0
    for key, (rev, value) in acked.items():
        got_rev, got_value = stored.get(key, (0, None))
        acknowledged += rev
        if got_rev == rev and got_value == value:
            present += rev
        elif got_rev > rev:
            present += rev
            extra += got_rev - rev
        else:
            present += got_rev
    return acknowledged, present, extra


def integrity(path: str) -> str:
    """"ok", or what the engine's own checker found."""
    if not is_url(path):
        import sqlite3

        conn = sqlite3.connect(path)
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        return result
    import psycopg

    from db.postgres import libpq_url

    problems = []
    with psycopg.connect(libpq_url(path), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        tables = conn.execute("SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = 'public' AND c.relkind = 'r'").fetchall()
        for oid, name in tables:
            bad = conn.execute("SELECT count(*) FROM verify_heapam(%s)", [oid]).fetchone()[0]
            if bad:
                problems.append(f"{name}: {bad} heap problems")
        indexes = conn.execute("SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                               "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam "
                               "WHERE n.nspname = 'public' AND a.amname = 'btree'").fetchall()
        for oid, name in indexes:
            try:
                conn.execute("SELECT bt_index_check(%s, true)", [oid])
            except psycopg.Error as exc:
                problems.append(f"{name}: {exc}")
    return "ok" if not problems else "; ".join(problems)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1], json.loads(Path(argv[2]).read_text()))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writers", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-s", type=float, default=1.0)
    ap.add_argument("--max-s", type=float, default=3.0)
    ap.add_argument("--kill", choices=("writer", "postmaster"), default="writer",
                    help="the process SIGKILLed: the app process running the writers, or PostgreSQL's postmaster")
    ap.add_argument("--after-s", type=float, default=3.0,
                    help="--kill postmaster: seconds the writers go on through the restarted server")
    ap.add_argument("--database-url", default=None,
                    help="PostgreSQL server to create the bench database on (default: $ZB_DATABASE_URL; unset = SQLite)")
    ap.add_argument("--keep", action="store_true", help="PostgreSQL: keep the bench database afterwards")
    args = ap.parse_args(argv)
    if args.kill == "postmaster" and not args.database_url:
        # Never taken from the environment: it kills the server, so it must be named on the command line.
        ap.error("--kill postmaster needs --database-url URL of a throwaway PostgreSQL server")
    args.database_url = args.database_url or os.environ.get("ZB_DATABASE_URL") or None

    d = Path(tempfile.mkdtemp(prefix="zb-crash-"))
    path = create_pg_database(args.database_url, "zb_crash") if args.database_url else str(d / "crash.db")
    try:
        return run(args, path, d)
    finally:
        if args.database_url and not args.keep:
            drop_pg_database(args.database_url, path)


def run(args, path: str, d: Path) -> int:
    from bench_writers import prepare

    from db.connection import forget_connections, redacted

    sessions = prepare(path, args.writers)
    forget_connections()
    sessions_file = d / "sessions.json"
    sessions_file.write_text(json.dumps(sessions))
    postmaster = Postmaster(path) if args.kill == "postmaster" else None
    all_acked: dict = {}
    failed = False
    print(f"{args.writers} writers, {args.rounds} rounds of SIGKILL of the {args.kill} after "
          f"{args.min_s:g}–{args.max_s:g} s; {engine_settings(path)}; database {redacted(path)}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for r in range(1, args.rounds + 1):
        writers = Child(path, str(sessions_file))
        time.sleep(random.uniform(args.min_s, args.max_s))
        if postmaster is None:
            writers.kill()
            acked, errors, _ = writers.results()
            extra_note = ""
        else:
            killed = postmaster.kill()
            killed_at = time.time()
            try:
                recovery_s = postmaster.start()
            except BaseException:
                writers.kill()  # leave no writer behind when the server cannot be restarted
                raise
            restarted_at = time.time()
            time.sleep(args.after_s)
            writers.kill()
            acked, errors, after = writers.results(since=restarted_at)
            before = sum(1 for line in writers.lines if line.startswith("ACK") and line.endswith("\n")
                         and float(line.split()[5]) <= killed_at)
            first_after = min((float(line.split()[5]) for line in writers.lines if line.startswith("ACK")
                               and line.endswith("\n") and float(line.split()[5]) > killed_at), default=float("nan"))
            extra_note = (f", {killed} server processes killed, restart with recovery {recovery_s:.1f} s, "
                          f"first save acknowledged {first_after - killed_at:.1f} s after the kill, "
                          f"saves acknowledged before the kill {before}, after the restart {after}, "
                          f"outage errors {errors}")
            failed |= after == 0
        for key, (rev, value) in acked.items():
            if rev > all_acked.get(key, (0, ""))[0]:
                all_acked[key] = (rev, value)
        acknowledged, present, extra = check(path, all_acked)
        print(f"round {r}: acknowledged so far {acknowledged}, present after restart {present}, "
              f"committed but not acknowledged {extra}" + (extra_note or f", errors {errors}"))
        failed |= acknowledged != present or (postmaster is None and errors > 0)
    verdict = integrity(path)
    print(f"integrity check: {verdict}")
    failed |= verdict != "ok"
    print("FAILED: acknowledged saves missing, errors, or no recovery" if failed
          else "OK: every acknowledged save is present")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
