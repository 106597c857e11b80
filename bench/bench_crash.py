"""SIGKILL of a process while 20 writers save answers: every acknowledged save is present afterwards.

    python3 bench/bench_crash.py [--writers 20] [--rounds 5] [--min-s 1] [--max-s 3]

A child process (the "server") runs the writers — threads with their own connections and real
sessions calling ``db.assessments.save_answer``, as the fill page does — and reports each save on
stdout only after save_answer returned "saved" (the moment the page tells the user "saved"). The
parent SIGKILLs the child after a random 1–3 s, opens the database again like a restarted server
(SQLite recovers the WAL) and checks, for every item, that the stored revision is at least the last
acknowledged one and holds that value (a later, unacknowledged save may also have committed: that
is allowed, and counted). Then the next round starts on the same file. PRAGMA integrity_check at
the end. Exit status 1 if any acknowledged save is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def child(path: str, sessions: list[tuple[str, int]]) -> None:
    """Save until killed; print "aid item rev value" after each acknowledged save."""
    os.environ["ZB_DB_PATH"] = path
    from bench_writers import choice_items

    from db import users
    from db.assessments import load_answers, save_answer
    from db.connection import get_db

    items = choice_items()
    out_lock = threading.Lock()

    def writer(k: int, token: str, aid: int) -> None:
        db = get_db(path)
        identity = users.resume_session(db, token, users.idle_minutes())
        revs = {i: a.rev for i, a in load_answers(db, identity, aid).items()}  # go on where the last round stopped
        n = k
        while True:
            item, options = items[n % len(items)]
            rev = revs.get(item, 0)
            value = options[(rev + 1) % len(options)]
            outcome = save_answer(db, identity, aid, item, value, expected_rev=rev)
            if outcome.status != "saved":
                with out_lock:
                    sys.stdout.write(f"ERROR {aid} {item} {outcome.status}\n")
                    sys.stdout.flush()
                return
            revs[item] = rev + 1
            with out_lock:
                sys.stdout.write(f"ACK {aid} {item} {rev + 1} {value}\n")
                sys.stdout.flush()
            n += 1

    for k, (token, aid) in enumerate(sessions):
        threading.Thread(target=writer, args=(k, token, aid), daemon=True).start()
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    while True:
        time.sleep(1)


def one_round(path: str, sessions_file: str, seconds: float) -> tuple[dict, int]:
    """Run the child for ``seconds``, SIGKILL it; returns ({(aid, item): (rev, value)} acknowledged, errors)."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", path, sessions_file], stdout=subprocess.PIPE,
                            text=True, bufsize=1)
    acked: dict[tuple[int, str], tuple[int, str]] = {}
    errors = 0
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while "READY\n" not in lines and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(timeout=10)
    for line in lines:
        if not line.endswith("\n"):
            continue  # cut by the kill: not received, so not acknowledged
        parts = line.split()
        if parts[0] == "ACK":
            key = (int(parts[1]), parts[2])
            rev = int(parts[3])
            if rev > acked.get(key, (0, ""))[0]:
                acked[key] = (rev, parts[4])
        elif parts[0] == "ERROR":
            errors += 1
    return acked, errors


def check(path: str, acked: dict) -> tuple[int, int, int]:
    """(acknowledged saves, of them present, committed but unacknowledged) after a restart."""
    conn = sqlite3.connect(path)  # a new connection recovers the WAL left by the killed process
    stored = {(a, i): (rev, json.loads(v)) for a, i, rev, v in
              conn.execute("SELECT assessment_id, item_id, rev, value FROM answers")}
    conn.close()
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
    args = ap.parse_args(argv)

    from bench_writers import prepare

    from db.connection import forget_connections

    d = Path(tempfile.mkdtemp(prefix="zb-crash-"))
    path = str(d / "crash.db")
    sessions = prepare(path, args.writers)
    forget_connections()
    sessions_file = d / "sessions.json"
    sessions_file.write_text(json.dumps(sessions))
    all_acked: dict = {}
    failed = False
    print(f"{args.writers} writers, {args.rounds} rounds of SIGKILL after {args.min_s:g}–{args.max_s:g} s; "
          f"synchronous=FULL, WAL; database {path}")
    for r in range(1, args.rounds + 1):
        acked, errors = one_round(path, str(sessions_file), random.uniform(args.min_s, args.max_s))
        for key, (rev, value) in acked.items():
            if rev > all_acked.get(key, (0, ""))[0]:
                all_acked[key] = (rev, value)
        acknowledged, present, extra = check(path, all_acked)
        print(f"round {r}: acknowledged so far {acknowledged}, present after restart {present}, "
              f"committed but not acknowledged {extra}, errors {errors}")
        failed |= acknowledged != present or errors > 0
    conn = sqlite3.connect(path)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    print(f"integrity_check: {integrity}")
    failed |= integrity != "ok"
    print("FAILED: acknowledged saves missing" if failed else "OK: every acknowledged save is present")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
