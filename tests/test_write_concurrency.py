"""The write path under concurrency: 50 threads × 50 saves all succeed and all land; the writer queue is FIFO."""

from __future__ import annotations

import importlib.util
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from db import connection
from db.connection import FifoLock, get_db, location_of, write_txn

THREADS = 50
SAVES = 50
_spec = importlib.util.spec_from_file_location("bench_writers", Path(__file__).resolve().parents[1] / "bench" /
                                               "bench_writers.py")
bench_writers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_writers)


@pytest.fixture
def sessions(fresh_db):
    """One signed-in enterprise user with an open assessment per thread (real sessions, as the pages have)."""
    path = location_of(fresh_db)
    return path, bench_writers.prepare(path, THREADS)


def test_fifty_threads_fifty_saves_each_all_saved_and_present(sessions):
    from db import users
    from db.assessments import save_answer
    from db.connection import forget_connections

    path, pairs = sessions
    items = bench_writers.choice_items()
    failures: list[str] = []
    saved: dict[int, dict[str, str]] = {}
    start = threading.Barrier(THREADS)

    def writer(token: str, aid: int) -> None:
        db = get_db(path)
        identity = users.resume_session(db, token, users.idle_minutes())
        mine = {}
        start.wait()
        try:
            for n in range(SAVES):
                item, options = items[n % len(items)]
                value = options[n % 2]
                outcome = save_answer(db, identity, aid, item, value, expected_rev=0)
                if outcome.status != "saved":
                    failures.append(f"{aid}/{item}: {outcome.status}")
                mine[item] = value
        except Exception as exc:
            failures.append(f"{aid}: {exc!r}")
        finally:
            forget_connections()
        saved[aid] = mine

    assert len(items) >= SAVES, "each save writes a new item, so expected_rev=0 is right"
    threads = [threading.Thread(target=writer, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    stored = {(a, i): v for a, i, v in get_db(path).execute("SELECT assessment_id, item_id, value FROM answers")}
    assert sum(len(m) for m in saved.values()) == THREADS * SAVES
    for aid, mine in saved.items():
        for item, value in mine.items():
            assert stored[(aid, item)] == f'"{value}"', (aid, item)


def test_writer_queue_serves_threads_in_arrival_order():
    lock = FifoLock()
    assert lock.acquire(1)
    order: list[int] = []

    def waiter(k: int) -> None:
        assert lock.acquire(5)
        order.append(k)
        lock.release()

    threads = []
    for k in range(8):
        t = threading.Thread(target=waiter, args=(k,))
        t.start()
        threads.append(t)
        time.sleep(0.02)  # arrive one after another
    lock.release()
    for t in threads:
        t.join()
    assert order == list(range(8))


def test_writer_queue_gives_up_after_its_timeout():
    lock = FifoLock()
    assert lock.acquire(1)
    result = []
    t = threading.Thread(target=lambda: result.append(lock.acquire(0.05)))
    t.start()
    t.join()
    assert result == [False]
    lock.release()
    assert lock.acquire(0.05), "a waiter that gave up does not keep the lock"


def test_other_process_holding_the_lock_is_waited_for_then_gives_up(tmp_path, monkeypatch):
    """BEGIN IMMEDIATE is retried while another connection (another process) writes, and fails after the wait."""
    path = str(tmp_path / "w.db")
    db = get_db(path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.2, lambda: other.execute("COMMIT"))
    releaser.start()
    t0 = time.monotonic()
    with write_txn(db):
        db.execute("CREATE TABLE t (x)")
    assert 0.15 < time.monotonic() - t0 < 2
    releaser.join()

    monkeypatch.setattr(connection, "WRITE_WAIT_S", 0.2)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"), write_txn(db):
        db.execute("INSERT INTO t VALUES (1)")
    other.execute("ROLLBACK")
    other.close()
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == connection.BUSY_TIMEOUT_MS
    with write_txn(db):
        db.execute("INSERT INTO t VALUES (2)")
    assert [r[0] for r in db.execute("SELECT x FROM t")] == [2]
    connection.forget_connections()


@pytest.fixture
def other_writer(fresh_db):
    """Another process's connection, able to hold the database's write lock: on SQLite the file's write lock
    (BEGIN IMMEDIATE), on PostgreSQL the write queue's advisory lock."""
    location = location_of(fresh_db)
    if connection.is_postgres(fresh_db):
        import psycopg

        from db.postgres import WRITE_LOCK_KEY, libpq_url

        conn = psycopg.connect(libpq_url(location), autocommit=True)

        def hold():
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
    else:
        conn = sqlite3.connect(location, isolation_level=None, check_same_thread=False)

        def hold():
            conn.execute("BEGIN IMMEDIATE")
    yield hold, lambda: conn.execute("COMMIT")
    conn.close()


def test_a_write_held_elsewhere_is_waited_for_then_refused_on_either_engine(fresh_db, other_writer, monkeypatch):
    """Another process's write transaction: a save waits for it, and after WRITE_WAIT_S gives up with
    "database is locked" — the error the pages already turn into a message — changing nothing."""
    hold, release = other_writer
    db = fresh_db
    hold()
    releaser = threading.Timer(0.3, release)
    releaser.start()
    t0 = time.monotonic()
    with write_txn(db):
        db.execute("UPDATE settings SET value = value WHERE key = 'mode'")
    assert 0.25 < time.monotonic() - t0 < 5
    releaser.join()

    monkeypatch.setattr(connection, "WRITE_WAIT_S", 0.3)
    hold()
    with pytest.raises(sqlite3.OperationalError, match="locked"), write_txn(db):
        db.execute("INSERT INTO settings (key, value) VALUES ('waited', 'yes')")
    release()
    assert db.execute("SELECT count(*) FROM settings WHERE key = 'waited'").fetchone()[0] == 0
