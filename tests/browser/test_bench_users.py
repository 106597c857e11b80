"""The simulated-user client of bench/bench_users.py against one real server (not timed).

It signs in through the sign-in form and the /auth/complete cookie hand-off, opens the fill page
over Streamlit's websocket protocol and answers two items; the answers must be in the database
with the values clicked, and no error may have been shown. A bench that measured error pages
would be worthless: this is what keeps it honest.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser
pytest.importorskip("websockets.asyncio.client", reason="websockets (installed with streamlit) missing")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_users", ROOT / "bench" / "bench_users.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_users"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench_db(tmp_path, monkeypatch):
    from db.connection import forget_connections

    path = tmp_path / "zb.db"
    monkeypatch.setenv("ZB_DB_PATH", str(path))
    monkeypatch.setenv("ZB_DEMO", "1")
    yield path
    forget_connections()


def test_protocol_client_signs_in_and_answers_land(bench_db, server_factory):
    from ui.question_widgets import SCALE4_LABELS

    bench = _bench()
    (username, aid), = bench.prepare_database(bench_db, 1)
    section = bench.scale_section()
    srv = server_factory("bench-users", db_path=bench_db).start()

    async def scenario():
        cookie = await bench.sign_in(srv.url, username, bench.PASSWORD)
        user = bench.FillingUser(srv.url, cookie, aid, section, random.Random(3))
        _, screen = await user.open_fill_page()
        assert screen.errors == [] and len(user.items) >= 8
        clicked = {}
        for _ in range(2):
            radio = user.items[user.next_item % len(user.items)]
            elapsed, errors = await user.click()
            assert errors == [] and elapsed > 0
            clicked[radio.id.rsplit(":", 1)[1]] = user.tab.widgets[radio.id].string_value
        with pytest.raises(bench.ProtocolError):  # a wrong password gets no cookie: the client notices
            await bench.sign_in(srv.url, username, "wrong-password-1")
        await user.tab.close()
        return user, clicked

    # In a thread of its own: the session-scoped Playwright browser of the other browser tests keeps an event
    # loop running in this thread, where asyncio.run() is refused.
    with ThreadPoolExecutor(max_workers=1) as pool:
        user, clicked = pool.submit(asyncio.run, asyncio.wait_for(scenario(), 60)).result()
    assert user.sent == user.acknowledged == 2
    assert bench.stored_revisions(bench_db, [aid]) == 2
    with sqlite3.connect(bench_db) as con:
        stored = dict(con.execute("SELECT item_id, value FROM answers WHERE assessment_id = ?", [aid]).fetchall())
    label_to_id = {zh: key for key, (zh, _) in SCALE4_LABELS.items()}
    assert {item: label_to_id[label] for item, label in clicked.items()} == {k: json.loads(v) for k, v in stored.items()}
