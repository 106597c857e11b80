"""Fixtures for the real-browser tests: a Streamlit server in a subprocess and headless Debian Chromium.

Chromium is the system one (/usr/bin/chromium, from apt); Playwright's own browser download
(`playwright install`) is neither needed nor wanted. See /work/shared/engineering.md §3b.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
HEALTH_TIMEOUT = 60  # seconds
PASSWORD = "zibo2025"
TIMEOUT = 20_000  # ms, for every expect(): each step is a Streamlit rerun over the websocket

_live_servers: list[StreamlitServer] = []
_started_servers: list[StreamlitServer] = []  # every start, in order: a failed test's logs include servers it stopped


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run serve.py` (app.py behind the cookie routes) on a free loopback port with its own SQLite file."""

    def __init__(self, db_path: Path, log_path: Path, demo: bool = True, database_url: str | None = None):
        self.db_path = db_path
        self.database_url = database_url  # a PostgreSQL database instead of the SQLite file
        self.log_path = log_path
        self.demo = demo
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StreamlitServer:
        assert self.proc is None, "already running"
        self.port = _free_port()
        # the browser tests use the demo data unless a test asks for production (the app's own default)
        env = dict(os.environ, ZB_DB_PATH=str(self.db_path), ZB_DEMO="1" if self.demo else "0")
        env.pop("ZB_DATABASE_URL", None)
        if self.database_url:
            env["ZB_DATABASE_URL"] = self.database_url
        cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - the child keeps it
        log.write(f"\n=== start {' '.join(cmd)} (database {self.database_url or self.db_path})\n")
        log.flush()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        _live_servers.append(self)
        _started_servers.append(self)
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:  # noqa: S310
                    if resp.read().decode().strip() == "ok":
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit not healthy within {HEALTH_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self, hard: bool = False) -> None:
        """Stop the server: SIGTERM (graceful), or SIGKILL when ``hard`` (a crash)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None
        if self in _live_servers:
            _live_servers.remove(self)

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory):
    """Make servers on demand (each with a fresh DB unless one is given); all are stopped at the end."""
    made: list[StreamlitServer] = []

    def make(name: str = "app", db_path: Path | None = None, demo: bool = True,
             database_url: str | None = None) -> StreamlitServer:
        d = tmp_path_factory.mktemp(name)
        srv = StreamlitServer(db_path or d / "zb.db", d / "streamlit.log", demo=demo, database_url=database_url)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    """A migrated, demo-seeded database made once by the app's own bootstrap (no server, no visit)."""
    path = tmp_path_factory.mktemp("template") / "zb.db"
    subprocess.run([sys.executable, "-c", "from startup import bootstrap; bootstrap.ensure_ready()"], cwd=ROOT, check=True,
                   env=dict(os.environ, ZB_DB_PATH=str(path), ZB_DEMO="1"), timeout=120)
    return path


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy (WAL included) through SQLite's backup API."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    return dst


@pytest.fixture(scope="session")
def server(server_factory) -> StreamlitServer:
    """One shared server (own DB) for the tests that do not care about a pristine process."""
    return server_factory("shared").start()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser, request):
    """Factory: a page in a NEW browser context (no cookies). Screenshots of all of them on failure."""
    contexts = []
    first_start = len(_started_servers)

    def make():
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        ctx.set_default_timeout(TIMEOUT)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])[:120]
        for i, ctx in enumerate(contexts):
            for j, page in enumerate(ctx.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{stem}-{i}{j}.png"), full_page=True)
                except Exception as exc:  # a dead page must not hide the real failure
                    print(f"screenshot failed: {exc}")
        logs = dict.fromkeys(srv.log_path for srv in [*_live_servers, *_started_servers[first_start:]])
        for k, log_path in enumerate(logs):
            shutil.copyfile(log_path, ARTIFACTS / f"{stem}-server{k}.log")
    for ctx in contexts:
        close_context(ctx)


def close_context(ctx) -> None:
    """Close a browser context without racing a navigation: each page is first taken to about:blank.

    Chromium can acknowledge closing a page whose navigation is just committing without closing it,
    and Playwright then waits forever (microsoft/playwright#42366, #41900). A test that ends while the
    app is mid-way through a redirect (the sign-in's /auth/complete round trip) hit exactly that in CI:
    the run hung in BrowserContext.close until CI's 90 minutes ran out. about:blank runs no script, so
    once it has committed nothing can navigate the page any more, and the close has nothing to race.
    """
    for page in ctx.pages:
        for _ in range(3):  # a goto interrupted by the app's own redirect is simply made again
            try:
                page.goto("about:blank", timeout=5_000)
                break
            except Exception:  # noqa: BLE001 - interrupted or timed out: try again, then close anyway
                page.wait_for_timeout(200)
    ctx.close()
