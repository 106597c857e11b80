"""The sign-in that holds, below the UI: production by default, database modes, file safety,
throttling under parallel attempts, sessions re-checked at every write, hand-off codes, admin actions.
"""

from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest

from accounts.passwords import password_problem
from db import audit, users
from db.assessments import save_answer, start_assessment, submit
from db.connection import database_path, forget_connections, get_db, location_of
from db.identity import SessionEnded
from startup import bootstrap
from tests.conftest import identity_of


@pytest.fixture
def prod_path(tmp_path, monkeypatch):
    """Environment of a production start (no ZB_DEMO) on a new database file in a new folder."""
    path = str(tmp_path / "data" / "prod.db")
    monkeypatch.setenv("ZB_DB_PATH", path)
    monkeypatch.delenv("ZB_DEMO", raising=False)
    monkeypatch.delenv("ZB_ADMIN_PASSWORD", raising=False)
    yield path
    forget_connections()


def test_production_is_the_default_and_has_no_demo_data(prod_path, capsys):
    db = bootstrap.ensure_ready()
    assert not bootstrap.demo_enabled()
    assert db.execute("SELECT value FROM settings WHERE key = 'mode'").fetchone() == ("production",)
    rows = list(db.query("SELECT username, must_change_password, is_demo FROM users"))
    assert rows == [{"username": "admin", "must_change_password": 1, "is_demo": 0}]
    assert db.execute("SELECT count(*) FROM enterprises").fetchone() == (0,)
    printed = capsys.readouterr().err
    password = printed.split("one-time password: ")[1].split()[0]
    assert users.authenticate(db, "admin", password).must_change_password
    assert users.authenticate(db, "admin", "zibo2025").error == "bad_credentials"


def test_first_admin_takes_the_password_from_the_environment(prod_path, monkeypatch):
    monkeypatch.setenv("ZB_ADMIN_PASSWORD", "Chosen-by-ops-42")
    db = bootstrap.ensure_ready()
    result = users.authenticate(db, "admin", "Chosen-by-ops-42")
    assert result.identity is not None and not result.must_change_password


def test_demo_has_its_own_default_file(monkeypatch):
    monkeypatch.delenv("ZB_DB_PATH", raising=False)
    monkeypatch.setenv("ZB_DEMO", "1")
    assert database_path().endswith(os.path.join("data", "zibo-demo.db"))
    monkeypatch.delenv("ZB_DEMO")
    assert database_path().endswith(os.path.join("data", "zibo.db"))


def test_demo_database_is_refused_as_production(fresh_db, monkeypatch):
    path = location_of(fresh_db)
    assert bootstrap.demo_enabled(path)
    monkeypatch.delenv("ZB_DEMO")
    bootstrap._done.pop(path)
    with pytest.raises(bootstrap.DatabaseModeError, match="DEMO database"):
        bootstrap.ensure_ready(path)


def test_production_database_refuses_demo_mode_and_demo_seeding(prod_path, monkeypatch):
    db = bootstrap.ensure_ready()
    from startup.demo import seed_demo

    with pytest.raises(RuntimeError, match="refusing to seed"):
        seed_demo(db)
    monkeypatch.setenv("ZB_DEMO", "1")
    bootstrap._done.pop(prod_path)
    with pytest.raises(bootstrap.DatabaseModeError, match="PRODUCTION database"):
        bootstrap.ensure_ready()
    assert db.execute("SELECT count(*) FROM users WHERE is_demo = 1").fetchone() == (0,)


@pytest.mark.parametrize(("address", "allowed"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("", False), (None, False), ("192.168.1.10", False), ("example.org", False)])  # noqa: S104
def test_demo_database_is_served_on_loopback_only(fresh_db, address, allowed, monkeypatch):
    monkeypatch.delenv("ZB_ALLOW_DEMO_PUBLIC", raising=False)
    if allowed:
        bootstrap.check_served_address(address)
    else:
        with pytest.raises(bootstrap.DatabaseModeError, match="refusing to serve a DEMO"):
            bootstrap.check_served_address(address)
        monkeypatch.setenv("ZB_ALLOW_DEMO_PUBLIC", "1")
        bootstrap.check_served_address(address)


