"""The PostgreSQL side of the data layer: placeholders, types as SQLite gives them, the pool, the write queue."""

from __future__ import annotations

import threading
import time

import pytest

from db.postgres import translate


@pytest.mark.parametrize(("sqlite_style", "psycopg_style"), [
    ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
    ("SELECT '?' || ? FROM t", "SELECT '?' || %s FROM t"),  # a quoted ? is text
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),
    ('SELECT "odd?name" FROM t WHERE x = ?', 'SELECT "odd?name" FROM t WHERE x = %s'),
    ("SELECT 100 % 7, ? -- a comment with ? and %\n", "SELECT 100 %% 7, %s -- a comment with ? and %%\n"),
    ("SELECT '50%' WHERE a LIKE ?", "SELECT '50%%' WHERE a LIKE %s"),
])
def test_placeholders_are_rewritten_outside_quotes_and_comments(sqlite_style, psycopg_style):
    assert translate(sqlite_style) == psycopg_style


@pytest.fixture
def pg_db(fresh_db, engine):
    if engine != "postgresql":
        pytest.skip("PostgreSQL only (run with --engine postgresql)")
    return fresh_db


def test_types_come_back_as_on_sqlite(pg_db):
    row = pg_db.execute("SELECT avg(x), sum(x), count(*), ? FROM (VALUES (1), (2)) v(x)", [True]).fetchone()
    assert row == (1.5, 3, 2, 1)
    assert isinstance(row[0], float) and isinstance(row[1], int)


def test_a_dropped_connection_is_replaced_at_the_next_run(pg_db):
    from db.connection import get_db, location_of, release_connections

    url = location_of(pg_db)
    release_connections()
    db = get_db(url)
    pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
    # The server drops every connection of this database (a restart or a failover looks the same to the app).
    from db.postgres import connect

    admin = connect(url)
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND pid <> pg_backend_pid()")
    admin.close()
    release_connections()  # the end of the Streamlit run that held it
    db = get_db(url)
    assert db.execute("SELECT pg_backend_pid()").fetchone()[0] != pid
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] > 0


def test_write_transactions_run_one_at_a_time(pg_db):
    """Two threads' write transactions never overlap (the advisory lock), as BEGIN IMMEDIATE on SQLite."""
    from db.connection import get_db, location_of, write_txn

    url = location_of(pg_db)
    inside: list[str] = []
    overlaps: list[str] = []

    def writer(name: str) -> None:
        db = get_db(url)
        for _ in range(5):
            with write_txn(db):
                if inside:
                    overlaps.append(name)
                inside.append(name)
                db.execute("UPDATE settings SET value = value WHERE key = 'mode'")
                time.sleep(0.005)
                inside.pop()

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []


def test_saves_to_different_assessments_run_side_by_side_and_other_writes_alone(pg_db):
    """write_txn(db, assessment=…) (an answer save): other assessments' saves overlap it; the same
    assessment's saves and every unscoped write wait for it."""
    from db.connection import get_db, location_of, write_txn

    url = location_of(pg_db)
    first, second = [r[0] for r in pg_db.execute("SELECT id FROM assessments ORDER BY id LIMIT 2").fetchall()]
    entered: dict[str, float] = {}
    left: dict[str, float] = {}
    inside = {name: threading.Event() for name in ("save_a", "save_b")}

    def hold(name: str, assessment: int | None, after: str | None) -> None:
        db = get_db(url)
        if after:
            assert inside[after].wait(10)
            time.sleep(0.05)  # then ask for the lock while the other still holds it
        with write_txn(db, assessment=assessment):
            entered[name] = time.monotonic()
            if name in inside:
                inside[name].set()
            db.execute("UPDATE assessments SET updated_at = updated_at WHERE id = ?", [assessment or first])
            time.sleep(0.4)
            left[name] = time.monotonic()

    plan = [("save_a", first, None), ("save_b", second, "save_a"), ("save_a_again", first, "save_b"),
            ("submit", None, "save_b")]
    threads = [threading.Thread(target=hold, args=p) for p in plan]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert entered["save_b"] < left["save_a"]  # side by side
    assert entered["save_a_again"] >= left["save_a"]  # one assessment: one at a time
    assert entered["submit"] >= max(left["save_a"], left["save_b"])  # an unscoped write runs alone
