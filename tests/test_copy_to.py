"""manage.py copy-to URL (issue 8 §3): a SQLite deployment copied into PostgreSQL, row for row, re-runnable.

Engine-independent: the source is always a SQLite file made here, the target a new PostgreSQL database
on the server named by ZB_TEST_DATABASE_URL (scripts/pg_throwaway.sh starts one).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sqlite3

import psycopg
import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("ZB_TEST_DATABASE_URL"),
    reason='copy-to needs a PostgreSQL server: eval "$(bash scripts/pg_throwaway.sh start DIR)" sets ZB_TEST_DATABASE_URL')

_serial = itertools.count(1)
PASSWORD = "s3cret-Pw"


@pytest.fixture
def source(tmp_path, monkeypatch):
    """A demo SQLite deployment with submitted assessments, results, audit entries, an evidence file and a
    closed review round (verified result): its path."""
    from assessments import filling
    from db import reviews
    from db.assessments import get_assessment, start_assessment
    from db.connection import forget_connections
    from db.evidence import attach
    from questionnaires import registry
    from review import verification
    from startup.bootstrap import ensure_ready
    from tests import evidence_samples as samples
    from tests.conftest import identity_of

    path = str(tmp_path / "deployment.db")
    monkeypatch.setenv("ZB_DEMO", "1")
    monkeypatch.setenv("ZB_DB_PATH", path)
    monkeypatch.setenv("ZB_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.delenv("ZB_DATABASE_URL", raising=False)
    db = ensure_ready(path)
    ent1, provider1 = identity_of(db, "ent1"), identity_of(db, "provider1")
    quick = registry.latest("cmmm_quick")
    aid, _ = start_assessment(db, ent1, quick.id, quick.version)
    attach(db, ent1, aid, next(iter(quick.questions)), "证书.pdf", samples.PDF)
    ent3 = identity_of(db, "ent3")
    reviewed = next(a["id"] for a in reviews.queue(db, provider1) if a["questionnaire_id"] == "ii_adoption")
    q = filling.questionnaire_of(get_assessment(db, ent3, reviewed))
    verification.verify(db, provider1, q, reviewed, overall_comment="核验通过", expected_rev=0)
    forget_connections()
    yield path
    forget_connections()


@pytest.fixture
def target():
    """A new, empty PostgreSQL database: its URL, with a password (trust authentication ignores it)."""
    from tests import pg

    name = f"zbt_copy_{os.getpid()}_{next(_serial)}"
    pg._admin(f"DROP DATABASE IF EXISTS {name}")
    pg._admin(f"CREATE DATABASE {name}")
    url = pg.url_of(name).replace("postgres@", f"postgres:{PASSWORD}@", 1)
    yield url
    pg.drop(url)


def sqlite_rows(path: str, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
    finally:
        conn.close()


def pg_rows(url: str, table: str, columns: list[str]) -> list[tuple]:
    from db.postgres import libpq_url

    names = ", ".join(f'"{c}"' for c in columns)
    with psycopg.connect(libpq_url(url)) as conn:
        return sorted(conn.execute(f'SELECT {names} FROM "{table}"').fetchall(), key=repr)


def sqlite_columns(path: str, table: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


def file_digest(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_copy_keeps_every_row_and_id_and_the_results_read_the_same(source, target, monkeypatch):
    from db import audit, stats
    from db.assessments import current_result_row
    from db.connection import forget_connections, write_txn
    from db.copy import copy_to
    from db.enterprises import create_provider
    from startup.bootstrap import ensure_ready
    from tests.conftest import identity_of

    lines: list[str] = []
    report = copy_to(source, target, say=lines.append)

    assert report.ok and report.mode == "demo" and not report.replaced
    counts = {c.table: c for c in report.counts}
    for table in ("assessments", "answers", "results", "audit_log", "evidence_files", "review_rounds",
                  "maturity_current", "level_cells", "settings", "users"):
        assert counts[table].source > 0, table
    # every row of every table, ids included, value for value (floats exactly: COPY sends repr)
    for table in counts:
        columns = sqlite_columns(source, table)
        assert pg_rows(target, table, columns) == sqlite_rows(source, table), table
    assert all(PASSWORD not in line for line in lines)

    # the app opens the copy in the source's mode and reads the same results through db/
    monkeypatch.setenv("ZB_DATABASE_URL", target)
    pg_db = ensure_ready(target)
    lite = ensure_ready(source)
    bureau = identity_of(lite, "bureau1")
    for aid, in lite.execute("SELECT id FROM assessments WHERE status IN ('submitted', 'verified')").fetchall():
        for kind in ("self", "verified"):
            assert current_result_row(pg_db, aid, kind) == current_result_row(lite, aid, kind)
    for questionnaire in ("cmmm_quick", "ii_adoption"):
        for read in (stats.picture_cells, stats.maturity_rows):  # rows in no stated order: compare as sets
            assert sorted(read(pg_db, bureau, questionnaire), key=repr) == sorted(read(lite, bureau, questionnaire),
                                                                                  key=repr)

    # the sequences were reset: new rows get the next ids, not ones already taken
    with write_txn(pg_db):
        provider = create_provider(pg_db, "新服务商")
        audit.record(pg_db, None, "test", "provider", provider)
    assert provider == counts["providers"].source + 1
    last_audit = pg_db.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
    assert last_audit == max(r[0] for r in sqlite_rows(source, "audit_log")) + 1
    forget_connections()


def test_target_opens_in_the_same_mode_only(source, target, monkeypatch):
    from db.copy import copy_to
    from startup.bootstrap import DatabaseModeError, ensure_ready

    copy_to(source, target)
    monkeypatch.delenv("ZB_DEMO")
    monkeypatch.setenv("ZB_DATABASE_URL", target)
    with pytest.raises(DatabaseModeError, match="DEMO database"):
        ensure_ready(target)


def test_second_run_refuses_and_replace_copies_again(source, target):
    from db.copy import CopyError, copy_to

    copy_to(source, target)
    conn = sqlite3.connect(source)
    with conn:
        conn.execute("INSERT INTO audit_log (at, action, entity, entity_id) VALUES ('2026-12-03T08:00:00Z', "
                     "'later', 'assessment', '1')")
    conn.close()
    before = {t: pg_rows(target, t, sqlite_columns(source, t)) for t in ("audit_log", "users")}

    with pytest.raises(CopyError, match="already holds data.*--replace"):
        copy_to(source, target)
    assert {t: pg_rows(target, t, sqlite_columns(source, t)) for t in before} == before

    lines: list[str] = []
    report = copy_to(source, target, replace=True, say=lines.append)
    assert report.ok and report.replaced
    assert pg_rows(target, "audit_log", sqlite_columns(source, "audit_log")) == sqlite_rows(source, "audit_log")
    assert any("DISABLE TRIGGER USER" in line for line in lines)  # said, not done silently
    # the append-only triggers are back on after --replace
    from db.postgres import libpq_url

    with psycopg.connect(libpq_url(target)) as pg_conn, pytest.raises(psycopg.errors.RaiseException,
                                                                       match="append-only"):
        pg_conn.execute("DELETE FROM audit_log")


@pytest.mark.parametrize("url_of", [
    lambda good: good.rsplit("/", 1)[0] + "/no_such_database_zb",
    lambda good: good.split("@")[0] + "@127.0.0.1:1/x",  # nothing listens on port 1
    lambda good: "mysql://root:" + PASSWORD + "@127.0.0.1/zibo",
    lambda good: "/tmp/not-a-url.db",
], ids=["no database", "no server", "not postgresql", "a file path"])
def test_bad_url_gives_a_clear_message_and_changes_nothing(source, target, url_of, capsys):
    import manage
    from db.postgres import libpq_url

    bad = url_of(target)
    digest = file_digest(source)
    assert manage.main(["copy-to", bad, "--source", source]) == 1
    err = capsys.readouterr().err
    assert PASSWORD not in err
    assert "cannot connect" in err or "not a PostgreSQL URL" in err
    assert file_digest(source) == digest
    with psycopg.connect(libpq_url(target)) as conn:  # the good database next door is untouched too
        assert conn.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
                            ).fetchone()[0] == 0


def test_command_prints_the_counts_without_the_password(source, target, capsys):
    import manage

    assert manage.main(["copy-to", target, "--source", source]) == 0
    out = capsys.readouterr().out
    assert PASSWORD not in out and ":***@" in out
    assert "mode: demo" in out
    table = [line.split() for line in out.splitlines() if line.startswith(("results ", "audit_log "))]
    assert len(table) == 2 and all(row[-1] == "ok" and row[1] == row[2] for row in table)


def test_a_postgresql_deployment_is_not_a_source(target, monkeypatch, capsys):
    import manage

    monkeypatch.setenv("ZB_DATABASE_URL", target)
    assert manage.main(["copy-to", target]) == 1
    assert "already PostgreSQL" in capsys.readouterr().err


def test_copy_while_the_app_saves_answers_is_of_one_moment(source, target):
    """The copy reads a snapshot: answers saved during it are either all in (up to some save) or not."""
    import json
    import threading

    from db.assessments import save_answer
    from db.connection import forget_connections, get_db
    from db.copy import copy_to
    from db.postgres import libpq_url
    from questionnaires import registry
    from tests.conftest import identity_of

    db = get_db(source)
    ent1 = identity_of(db, "ent1")
    aid, = db.execute("SELECT id FROM assessments WHERE enterprise_id = ? AND status = 'draft'",
                      [ent1.enterprise_id]).fetchone()
    items = list(registry.latest("cmmm_quick").questions)[:4]
    acked, stop, failures = [], threading.Event(), []

    def writer():
        own, revs = get_db(source), dict.fromkeys(items, 0)
        try:
            for i in itertools.count():
                if stop.is_set():
                    return
                item = items[i % len(items)]
                outcome = save_answer(own, ent1, aid, item, i, expected_rev=revs[item])
                assert outcome.status == "saved", outcome
                revs[item] = outcome.answer.rev
                acked.append((item, revs[item], i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            forget_connections()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(acked) < 20 and thread.is_alive():
            threading.Event().wait(0.005)
        acked_before = len(acked)
        report = copy_to(source, target)
        acked_after = len(acked)
    finally:
        stop.set()
        thread.join()
    assert not failures and report.ok
    with psycopg.connect(libpq_url(target)) as conn:
        copied = {item: (rev, json.loads(value)) for item, rev, value in conn.execute(
            "SELECT item_id, rev, value FROM answers WHERE assessment_id = %s AND item_id = ANY(%s)", [aid, items])}
    k = sum(rev for rev, _ in copied.values())
    assert acked_before <= k <= acked_after + 1
    assert copied == {item: (rev, value) for item, rev, value in acked[:k]}
    forget_connections()


def test_replace_needs_the_owner_of_the_tables_and_says_so(source, target):
    from db.copy import CopyError, copy_to
    from db.postgres import libpq_url
    from tests import pg

    copy_to(source, target)
    role = f"zbt_helper_{os.getpid()}"
    pg._admin(f"DROP ROLE IF EXISTS {role}")
    pg._admin(f"CREATE ROLE {role} LOGIN")
    try:
        with psycopg.connect(libpq_url(target), autocommit=True) as conn:
            conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
            conn.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        before = pg_rows(target, "audit_log", sqlite_columns(source, "audit_log"))
        with pytest.raises(CopyError, match="needs the owner.*nothing was changed"):
            copy_to(source, target.replace("//postgres:", f"//{role}:", 1), replace=True)
        assert pg_rows(target, "audit_log", sqlite_columns(source, "audit_log")) == before
    finally:
        with psycopg.connect(libpq_url(target), autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
        pg._admin(f"DROP ROLE {role}")


def test_a_database_from_before_alembic_is_copied_and_left_as_it_was(tmp_path, target):
    """An old deployment (legacy migrations up to m040): the snapshot is brought to the newest schema, not the file."""
    import sqlite_utils

    import db.legacy_sqlite_migrations as legacy
    from db.copy import copy_to

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    old = sqlite_utils.Database(conn)
    names = [m.name for m in legacy.migrations._migrations]
    last = names.index("m040_roster_and_targets") + 1
    for m in legacy.migrations._migrations[:last]:
        m.fn(old)
    old["_sqlite_migrations"].insert_all([{"migration_set": "zibo", "name": n, "applied_at": "2026-01-01"}
                                          for n in names[:last]], pk="id")
    old.execute("INSERT INTO enterprises (credit_code, name, district, created_at) VALUES ('X', '甲', 'zhangdian', 't')")
    conn.close()
    digest = file_digest(str(path))

    report = copy_to(str(path), target)
    assert report.ok and report.mode is None
    assert pg_rows(target, "enterprises", ["credit_code", "name"]) == [("X", "甲")]
    assert file_digest(str(path)) == digest


def test_a_row_postgresql_refuses_rolls_the_whole_copy_back(source, target):
    """SQLite keeps a row whose foreign key points nowhere if it was written with foreign keys off; PostgreSQL
    refuses it — the copy stops with the reason, and the target keeps what it had (with --replace too)."""
    from db.copy import CopyError, copy_to

    copy_to(source, target)
    before = {t: pg_rows(target, t, sqlite_columns(source, t)) for t in ("answers", "audit_log", "users")}
    conn = sqlite3.connect(source)  # foreign keys are off on a plain connection
    with conn:
        conn.execute("INSERT INTO answers (assessment_id, item_id, value, rev, updated_at) "
                     "VALUES (999999, 'orphan', '1', 1, '2026-12-03T08:00:00Z')")
    conn.close()
    with pytest.raises(CopyError, match="nothing was changed.*answers_assessment_id_fkey") as refused:
        copy_to(source, target, replace=True)
    assert "(assessment_id)=(999999)" in str(refused.value)  # the row it stopped at
    assert {t: pg_rows(target, t, sqlite_columns(source, t)) for t in before} == before
