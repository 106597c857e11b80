"""The entry point: app.py as an ASGI app (st.App) with the session-cookie routes and security headers.

Start it with `streamlit run serve.py` (Streamlit detects the st.App and serves it with uvicorn,
honouring .streamlit/config.toml and the --server.* flags), or `uvicorn serve:app`.

Routes (plain HTTP, outside the Streamlit websocket, so they can send Set-Cookie):
- /auth/complete?code=…&next=…  exchanges the one-time hand-off code the sign-in page stored in
  the database for the session token, sets it as an HttpOnly, SameSite=Strict cookie (Secure when
  the request came over HTTPS, or with ZB_COOKIE_SECURE=1) and redirects to ``next`` (a same-origin path).
- /auth/signout  clears the cookie (the session itself was already revoked by the page) and goes to /.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Route

from accounts.auth import COOKIE, safe_next
from db import users
from startup.bootstrap import check_served_address, ensure_ready

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _secure(request) -> bool:
    """HTTPS as the client sees it: the request scheme (uvicorn applies X-Forwarded-Proto from trusted proxies)."""
    forced = os.environ.get("ZB_COOKIE_SECURE", "").strip().lower() in ("1", "true", "yes", "on")
    return forced or request.url.scheme == "https"


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


async def auth_complete(request):
    code = request.query_params.get("code", "")
    target = safe_next(request.query_params.get("next"))
    token = await run_in_threadpool(lambda: users.redeem_handoff(ensure_ready(), code))
    response = RedirectResponse(target, status_code=303)
    if token:
        response.set_cookie(COOKIE, token, max_age=users.SESSION_MAX_HOURS * 3600, path="/", httponly=True,
                            samesite="strict", secure=_secure(request))
    return _no_store(response)


async def auth_signout(request):
    response = RedirectResponse("/", status_code=303)
    # A cross-site link cannot sign anyone out: the browser marks such requests (Sec-Fetch-Site).
    if request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none"):
        token = request.cookies.get(COOKIE)
        if token and len(token) <= 128:
            await run_in_threadpool(lambda: users.revoke_session(ensure_ready(), token))
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return _no_store(response)


class SecurityHeaders:
    """Pure ASGI middleware (no buffering, websockets untouched): no framing, no MIME sniffing, no referrer leaks."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.lower().encode() not in present]
                message = dict(message, headers=[*message.get("headers", []), *extra])
            await send(message)

        await self.app(scope, receive, send_with_headers)


@asynccontextmanager
async def lifespan(_app):
    """Refuse to start on a demo database served on a public address, before any request."""
    from streamlit import config

    await run_in_threadpool(lambda: check_served_address(config.get_option("server.address")))
    yield


app = st.App(
    "app.py",
    routes=[Route("/auth/complete", auth_complete), Route("/auth/signout", auth_signout)],
    middleware=[Middleware(SecurityHeaders)],
    lifespan=lifespan,
)