def test_production_database_may_be_served_anywhere(prod_path):
    bootstrap.check_served_address("0.0.0.0")  # noqa: S104


def test_database_file_and_folder_are_private_and_synchronous_full(prod_path):
    db = bootstrap.ensure_ready()
    assert stat.S_IMODE(os.stat(prod_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(prod_path)).st_mode) == 0o700
    assert db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


# --- throttling ----------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock for db.users (starts now, moves only when told)."""
    state = {"now": datetime.now(UTC)}
    monkeypatch.setattr(users, "_utcnow", lambda: state["now"])
    return state


@pytest.fixture
def kdf_calls(monkeypatch):
    """Counts the password checks that actually ran."""
    calls = []
    real = users.verify_password

    def counting(password, stored):
        calls.append(stored)
        return real(password, stored)

    monkeypatch.setattr(users, "verify_password", counting)
    return calls


def test_fifty_parallel_wrong_guesses_cannot_exceed_the_limit(fresh_db, clock, kdf_calls):
    path = location_of(fresh_db)
    results, start = [], threading.Barrier(50)

    def guess(i):
        db = get_db(path)  # each thread its own connection
        start.wait()
        results.append(users.authenticate(db, "ent1", f"wrong-{i}", address="10.0.0.7").error)
        forget_connections()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(50)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(kdf_calls) == users.FREE_FAILURES["user"] == 5
    assert sorted(results) == ["bad_credentials"] * 5 + ["throttled"] * 45
    row = fresh_db.execute("SELECT failures FROM login_throttle WHERE scope = 'user' AND key = 'ent1'").fetchone()
    assert row == (5,)


def test_delay_grows_and_is_capped_and_the_right_password_then_works(fresh_db, clock):
    for _ in range(5):
        assert users.authenticate(fresh_db, "ent1", "wrong").error == "bad_credentials"
    waits = []
    for _ in range(14):
        result = users.authenticate(fresh_db, "ent1", "wrong")
        assert result.error == "throttled"
        waits.append(result.retry_at - clock["now"])
        clock["now"] = result.retry_at
        assert users.authenticate(fresh_db, "ent1", "wrong").error == "bad_credentials"
    assert waits[:4] == [timedelta(seconds=s) for s in (1, 2, 4, 8)]
    assert max(waits) == users.MAX_DELAY == timedelta(minutes=15)
    clock["now"] += users.MAX_DELAY
    assert users.authenticate(fresh_db, "ent1", "zibo2025").identity is not None
    assert users.authenticate(fresh_db, "ent1", "wrong").error == "bad_credentials"  # count starts again


def test_one_address_guessing_many_accounts_is_throttled(fresh_db, clock):
    free = users.FREE_FAILURES["addr"]
    for i in range(free):
        assert users.authenticate(fresh_db, f"user{i}", "wrong", address="10.0.0.9").error == "bad_credentials"
    assert users.authenticate(fresh_db, "ent1", "zibo2025", address="10.0.0.9").error == "throttled"
    assert users.authenticate(fresh_db, "ent1", "zibo2025", address="10.0.0.10").identity is not None


def test_unknown_user_and_wrong_password_look_the_same(fresh_db, clock, kdf_calls):
    unknown = users.authenticate(fresh_db, "nobody", "whatever1")
    wrong = users.authenticate(fresh_db, "ent1", "whatever1")
    assert (unknown.error, unknown.retry_at) == (wrong.error, wrong.retry_at) == ("bad_credentials", None)
    assert len(kdf_calls) == 2 and all(h.startswith("scrypt$16384$8$1$") for h in kdf_calls)
    fresh_db.execute("UPDATE users SET active = 0 WHERE username = 'ent2'")
    assert users.authenticate(fresh_db, "ent2", "zibo2025").error == "bad_credentials"


# --- sessions re-checked at every write ------------------------------------------------------------


def _live(db, username: str):
    token = users.open_session(db, identity_of(db, username))
    return token, users.resume_session(db, token, 30)


