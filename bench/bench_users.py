"""Simulated browser users against 1, 2 and 4 app processes: click-to-screen latency, CPU per rerun, memory.

    python3 bench/bench_users.py [--processes 1,2,4] [--sessions-per-process 40] [--step-seconds 12]
                                 [--budget-ms 1000] [--think 10]

Each simulated user speaks Streamlit's own protocol (BackMsg / ForwardMsg protobufs over the
``/_stcore/stream`` websocket, with the ``websockets`` client installed with Streamlit), as the
browser's JavaScript does — no browser, so a few hundred users fit on this machine:

1. signs in like a browser: opens the sign-in page, fills in the form (user name, password, submit
   trigger), reads the /auth/complete hand-off link the page renders, fetches it over HTTP and keeps
   the HttpOnly ``zb_session`` cookie from its Set-Cookie;
2. opens the fill page of its own enterprise's open assessment (``/ent_fill?a=…&s=…``, a new
   websocket carrying the cookie, as the browser's page load after the redirect does);
3. answers items: each click sends a rerun with the changed radio's value (and the values of every
   radio the page shows, as the browser does); the click-to-screen time runs from sending it to the
   rerun's ``script_finished`` message (the last message the browser needs to draw the new screen).

Each user has its own enterprise (complete profile) and user account, created in the bench database
with the db/ functions. Users are pinned round-robin to the processes and connect to them directly
(no nginx): nginx's sticky hash of a random cookie spreads a few dozen users unevenly, and its TLS
work would run on the same two cores; pinning measures what the app processes carry. The proxy's own
overhead is not in these figures.

Load: open loop, in steps. "Active users, each clicking every THINK seconds" is a click rate of
users ÷ THINK; each step sends clicks at such a rate (Poisson arrivals, each to a random user whose
previous screen has come back) for STEP seconds. The rate grows by ×1.5 while the p95 stays within
the budget with no error, then one step lies between the last load within budget and the first over
it (a first step already over steps down). The sessions therefore click more often than every THINK
seconds: what loads a process is the rate of reruns, not the number of people behind them (open
sessions cost memory only; measured separately). Reported per step: clicks, errors, p50 / p95 / max
click-to-screen, server CPU per rerun (user + system time of the app processes from /proc/PID/stat
÷ reruns), the bench client's CPU per click and the CPU every other program used meanwhile
(/proc/stat), since the machine is shared. Once per process count: memory per open session (RSS
growth of the processes ÷ fill pages opened after one warm-up page per process; sign-ins happen
before the baseline), page-open times, idle CPU. Afterwards the answer revisions stored in the
database must lie between the clicks acknowledged and the clicks sent, and no step within budget may
have shown an error; the exit status is 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import http.client
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONNAIRE = "cmmm_full"
PASSWORD = "bench-password-1"
TICK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
HANDOFF = re.compile(r'data-to="(/auth/complete\?[^"]+)"')


class ProtocolError(RuntimeError):
    """The server did not answer as a browser expects (no page, an error shown, no cookie)."""


# --------------------------------------------------------------------------------------------------
# The protocol client: one simulated browser tab


@dataclass
class Screen:
    """What one script run drew: its elements, and the errors it showed."""

    elements: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    page_script_hash: str = ""
    status: str = ""

    def of_type(self, kind: str) -> list:
        return [getattr(e, kind) for e in self.elements if e.WhichOneof("type") == kind]


class BrowserTab:
    """One browser tab on one app process, speaking BackMsg/ForwardMsg over /_stcore/stream."""

    def __init__(self, base_url: str, cookie: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.cookie = cookie
        self.ws = None
        self.page_name = ""
        self.query = ""
        self.page_script_hash = ""
        self.widgets: dict[str, object] = {}  # widget id -> WidgetState the tab sends with every rerun

    async def open(self, page_name: str, query: str = "") -> tuple[float, Screen]:
        """Load a page as a fresh page load does: a new websocket, then the first script run."""
        from websockets.asyncio.client import connect

        await self.close()
        parts = urlsplit(self.base_url)
        ws_url = f"ws://{parts.netloc}/_stcore/stream"
        headers = {"Cookie": f"zb_session={self.cookie}"} if self.cookie else {}
        self.ws = await connect(ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                origin=f"{parts.scheme}://{parts.netloc}", max_size=None, compression=None,
                                open_timeout=30, ping_interval=None)
        self.page_name, self.query, self.page_script_hash = page_name, query, ""
        self.widgets = {}
        return await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def rerun(self, changed: list | None = None, timeout: float = 60.0) -> tuple[float, Screen]:
        """Send a rerun with the tab's widget states (plus ``changed``); wait for the finished screen.

        Returns (seconds from sending to the final script_finished, the screen of the last run).
        """
        from streamlit.proto.BackMsg_pb2 import BackMsg

        for state in changed or []:
            self.widgets[state.id] = state
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name = self.page_name
        cs.page_script_hash = self.page_script_hash
        for state in self.widgets.values():
            cs.widget_states.widgets.add().CopyFrom(state)
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.timezone_offset = -480
        cs.context_info.locale = "zh-CN"
        cs.context_info.url = f"{self.base_url}/{self.page_name}" + (f"?{self.query}" if self.query else "")
        cs.context_info.is_embedded = False
        cs.context_info.color_scheme = "light"
        payload = msg.SerializeToString()
        started = time.perf_counter()
        await self.ws.send(payload)
        screen = await asyncio.wait_for(self._until_finished(), timeout)
        elapsed = time.perf_counter() - started
        # Triggers (buttons) are one-shot in the browser too: they are not sent again.
        self.widgets = {k: v for k, v in self.widgets.items() if v.WhichOneof("value") != "trigger_value"}
        self._remember_radios(screen)
        return elapsed, screen

    async def _until_finished(self) -> Screen:
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        screen = Screen()
        while True:
            raw = await self.ws.recv()
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                screen = Screen()
            elif kind == "navigation":  # st.navigation tells which page ran: the browser sends its hash back
                screen.page_script_hash = self.page_script_hash = fm.navigation.page_script_hash
            elif kind == "page_info_changed":  # st.query_params changed: the browser's address follows
                self.query = fm.page_info_changed.query_string
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                element = fm.delta.new_element
                screen.elements.append(element)
                etype = element.WhichOneof("type")
                if etype == "exception":
                    screen.errors.append(f"exception: {element.exception.type}: {element.exception.message}")
                elif etype == "alert" and element.alert.format == Alert.ERROR:
                    screen.errors.append(f"error box: {element.alert.body}")
            elif kind == "page_not_found":
                screen.errors.append(f"page not found: {fm.page_not_found.page_name}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun() or a newer rerun request: the screen comes from the next run
                screen.status = status
                if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    screen.errors.append("script compile error")
                return screen

    def _remember_radios(self, screen: Screen) -> None:
        """The browser keeps (and re-sends) the value every radio on the screen shows."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        shown = set()
        for radio in screen.of_type("radio"):
            shown.add(radio.id)
            if radio.set_value:
                value = radio.raw_value or None
            elif radio.id in self.widgets:
                continue
            else:
                value = radio.options[radio.default] if radio.HasField("default") and radio.options else None
            if value is None:
                self.widgets.pop(radio.id, None)
            else:
                state = WidgetState(id=radio.id)
                state.string_value = value
                self.widgets[radio.id] = state
        # Widgets that left the screen are forgotten by the browser as well.
        self.widgets = {k: v for k, v in self.widgets.items() if k in shown}


