"""Two app processes behind nginx (deploy/), in Chromium over HTTPS with the self-signed trial certificate.

- sign in and answer through the proxy; kill the process that served the browser; the user goes on
  on the other process, still signed in, with every answer kept (HttpOnly cookie + DB-backed session);
- the session cookie is Secure (X-Forwarded-Proto from the trusted proxy) and HttpOnly;
- an upload (roster import) and data tables work through the proxy;
- the proxy's security headers are on every response, /_stcore/metrics is refused, and no
  Content-Security-Policy violation happens on the sign-in, fill and results pages (charts included).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, CHROMIUM, ROOT, TIMEOUT, close_context, copy_db

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)
if NGINX is None:
    pytest.skip("nginx not installed (apt-get install nginx; scripts/test.sh does)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

from playwright.sync_api import expect  # noqa: E402

from .test_browser import sign_in, wait_for_cookie, wait_idle  # noqa: E402
from .test_fill_browser import _draft, _stored  # noqa: E402
from .test_results_browser import _prepare  # noqa: E402

pytestmark = pytest.mark.browser
COOKIE_SECRET = "0" * 24 + "shared-by-both-processes"
CSP_PROBE = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """nginx with the configuration deploy/render_nginx.py renders for a trial, in the foreground."""

    def __init__(self, directory: Path, ports: list[int]):
        self.dir = directory
        self.port = _free_port()
        subprocess.run(["bash", str(ROOT / "deploy" / "selfsigned.sh"), str(directory / "tls")], check=True,
                       capture_output=True)
        subprocess.run([sys.executable, str(ROOT / "deploy" / "render_nginx.py"), "--trial", str(directory),
                        "--ports", ",".join(map(str, ports)), "--server-name", "localhost",
                        "--cert", str(directory / "tls" / "cert.pem"), "--key", str(directory / "tls" / "key.pem"),
                        "--listen", f"127.0.0.1:{self.port} ssl", "--http-listen", ""], check=True,
                       capture_output=True)
        conf = str(directory / "nginx.conf")
        self.proc = subprocess.Popen([NGINX, "-p", str(directory), "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("nginx did not listen")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def upstreams_of(self, route: str) -> list[str]:
        """The app processes (127.0.0.1:port) that served requests carrying this route cookie, in order."""
        log = (self.dir / "access.log").read_text(encoding="utf-8")
        return re.findall(rf"route={re.escape(route)} upstream=([\d.:]+)\s", log)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(params=["sqlite"])
def engine_db(request, seeded_db, tmp_path):
    """The database the two processes share: a copy of the demo SQLite file, or a demo-seeded PostgreSQL
    database (the failover test asks for both)."""
    if request.param == "sqlite":
        yield copy_db(seeded_db, tmp_path / "zb.db"), None
        return
    import os

    if not os.environ.get("ZB_TEST_DATABASE_URL"):
        pytest.skip("no PostgreSQL server (ZB_TEST_DATABASE_URL; scripts/test.sh starts one)")
    from tests import pg

    url = pg.create_seeded()
    yield url, url
    pg.drop(url)


@pytest.fixture
def cluster(server_factory, engine_db, tmp_path, monkeypatch):
    """Two `streamlit run serve.py` processes on one database, behind nginx with TLS."""
    monkeypatch.setenv("STREAMLIT_SERVER_COOKIE_SECRET", COOKIE_SECRET)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
    monkeypatch.delenv("ZB_COOKIE_SECURE", raising=False)  # Secure must come from the proxy's X-Forwarded-Proto
    db, database_url = engine_db
    holder: dict = {"db": db}

    def start():
        holder["servers"] = [server_factory(f"proxied{i}", db_path=None if database_url else db,
                                            database_url=database_url).start() for i in (1, 2)]
        proxy_dir = tmp_path / "nginx"
        proxy_dir.mkdir()
        holder["proxy"] = Proxy(proxy_dir, [s.port for s in holder["servers"]])
        return holder["servers"], holder["proxy"]

    yield holder, start
    if "proxy" in holder:
        if (holder["proxy"].dir / "access.log").exists():
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copyfile(holder["proxy"].dir / "access.log", ARTIFACTS / "proxy-access.log")
        holder["proxy"].stop()
    for srv in holder.get("servers", []):
        srv.stop()


@pytest.fixture
def https_page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", ignore_https_errors=True)
    ctx.set_default_timeout(TIMEOUT)
    ctx.add_init_script(CSP_PROBE)
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.csp_console = console
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / "proxy-last.png"), full_page=True)
    except Exception as exc:  # a closed page must not hide the test's own result
        print(f"screenshot failed: {exc}")
    close_context(ctx)


def _violations(page) -> list[str]:
    return [*page.evaluate("window.__csp || []"), *page.csp_console]


def _cookie(page, name: str) -> dict:
    return next(c for c in page.context.cookies() if c["name"] == name and c["value"])


def _choose(page, label: str) -> None:
    option = page.locator('[data-testid="stRadioOption"]', has_text=label)
    expect(option).to_be_visible(timeout=TIMEOUT)
    option.click()
    expect(page.get_by_role("radio", name=label)).to_be_checked(timeout=TIMEOUT)
    wait_idle(page)


@pytest.mark.parametrize("engine_db", ["sqlite", "postgresql"], indirect=True)
def test_failover_keeps_the_user_signed_in_and_every_answer(cluster, https_page):
    holder, start = cluster
    db = holder["db"]
    aid = _draft(db, "ent1", "ii_adoption")
    servers, proxy = start()
    page = https_page

    sign_in(page, proxy.url, "ent1")
    wait_for_cookie(page, True)
    session = _cookie(page, "zb_session")
    assert session["httpOnly"] and session["secure"], session
    route = _cookie(page, "zb_route")
    assert route["httpOnly"] and route["secure"], route

    page.goto(f"{proxy.url}/ent_fill?a={aid}&s=platform")
    wait_idle(page)
    _choose(page, "使用第三方平台")
    _choose(page, "省级工业互联网平台")
    for _ in range(100):
        if _stored(db, aid, "platform_tier"):
            break
        time.sleep(0.1)
    assert json.loads(_stored(db, aid, "platform_use")[0]) == "third_party"
    assert json.loads(_stored(db, aid, "platform_tier")[0]) == "provincial"

    served = set(proxy.upstreams_of(route["value"]))
    assert len(served) == 1, f"one browser, one process (sticky): {served}"
    first = served.pop()
    victim = next(s for s in servers if first.endswith(f":{s.port}"))
    survivor = next(s for s in servers if s is not victim)
    victim.stop(hard=True)  # SIGKILL: a crash, not a shutdown

    page.reload()  # the websocket to the dead process is gone; the proxy sends the browser on
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    expect(page.get_by_role("radio", name="使用第三方平台")).to_be_checked()
    expect(page.get_by_role("radio", name="省级工业互联网平台")).to_be_checked()
    _choose(page, "行业或区域平台")
    for _ in range(100):
        stored = _stored(db, aid, "platform_tier")
        if stored and json.loads(stored[0]) == "industry":
            break
        time.sleep(0.1)
    assert json.loads(_stored(db, aid, "platform_tier")[0]) == "industry"
    assert json.loads(_stored(db, aid, "platform_use")[0]) == "third_party"
    assert _cookie(page, "zb_session")["value"] == session["value"], "no new sign-in"
    assert proxy.upstreams_of(route["value"])[-1] == f"127.0.0.1:{survivor.port}"
    assert _violations(page) == []


def test_headers_metrics_and_csp_with_charts(cluster, https_page):
    holder, start = cluster
    aid = _prepare(holder["db"])
    _servers, proxy = start()
    page = https_page

    api = page.context.request
    home = api.get(proxy.url + "/")
    assert home.status == 200
    headers = home.headers
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split()
    assert "'unsafe-eval'" not in script_src and "'unsafe-inline'" not in script_src, script_src
    assert api.get(proxy.url + "/_stcore/metrics").status == 403
    assert api.get(proxy.url + "/_stcore/health").status == 200

    sign_in(page, proxy.url, "ent1")
    page.goto(f"{proxy.url}/result?a={aid}")
    expect(page.get_by_text("是什么让您停留在当前等级")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    expect(charts).to_have_count(2, timeout=TIMEOUT)
    expect(charts.first.locator("canvas, svg").first).to_be_visible(timeout=TIMEOUT)
    assert _violations(page) == []


def test_upload_and_tables_through_the_proxy(cluster, https_page):
    """A file upload (PUT /_stcore/upload_file with the XSRF cookie) and data tables work behind nginx and its CSP."""
    _holder, start = cluster
    _servers, proxy = start()
    page = https_page
    sign_in(page, proxy.url, "bureau1")
    page.get_by_role("link", name="工业互联网应用率").click()
    wait_idle(page)
    page.get_by_role("tab", name="规上企业名录导入").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(ROOT / "docs" / "sample-roster.csv"))
    wait_idle(page)
    expect(page.get_by_text("文件检查通过，可以导入。")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="导入 20 家企业").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"已导入 \d+ 年名录：20 家企业"))).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("tab", name="指标").click()
    expect(page.get_by_text("6 / 20 家已有评估结果")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=TIMEOUT)
    assert _violations(page) == []