def _end_by(db, how: str, token: str, username: str) -> None:
    if how == "signed_out":
        users.revoke_session(db, token)
    elif how == "expired":
        db.execute("UPDATE auth_sessions SET expires_at = '2020-01-01T00:00:00.000000Z'")
    elif how == "idle":
        db.execute("UPDATE auth_sessions SET last_seen_at = '2020-01-01T00:00:00.000000Z'")
    elif how == "deactivated":
        users.set_active(db, None, identity_of(db, username).user_id, False)
    elif how == "password_reset":
        users.set_password(db, username, "New-pass-123", must_change=True)
    elif how == "must_change":
        db.execute("UPDATE users SET must_change_password = 1 WHERE username = ?", [username])


ENDINGS = ["signed_out", "expired", "idle", "deactivated", "password_reset", "must_change"]


@pytest.mark.parametrize("how", ENDINGS)
def test_answer_after_session_end_is_not_stored(fresh_db, how):
    token, me = _live(fresh_db, "ent1")
    aid, _ = start_assessment(fresh_db, me, "ii_adoption", "1")
    assert save_answer(fresh_db, me, aid, "platform_use", "own", expected_rev=0).status == "saved"
    _end_by(fresh_db, how, token, "ent1")
    with pytest.raises(SessionEnded):
        save_answer(fresh_db, me, aid, "equipment_total", 10, expected_rev=0)
    with pytest.raises(SessionEnded):
        submit(fresh_db, me, aid, compute=lambda a, n: pytest.fail("must not compute"))
    with pytest.raises(SessionEnded):
        start_assessment(fresh_db, me, "cmmm_quick", "1")
    rows = list(fresh_db.query("SELECT item_id FROM answers WHERE assessment_id = ?", [aid]))
    assert rows == [{"item_id": "platform_use"}]
    assert fresh_db.execute("SELECT status FROM assessments WHERE id = ?", [aid]).fetchone() == ("draft",)


def test_change_password_ends_the_other_sessions_only(fresh_db):
    token_a, me = _live(fresh_db, "ent1")
    token_b, _ = _live(fresh_db, "ent1")
    assert users.change_password(fresh_db, me, "zibo2025", "Better-pass-7")
    assert users.resume_session(fresh_db, token_a, 30) is not None
    assert users.resume_session(fresh_db, token_b, 30) is None
    assert not users.change_password(fresh_db, me, "zibo2025", "Other-pass-8")  # old one is gone
    assert [e["action"] for e in audit.entries(fresh_db, "user", me.user_id)] == ["change_password"]


def test_change_password_from_an_ended_session_is_refused(fresh_db):
    token, me = _live(fresh_db, "ent1")
    users.revoke_session(fresh_db, token)
    with pytest.raises(SessionEnded):
        users.change_password(fresh_db, me, "zibo2025", "Better-pass-7")
    assert users.authenticate(fresh_db, "ent1", "zibo2025").identity is not None


def test_forced_change_is_read_from_the_database(fresh_db):
    token, me = _live(fresh_db, "ent2")
    assert not me.must_change_password
    fresh_db.execute("UPDATE users SET must_change_password = 1 WHERE id = ?", [me.user_id])
    again = users.resume_session(fresh_db, token, 30)
    assert again.must_change_password
    assert users.change_password(fresh_db, again, "zibo2025", "Better-pass-7")  # the one write allowed
    assert not users.resume_session(fresh_db, token, 30).must_change_password


# --- hand-off codes ------------------------------------------------------------------------------


def test_handoff_code_works_once_and_rotates_the_token(fresh_db, clock):
    token, _ = _live(fresh_db, "ent1")
    code = users.issue_handoff(fresh_db, token)
    cookie_token = users.redeem_handoff(fresh_db, code)
    assert cookie_token and cookie_token != token
    assert users.redeem_handoff(fresh_db, code) is None
    assert users.resume_session(fresh_db, token, 30) is None
    assert users.resume_session(fresh_db, cookie_token, 30).username == "ent1"
    stale = users.issue_handoff(fresh_db, cookie_token)
    clock["now"] += timedelta(seconds=users.HANDOFF_SECONDS + 1)
    assert users.redeem_handoff(fresh_db, stale) is None
    assert users.redeem_handoff(fresh_db, "forged") is None
    assert users.redeem_handoff(fresh_db, "x" * 500) is None