def _fetch_cookie(base_url: str, path: str) -> str:
    """GET the hand-off link without following the redirect; the zb_session cookie it sets."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Sec-Fetch-Site": "same-origin"})
        resp = conn.getresponse()
        resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie" and value.startswith("zb_session="):
                return value.split(";", 1)[0].split("=", 1)[1]
    finally:
        conn.close()
    raise ProtocolError(f"/auth/complete set no zb_session cookie (status {resp.status})")


async def sign_in(base_url: str, username: str, password: str) -> str:
    """The browser's sign-in: form on the sign-in page, then the /auth/complete hand-off; the cookie."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    tab = BrowserTab(base_url)
    try:
        _, screen = await tab.open("")
        inputs = {t.id: t for t in screen.of_type("text_input")}
        user_id = next((i for i in inputs if i.endswith("login_user")), None)
        pw_id = next((i for i in inputs if i.endswith("login_pw")), None)
        submit = next((b.id for b in screen.of_type("button") if b.is_form_submitter), None)
        if not (user_id and pw_id and submit):
            raise ProtocolError(f"no sign-in form on the first page ({screen.errors or 'no errors'})")
        states = [WidgetState(id=user_id, string_value=username), WidgetState(id=pw_id, string_value=password),
                  WidgetState(id=submit, trigger_value=True)]
        _, screen = await tab.rerun(states)
        link = next((m.group(1) for h in screen.of_type("html") for m in [HANDOFF.search(h.body)] if m), None)
        if link is None:
            raise ProtocolError(f"sign-in of {username} gave no hand-off link ({screen.errors or 'no errors'})")
        return await asyncio.to_thread(_fetch_cookie, base_url, html.unescape(link))
    finally:
        await tab.close()


