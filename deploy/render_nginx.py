"""Write the nginx configuration for N app processes behind one TLS endpoint.

    python3 deploy/render_nginx.py --ports 8601,8602 --server-name zibo.example.cn \\
        --cert /etc/zibo/tls/fullchain.pem --key /etc/zibo/tls/privkey.pem > /etc/nginx/sites-available/zibo
    python3 deploy/render_nginx.py --trial DIR --ports 8601,8602 --listen 127.0.0.1:8443 …   (a whole nginx.conf)

Without --trial it prints a site file for Debian's nginx (http context: include it from
sites-enabled/). With --trial DIR it writes DIR/nginx.conf, a complete configuration that keeps its
pid, logs and temp files in DIR, for `nginx -p DIR -c DIR/nginx.conf` (deploy/trial.sh, the tests).

The Content-Security-Policy allows Streamlit's one inline script and the app's sign-in redirect
script by their SHA-256, computed here from the installed Streamlit's index.html and accounts/auth.py:
re-render after upgrading Streamlit or changing auth.NAVIGATE_JS (deploy/README.md).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx" / "zibo.conf.template"
def max_upload_mb() -> int:
    """server.maxUploadSize from .streamlit/config.toml (Streamlit's default 200 if absent)."""
    import tomllib

    config = tomllib.loads((HERE.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    return int(config.get("server", {}).get("maxUploadSize", 200))


def inline_script_hashes() -> list[str]:
    """'sha256-…' of every inline <script> in the installed Streamlit's index.html."""
    import streamlit

    html = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    bodies = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
    return [_sha256_source(b) for b in bodies]


def _sha256_source(script: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"


def app_script_hashes() -> list[str]:
    """The app's own fixed inline script: the sign-in/sign-out redirect (auth.NAVIGATE_JS)."""
    sys.path.insert(0, str(HERE.parent))
    from accounts.auth import NAVIGATE_JS

    return [_sha256_source(NAVIGATE_JS)]


def content_security_policy() -> str:
    """A policy Streamlit 1.67 renders under (checked in Chromium by tests/browser/test_proxy.py)."""
    return "; ".join([
        "default-src 'self'",
        # 'wasm-unsafe-eval' lets the page compile WebAssembly (Streamlit's frontend does, seen as a
        # "script-src wasm-eval" violation in Chromium); it does not allow JavaScript eval.
        "script-src " + " ".join(["'self'", "'wasm-unsafe-eval'", *inline_script_hashes(), *app_script_hashes()]),
        "style-src 'self' 'unsafe-inline'",  # Streamlit styles its components at run time (emotion)
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",  # fetches and the websocket, same origin only
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def render_site(ports: list[int], server_name: str, cert: str, key: str, listen: str, http_listen: str | None,
                access_log: str) -> str:
    text = TEMPLATE.read_text(encoding="utf-8")
    upstreams = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    redirect = ""
    if http_listen:
        redirect = (f"server {{\n    listen {http_listen};\n    server_name {server_name};\n"
                    f"    return 301 https://$host$request_uri;\n}}\n")
    values = {"UPSTREAMS": upstreams, "SERVER_NAME": server_name, "CERT": cert, "KEY": key, "LISTEN": listen,
              "HTTP_REDIRECT": redirect, "CSP": content_security_policy(), "ACCESS_LOG": access_log,
              "MAX_BODY": f"{max_upload_mb() + 5}m"}  # a little more than the app allows: multipart overhead
    return re.sub(r"@@(\w+)@@", lambda m: values[m.group(1)], text)


def render_trial(directory: Path, site: str) -> Path:
    """A standalone nginx.conf with everything (pid, logs, temp files) inside ``directory``."""
    tmp = directory / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    user = ""
    if os.geteuid() == 0:  # workers drop to www-data (Debian's nginx user); they need the temp dir
        import pwd

        www = pwd.getpwnam("www-data")
        os.chown(tmp, www.pw_uid, www.pw_gid)
        user = "user www-data;\n"
    conf = f"""{user}worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{site}
}}
"""
    path = directory / "nginx.conf"
    path.write_text(conf, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ports", required=True, help="app ports on 127.0.0.1, comma-separated (e.g. 8601,8602)")
    ap.add_argument("--server-name", default="_")
    ap.add_argument("--cert", required=True, help="TLS certificate (full chain), PEM")
    ap.add_argument("--key", required=True, help="TLS private key, PEM")
    ap.add_argument("--listen", default="443 ssl http2", help="HTTPS listen (e.g. '127.0.0.1:8443 ssl')")
    ap.add_argument("--http-listen", default="80", help="plain HTTP listen that redirects to HTTPS ('' = none)")
    ap.add_argument("--access-log", default="/var/log/nginx/zibo-access.log")
    ap.add_argument("--trial", metavar="DIR", help="write a standalone DIR/nginx.conf instead of printing a site")
    args = ap.parse_args(argv)
    ports = [int(p) for p in args.ports.split(",") if p.strip()]
    listen = args.listen if "ssl" in args.listen else f"{args.listen} ssl"
    if args.trial:
        d = Path(args.trial).resolve()
        site = render_site(ports, args.server_name, args.cert, args.key, listen, args.http_listen or None,
                           str(d / "access.log"))
        print(render_trial(d, site))
    else:
        sys.stdout.write(render_site(ports, args.server_name, args.cert, args.key, listen, args.http_listen or None,
                                     args.access_log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