def test_handoff_of_a_revoked_session_gives_nothing(fresh_db):
    token, _ = _live(fresh_db, "ent1")
    code = users.issue_handoff(fresh_db, token)
    users.revoke_session(fresh_db, token)
    assert users.redeem_handoff(fresh_db, code) is None


# --- admin actions -------------------------------------------------------------------------------


def test_admin_actions_are_audited_and_end_sessions(fresh_db):
    _, admin = _live(fresh_db, "admin")
    token, ent2 = _live(fresh_db, "ent2")
    users.set_active(fresh_db, admin, ent2.user_id, False)
    assert users.resume_session(fresh_db, token, 30) is None
    assert users.authenticate(fresh_db, "ent2", "zibo2025").error == "bad_credentials"
    users.set_active(fresh_db, admin, ent2.user_id, True)
    token, _ = _live(fresh_db, "ent2")
    other = fresh_db.execute("SELECT id FROM enterprises WHERE id != ? ORDER BY id LIMIT 1",
                             [ent2.enterprise_id]).fetchone()[0]
    users.set_binding(fresh_db, admin, ent2.user_id, other, None)
    assert identity_of(fresh_db, "ent2").enterprise_id == other
    assert users.resume_session(fresh_db, token, 30) is None
    password = users.issue_one_time_password(fresh_db, admin, "ent2")
    assert password_problem(password) is None
    result = users.authenticate(fresh_db, "ent2", password)
    assert result.identity is not None and result.must_change_password
    actions = [(e["action"], e["user_id"]) for e in audit.entries(fresh_db, "user", ent2.user_id)]
    assert actions == [("deactivate", admin.user_id), ("activate", admin.user_id), ("rebind", admin.user_id),
                       ("reset_password", admin.user_id)]


def test_admin_cannot_deactivate_themself_or_bind_wrongly(fresh_db):
    _, admin = _live(fresh_db, "admin")
    with pytest.raises(users.UserError) as exc:
        users.set_active(fresh_db, admin, admin.user_id, False)
    assert exc.value.text.zh == "不能停用自己的账号。"
    with pytest.raises(users.UserError):
        users.set_binding(fresh_db, admin, identity_of(fresh_db, "ent1").user_id, 99999, None)
    with pytest.raises(users.UserError):
        users.set_binding(fresh_db, admin, identity_of(fresh_db, "bureau1").user_id, 1, None)


@pytest.mark.parametrize(("password", "zh"), [("short1", "至少 8 个字符"), ("onlyletters", "须同时包含字母和数字"),
                                              ("12345678", "须同时包含字母和数字"), ("x1" * 200, "最多 256 个字符")])
def test_password_rules_speak_both_languages(password, zh):
    problem = password_problem(password)
    assert problem.zh == zh and problem.en and not any(c.isascii() and c.isalpha() for c in problem.zh)


def test_manage_user_commands(fresh_db, capsys):
    import manage

    assert manage.main(["deactivate", "ent2"]) == 0
    assert users.authenticate(fresh_db, "ent2", "zibo2025").error == "bad_credentials"
    assert manage.main(["reactivate", "ent2"]) == 0
    capsys.readouterr()
    assert manage.main(["one-time-password", "ent2"]) == 0
    password = capsys.readouterr().out.strip()
    assert users.authenticate(fresh_db, "ent2", password).must_change_password
    actions = [e["action"] for e in audit.entries(fresh_db, "user", identity_of(fresh_db, "ent2").user_id)]
    assert actions == ["deactivate", "activate", "reset_password"]
    capsys.readouterr()
    assert manage.main(["deactivate", "nobody"]) == 1  # as reset-password of an unknown user: named, nothing changed
    assert "nobody" in capsys.readouterr().err