class FillingUser:
    """A signed-in enterprise user on the fill page of their assessment, answering scale items."""

    def __init__(self, base_url: str, cookie: str, assessment_id: int, section_id: str, rng: random.Random):
        self.tab = BrowserTab(base_url, cookie)
        self.aid = assessment_id
        self.section_id = section_id
        self.rng = rng
        self.items: list = []  # the radios of the section's scale questions
        self.sent = 0  # clicks sent (a save may land even when its screen never came back)
        self.acknowledged = 0  # clicks whose new screen came back without an error
        self.busy = False
        self.broken = False  # its websocket failed: a browser would reload; the bench stops using it
        self.next_item = 0

    async def open_fill_page(self) -> tuple[float, Screen]:
        elapsed, screen = await self.tab.open("ent_fill", f"a={self.aid}&s={quote(self.section_id)}")
        if screen.errors:
            raise ProtocolError(f"fill page #{self.aid}: {screen.errors}")
        self._read_items(screen)
        if not self.items:
            raise ProtocolError(f"fill page #{self.aid} shows no question (status {screen.status})")
        return elapsed, screen

    def _read_items(self, screen: Screen) -> None:
        marker = f"w:{self.aid}:"
        self.items = [r for r in screen.of_type("radio") if marker in r.id and len(r.options) == 4]

    async def click(self) -> tuple[float, list[str]]:
        """Answer the next item with a value other than the one shown; (seconds, errors shown)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        radio = self.items[self.next_item % len(self.items)]
        self.next_item += 1
        shown = self.tab.widgets.get(radio.id)
        current = shown.string_value if shown is not None else None
        value = self.rng.choice([o for o in radio.options if o != current])
        self.sent += 1
        elapsed, screen = await self.tab.rerun([WidgetState(id=radio.id, string_value=value)])
        errors = list(screen.errors)
        if not errors and screen.status != "FINISHED_SUCCESSFULLY":
            errors.append(f"run ended {screen.status}")
        if not errors:
            self.acknowledged += 1
            self._read_items(screen)
        return elapsed, errors


# --------------------------------------------------------------------------------------------------
# The bench database and the app processes


def prepare_database(path: Path, users: int) -> list[tuple[str, int]]:
    """Demo database plus ``users`` enterprise users (own enterprise, complete profile, open assessment).

    Returns (username, assessment id) per user. Needs ZB_DEMO=1 (the demo data set, loopback only).
    """
    from db import users as db_users
    from db.assessments import start_assessment
    from db.connection import write_txn
    from db.enterprises import create_enterprise
    from questionnaires import registry
    from startup.bootstrap import ensure_ready
    from startup.demo import demo_credit_code

    db = ensure_ready(str(path))
    q = registry.latest(QUESTIONNAIRE)
    out = []
    for i in range(users):
        name = f"bench{i}"
        with write_txn(db):
            eid = create_enterprise(db, demo_credit_code("zhangdian", f"MA7U{i:05d}"), f"模拟用户企业{i}（演示）",
                                    "zhangdian", "26", is_demo=True, production_type="discrete", employees=120,
                                    revenue_wan="2000", contact_name="测试", contact_phone="0533-2180001")
            uid = db_users.create_user(db, name, PASSWORD, "enterprise", f"模拟用户{i}", enterprise_id=eid, is_demo=True)
        identity = db_users.Identity(uid, name, "enterprise", enterprise_id=eid)
        token = db_users.open_session(db, identity)  # only to start the assessment; the bench user signs in itself
        aid, _ = start_assessment(db, db_users.resume_session(db, token, db_users.idle_minutes()), q.id, q.version)
        db_users.revoke_session(db, token)
        out.append((name, aid))
    return out


def scale_section() -> str:
    """The first section of the questionnaire made of scale questions (where a user answers item after item)."""
    from questionnaires import registry

    q = registry.latest(QUESTIONNAIRE)
    return next(s.id for s in q.sections if sum(qq.type == "scale4" for qq in s.questions) >= 8)


def stored_revisions(path: Path, assessment_ids: list[int]) -> int:
    """Sum of the answer revisions of these assessments: one per save that reached the database."""
    marks = ",".join("?" * len(assessment_ids))
    with sqlite3.connect(path) as con:
        return con.execute(f"SELECT COALESCE(SUM(rev), 0) FROM answers WHERE assessment_id IN ({marks})",
                           assessment_ids).fetchone()[0]


def machine_cpu() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat (busy excludes idle, iowait, steal)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in f.readline().split()[1:9])
    return (user + nice + system + irq + softirq) / TICK, steal / TICK


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """`streamlit run serve.py` on a loopback port, on the bench database."""

    def __init__(self, db_path: Path, log_path: Path, options: list[str] = ()):
        self.port = _free_port()
        env = dict(os.environ, ZB_DB_PATH=str(db_path), ZB_DEMO="1",
                   STREAMLIT_SERVER_COOKIE_SECRET="bench-" + "0" * 26)
        cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        for option in options:  # KEY=VALUE -> --KEY VALUE, e.g. runner.postScriptGC=false
            key, _, value = option.partition("=")
            cmd += [f"--{key}", value]
        self.log_path = log_path
        with open(log_path, "a", encoding="utf-8") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app process exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"app process not healthy in {timeout} s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (/proc/PID/stat fields 14 and 15)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.proc.pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)


# --------------------------------------------------------------------------------------------------
# The load


@dataclass
class StepResult:
    users_equivalent: float
    seconds: float
    clicks: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    reruns: int = 0
    no_idle_user: int = 0
    client_cpu_seconds: float = 0.0
    others_cpu_seconds: float = 0.0  # what every other program on the machine used meanwhile
    steal_seconds: float = 0.0  # time the hypervisor gave the VM's CPUs to someone else

    @property
    def others_cores(self) -> float:
        return self.others_cpu_seconds / self.wall if self.wall else float("nan")

    wall: float = 0.0

    def pct(self, q: float) -> float:
        return _pct(self.latencies, q)

    @property
    def cpu_per_rerun(self) -> float:
        return self.cpu_seconds / self.reruns if self.reruns else float("nan")

    def passed(self, budget: float) -> bool:
        return bool(self.latencies) and not self.errors and self.pct(0.95) <= budget + 1e-9 and not self.no_idle_user


async def run_step(users: list[FillingUser], processes: list[AppProcess], rate: float, seconds: float,
                   think: float, rng: random.Random) -> StepResult:
    """Clicks at ``rate`` per second (Poisson) for ``seconds``, each to an idle random user; waits for the last."""
    result = StepResult(users_equivalent=rate * think, seconds=seconds)
    tasks = set()

    async def one(user: FillingUser) -> None:
        try:
            elapsed, errors = await user.click()
        except Exception as exc:  # a dropped socket or a timeout is an error a user sees
            elapsed, errors = float("nan"), [f"{type(exc).__name__}: {exc}"]
            user.broken = True
        finally:
            user.busy = False
        result.clicks += 1
        result.errors.extend(errors)
        if not errors:
            result.latencies.append(elapsed)

    cpu0, client0, (busy0, steal0) = sum(p.cpu_seconds() for p in processes), time.process_time(), machine_cpu()
    started = time.perf_counter()
    next_at = started + rng.expovariate(rate)
    while True:
        now = time.perf_counter()
        if next_at - started >= seconds:
            break
        if now < next_at:
            await asyncio.sleep(next_at - now)
        idle = [u for u in users if not u.busy and not u.broken]
        if idle:
            user = rng.choice(idle)
            user.busy = True  # before the task runs: the next arrival must not pick it again
            task = asyncio.create_task(one(user))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        else:
            result.no_idle_user += 1
        next_at += rng.expovariate(rate)
    if tasks:
        await asyncio.wait(tasks)
    result.cpu_seconds = sum(p.cpu_seconds() for p in processes) - cpu0
    result.wall = time.perf_counter() - started
    result.reruns = result.clicks
    result.client_cpu_seconds = time.process_time() - client0
    busy1, steal1 = machine_cpu()
    result.others_cpu_seconds = max(0.0, busy1 - busy0 - result.cpu_seconds - result.client_cpu_seconds)
    result.steal_seconds = steal1 - steal0
    return result


async def run_real_think(users: list[FillingUser], processes: list[AppProcess], seconds: float, think: float,
                         rng: random.Random) -> StepResult:
    """Every user clicks, waits THINK × U(0.5, 1.5) after the screen came back, clicks again, for ``seconds``.

    The check of the open-loop steps: the same load made by as many sessions as users, each with a
    person's pace, should give the latency the steps gave at that many users.
    """
    result = StepResult(users_equivalent=len(users), seconds=seconds)
    cpu0, client0, (busy0, steal0) = sum(p.cpu_seconds() for p in processes), time.process_time(), machine_cpu()
    started = time.perf_counter()
    deadline = started + seconds

    async def person(user: FillingUser) -> None:
        await asyncio.sleep(rng.uniform(0, think))  # people do not all start at once
        while time.perf_counter() < deadline and not user.broken:
            try:
                elapsed, errors = await user.click()
            except Exception as exc:  # a dropped socket or a timeout is an error a user sees
                elapsed, errors = float("nan"), [f"{type(exc).__name__}: {exc}"]
                user.broken = True
            result.clicks += 1
            result.errors.extend(errors)
            if not errors:
                result.latencies.append(elapsed)
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    await asyncio.gather(*(person(u) for u in users))
    result.wall = time.perf_counter() - started
    result.reruns = result.clicks
    result.client_cpu_seconds = time.process_time() - client0
    busy1, steal1 = machine_cpu()
    result.cpu_seconds = sum(p.cpu_seconds() for p in processes) - cpu0
    result.others_cpu_seconds = max(0.0, busy1 - busy0 - result.cpu_seconds - result.client_cpu_seconds)
    result.steal_seconds = steal1 - steal0
    return result


@dataclass
class RunResult:
    processes: int
    sessions: int
    rss_per_session: float
    open_latencies: list[float]
    steps: list[StepResult]
    stored: int = 0
    acknowledged: int = 0
    sent: int = 0
    idle_cpu_cores: float = 0.0
    rss_end: int = 0
    rss_base: int = 0  # RSS per process with one fill page open


async def run_processes(n_proc: int, accounts: list[tuple[str, int]], db_path: Path, workdir: Path, args,
                        section_id: str) -> RunResult:
    rng = random.Random(n_proc)
    procs = [AppProcess(db_path, workdir / f"app-{n_proc}-{k}.log", args.streamlit_option) for k in range(n_proc)]
    try:
        for p in procs:
            p.wait_healthy()
        sessions = args.real_users or args.sessions_per_process * n_proc
        mine = accounts[:sessions]

        # Sign in first (scrypt's 16 MiB per hash stays in the allocator's arenas: not session memory).
        cookies = []
        for k in range(0, sessions, 4):  # four sign-ins at a time, as a morning's logins trickle in
            cookies += await asyncio.gather(*(sign_in(procs[j % n_proc].url, mine[j][0], PASSWORD)
                                              for j in range(k, min(k + 4, sessions))))
        users = [FillingUser(procs[k % n_proc].url, cookies[k], mine[k][1], section_id, random.Random(k))
                 for k in range(sessions)]

        # One fill page per process first (imports, caches), then the memory baseline, then the rest.
        for user in users[:n_proc]:
            await user.open_fill_page()
        await asyncio.sleep(2.0)
        rss0 = sum(p.rss_bytes() for p in procs)
        print(f"  RSS after one open fill page per process: {rss0 / n_proc / 2**20:.0f} MiB per process", flush=True)
        open_latencies = []
        for k in range(n_proc, sessions, 4):
            for elapsed, _ in await asyncio.gather(*(u.open_fill_page() for u in users[k:k + 4])):
                open_latencies.append(elapsed)
        await asyncio.sleep(2.0)
        rss1 = sum(p.rss_bytes() for p in procs)
        result = RunResult(n_proc, sessions, (rss1 - rss0) / max(1, sessions - n_proc), open_latencies, [])
        result.rss_base = rss0 // n_proc
        cpu0 = sum(p.cpu_seconds() for p in procs)
        await asyncio.sleep(3.0)
        result.idle_cpu_cores = (sum(p.cpu_seconds() for p in procs) - cpu0) / 3.0

        budget = args.budget_ms / 1000
        if args.real_users:  # no steps: every user really waits THINK (0.5–1.5×) between clicks
            step = await run_real_think(users, procs, args.step_seconds, args.think, rng)
            result.steps.append(step)
            print(_step_line(n_proc, step, budget), flush=True)
        # More processes than cores add no CPU: start where the cores, not the processes, say.
        users_eq, refinements = args.start_users * min(n_proc, os.cpu_count() or 1), 0
        while not args.real_users and len(result.steps) < args.max_steps:
            step = await run_step(users, procs, users_eq / args.think, args.step_seconds, args.think, rng)
            result.steps.append(step)
            print(_step_line(n_proc, step, budget), flush=True)
            await asyncio.sleep(2.0)  # let the queues drain between steps
            within = [s.users_equivalent for s in result.steps if s.passed(budget)]
            over = [s.users_equivalent for s in result.steps if not s.passed(budget)]
            if not over:
                users_eq *= args.growth
                continue
            if not within:  # over budget from the start: step down until a load fits
                users_eq = min(over) / args.growth
                continue
            if refinements >= args.refine:
                break
            # Between the highest load within budget and the lowest over it (geometric mean): a finer answer.
            low, high = max(within), min(over)
            users_eq = (low * high) ** 0.5
            if high <= low or users_eq < low * 1.08:
                break
            refinements += 1
        result.acknowledged = sum(u.acknowledged for u in users)
        result.sent = sum(u.sent for u in users)
        result.rss_end = sum(p.rss_bytes() for p in procs)
        for u in users:
            await u.tab.close()
        return result
    finally:
        for p in procs:
            p.stop()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds == seconds else "–"  # NaN: nothing measured


def _step_line(n_proc: int, s: StepResult, budget: float) -> str:
    verdict = "ok" if s.passed(budget) else "OVER"
    extra = f", {s.no_idle_user} clicks found no idle user" if s.no_idle_user else ""
    kinds = Counter(e.split(":", 1)[0] for e in s.errors)
    errors = f"errors {len(s.errors)}" + (f" ({dict(kinds)})" if kinds else "")
    return (f"  {n_proc} proc · {s.users_equivalent:5.0f} users · {s.clicks:4d} clicks · p50 {_ms(s.pct(0.5)):>5} · "
            f"p95 {_ms(s.pct(0.95)):>5} · max {_ms(max(s.latencies, default=float('nan'))):>5} ms · "
            f"CPU/rerun {_ms(s.cpu_per_rerun):>3} ms (client {_ms(s.client_cpu_seconds / max(1, s.clicks))}) · "
            f"others {s.others_cores:.2f} cores, steal {s.steal_seconds / s.wall:.2f} · {errors}{extra} · {verdict}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))] if s else float("nan")


def report(results: list[RunResult], args) -> bool:
    """Print the summary table; True when every acknowledged answer landed and nothing within budget failed."""
    budget = args.budget_ms / 1000
    cores_total = os.cpu_count() or 1
    print()
    print(f"Budget: click-to-screen p95 ≤ {args.budget_ms:.0f} ms and no error shown; each user clicks every "
          f"{args.think:g} s. Machine: {cores_total} cores.")
    print("| processes | users carried (p95 ≤ budget) | p50 / p95 there | first load over budget | CPU per rerun "
          "| CPU-bound ceiling | others' CPU during steps | memory per open session | page open p50 / p95 |")
    print("|---|---|---|---|---|---|---|---|---|")
    ok = True
    for r in results:
        within = [s for s in r.steps if s.passed(budget)]
        best = max(within, key=lambda s: s.users_equivalent) if within else None
        over = min((s for s in r.steps if not s.passed(budget)), key=lambda s: s.users_equivalent, default=None)
        cpu_rerun = statistics.median([s.cpu_per_rerun for s in r.steps if s.reruns] or [float("nan")])
        # One process runs its reruns on one core at a time (the GIL); all of them share the machine's cores.
        cores = min(r.processes, cores_total)
        ceiling = args.think * cores / cpu_rerun
        others = statistics.mean([s.others_cores for s in r.steps] or [float("nan")])
        over_text = (f"{over.users_equivalent:.0f}: p95 {_ms(over.pct(0.95))} ms, {len(over.errors)} errors"
                     if over else "not reached")
        print(f"| {r.processes} | **{f'{best.users_equivalent:.0f}' if best else 'none'}** | "
              f"{f'{_ms(best.pct(0.5))} / {_ms(best.pct(0.95))} ms' if best else '–'} | {over_text} | "
              f"{_ms(cpu_rerun)} ms | {ceiling:.0f} users ({cores} core{'s' if cores > 1 else ''} at 100 %) | "
              f"{others:.2f} cores | {r.rss_per_session / 2**20:.2f} MiB ({r.sessions} sessions) | "
              f"{_ms(_pct(r.open_latencies, 0.5))} / {_ms(_pct(r.open_latencies, 0.95))} ms |")
    print()
    for r in results:
        errors = [e for s in r.steps for e in s.errors]
        landed = r.acknowledged <= r.stored <= r.sent
        print(f"{r.processes} process(es): clicks sent {r.sent}, acknowledged {r.acknowledged}, answers stored "
              f"(revisions) {r.stored}{'' if landed else '  <- MISMATCH'}; errors shown {len(errors)}"
              + (f" (first: {errors[0]})" if errors else "") + f"; idle CPU {r.idle_cpu_cores:.3f} cores; "
              f"RSS per process {r.rss_base / 2**20:.0f} MiB with one page open, "
              f"{r.rss_end / r.processes / 2**20:.0f} MiB at the end")
        ok = ok and landed and not any(s.errors for s in r.steps if s.passed(budget))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2,4", help="comma-separated process counts (default 1,2,4)")
    parser.add_argument("--sessions-per-process", type=int, default=40)
    parser.add_argument("--step-seconds", type=float, default=12.0)
    parser.add_argument("--start-users", type=float, default=50.0, help="active users per process at the first step")
    parser.add_argument("--growth", type=float, default=1.5)
    parser.add_argument("--max-steps", type=int, default=7)
    parser.add_argument("--refine", type=int, default=1, help="steps between the last load within budget and the first over")
    parser.add_argument("--think", type=float, default=10.0, help="seconds between one user's clicks (default 10)")
    parser.add_argument("--budget-ms", type=float, default=1000.0)
    parser.add_argument("--streamlit-option", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to every app process, e.g. runner.postScriptGC=false (repeatable)")
    parser.add_argument("--real-users", type=int, default=0, metavar="N",
                        help="instead of the steps: N users (in all) each really waiting THINK between clicks, "
                             "for --step-seconds; checks the steps' rate model")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    args = parser.parse_args(argv)
    counts = [int(x) for x in args.processes.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="bench-users-"))
    db_path = workdir / "zb.db"
    os.environ["ZB_DB_PATH"] = str(db_path)
    os.environ["ZB_DEMO"] = "1"
    try:
        total = args.real_users or args.sessions_per_process * max(counts)
        t0 = time.perf_counter()
        # Each process count gets its own users (a fresh sign-in, a fresh assessment): 1 + 2 + 4 sets.
        accounts = prepare_database(db_path, total * len(counts))
        section_id = scale_section()
        print(f"app processes: streamlit run serve.py {' '.join(args.streamlit_option) or '(project configuration)'}")
        print(f"bench database: {len(accounts)} enterprise users in {time.perf_counter() - t0:.0f} s; "
              f"fill page section {section_id!r}; load average {load_average()}; {os.cpu_count()} cores", flush=True)
        results = []
        for i, n_proc in enumerate(counts):
            mine = accounts[i * total:(i + 1) * total]
            print(f"{n_proc} process(es), load average before: {load_average()}", flush=True)
            r = asyncio.run(run_processes(n_proc, mine, db_path, workdir, args, section_id))
            used = [aid for _, aid in mine[:r.sessions]]
            r.stored = stored_revisions(db_path, used)
            results.append(r)
            print(f"  load average after: {load_average()}", flush=True)
        ok = report(results, args)
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
