"""Online backup and restore (issue 8 §3), on the engine of the run (--engine sqlite | postgresql).

The backup is taken while a writer thread keeps saving answers; restored into a new database it has
the counts the backup reported, table by table, the writer's answers as of one moment, and the same
results and city-picture rows as the live database.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time

import pytest

from db.backup import BackupError, backup, restore, table_counts
from db.connection import location_of

_serial = itertools.count(1)


@pytest.fixture
def new_location(engine, tmp_path):
    """Where a restore may go: a SQLite path not yet there, or a new empty PostgreSQL database."""
    if engine == "sqlite":
        yield str(tmp_path / "restored" / "zibo.db")
        return
    from tests import pg

    name = f"zbt_restore_{os.getpid()}_{next(_serial)}"
    pg._admin(f"DROP DATABASE IF EXISTS {name}")
    pg._admin(f"CREATE DATABASE {name}")
    url = pg.url_of(name)
    yield url
    pg.drop(url)


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the writer made no progress"
        time.sleep(0.005)


def _rows(db, sql: str) -> list[dict]:
    return [dict(r) for r in db.query(sql)]


def test_backup_while_answers_are_saved_restores_the_same(fresh_db, ent1, tmp_path, new_location):
    from db.assessments import current_result_row, save_answer, start_assessment
    from db.connection import forget_connections, get_db
    from questionnaires import registry
    from startup.bootstrap import ensure_ready

    location = location_of(fresh_db)
    quick = registry.latest("cmmm_quick")
    aid, _ = start_assessment(fresh_db, ent1, quick.id, quick.version)
    items = list(quick.questions)[:5]
    acked: list[tuple[str, int, str]] = []  # (item, rev, value) of every save the writer saw succeed, in order
    stop, failures = threading.Event(), []

    def writer():
        db, revs = get_db(location), dict.fromkeys(items, 0)
        try:
            for i in itertools.count():
                if stop.is_set():
                    return
                item = items[i % len(items)]
                outcome = save_answer(db, ent1, aid, item, f"v{i}", expected_rev=revs[item])
                assert outcome.status == "saved", outcome
                revs[item] = outcome.answer.rev
                acked.append((item, revs[item], f"v{i}"))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            forget_connections()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        _wait_for(lambda: len(acked) >= 20)
        acked_before = len(acked)
        report = backup(location, str(tmp_path / "zibo.backup"))
        acked_after = len(acked)
        _wait_for(lambda: len(acked) >= acked_after + 20)  # the writer went on during and after the backup
    finally:
        stop.set()
        thread.join()
    assert not failures

    counts = restore(report.file, new_location)
    assert counts == report.counts  # table by table, as the backup counted its own snapshot

    restored = get_db(new_location)
    # the writer's answers as of one moment: the first k acknowledged saves, k between the two readings
    saved = {r["item_id"]: (r["rev"], json.loads(r["value"]))
             for r in restored.query("SELECT item_id, rev, value FROM answers WHERE assessment_id = ?", [aid])}
    k = sum(rev for rev, _ in saved.values())
    assert acked_before <= k <= acked_after + 1  # + 1: a save acknowledged just as the backup began
    assert saved == {item: (rev, value) for item, rev, value in acked[:k]}
    assert counts["answers"] == report.counts["answers"] <= table_counts(location)["answers"]

    # what the writer did not touch is the same as the live database's, row for row
    live = get_db(location)
    untouched = [t for t in counts if t != "answers"]
    assert {t: counts[t] for t in untouched} == {t: n for t, n in table_counts(location).items() if t in untouched}
    for sql in ("SELECT * FROM results ORDER BY id",
                "SELECT * FROM maturity_current ORDER BY questionnaire_id, enterprise_id",
                "SELECT * FROM level_cells ORDER BY questionnaire_id, district, industry_code, level, first_level, "
                "reassessed, verified"):
        assert _rows(restored, sql) == _rows(live, sql), sql

    # and the app opens the restored database and reads the same results through db/
    restored = ensure_ready(new_location)
    for (submitted,) in live.execute("SELECT id FROM assessments WHERE status = 'submitted'").fetchall():
        assert current_result_row(restored, submitted) == current_result_row(live, submitted)


def test_backup_never_overwrites_a_file(fresh_db, tmp_path):
    existing = tmp_path / "zibo.backup"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="exists already"):
        backup(location_of(fresh_db), str(existing))
    assert existing.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_restore_refuses_the_running_database_and_files_that_are_no_backup(fresh_db, tmp_path, new_location):
    live = location_of(fresh_db)
    report = backup(live, str(tmp_path / "zibo.backup"))
    before = table_counts(live)
    with pytest.raises(BackupError, match="exists already|already has tables"):
        restore(report.file, live)
    assert table_counts(live) == before

    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup", encoding="utf-8")
    with pytest.raises(BackupError, match="is not a"):
        restore(str(junk), new_location)


def test_commands_print_the_same_counts_for_the_backup_and_the_restore(fresh_db, tmp_path, new_location, capsys):
    import manage

    file = tmp_path / "zibo.backup"
    assert manage.main(["backup", str(file)]) == 0
    out = capsys.readouterr().out
    assert file.is_file() and oct(file.stat().st_mode & 0o777) == "0o600"
    users = table_counts(location_of(fresh_db))["users"]
    assert any(line.split() == ["users", str(users)] for line in out.splitlines())
    assert f"in {file}" in out
    assert manage.main(["restore", str(file), new_location]) == 0
    restored = capsys.readouterr().out
    assert restored.splitlines()[:-1] == out.splitlines()[:-1]  # the counts table, line for line
    assert manage.main(["restore", str(file), new_location]) == 1  # not over a database that is there now
    err = capsys.readouterr().err
    assert "exists already" in err or "already has tables" in err


def test_postgresql_backup_without_pg_dump_says_what_to_install(fresh_db, engine, tmp_path, monkeypatch):
    if engine != "postgresql":
        pytest.skip("pg_dump is used on PostgreSQL only")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackupError, match="pg_dump not found.*postgresql-client"):
        backup(location_of(fresh_db), str(tmp_path / "zibo.dump"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.sqlite_only
def test_sqlite_backup_is_one_self_contained_file(fresh_db, tmp_path):
    import sqlite3

    report = backup(location_of(fresh_db), str(tmp_path / "zibo.backup"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("zibo.backup")) == ["zibo.backup"]
    conn = sqlite3.connect(report.file)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
