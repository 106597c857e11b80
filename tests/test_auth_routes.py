"""The cookie routes of serve.py, called as ASGI handlers: HttpOnly/SameSite/Secure, one-time codes,
same-origin redirects only, sign-out that a cross-site link cannot trigger, security headers."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

import serve
from accounts.auth import safe_next
from db import users
from tests.conftest import identity_of


def request(path: str, query: str = "", scheme: str = "http", headers: dict | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "scheme": scheme, "path": path, "query_string": query.encode(),
                    "headers": raw, "server": ("127.0.0.1", 8501), "root_path": ""})


def run(coroutine):
    """Run a handler to completion in its own thread: a session-scoped Playwright browser (tests/browser) keeps an
    event loop running in the main thread, where run() is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def set_cookie_header(response) -> str:
    return response.headers.get("set-cookie", "")


@pytest.mark.parametrize(("scheme", "secure"), [("http", False), ("https", True)])
def test_complete_sets_an_httponly_strict_cookie_once(fresh_db, scheme, secure):
    token = users.open_session(fresh_db, identity_of(fresh_db, "ent1"))
    code = users.issue_handoff(fresh_db, token)
    response = run(serve.auth_complete(request("/auth/complete", f"code={code}&next=%2Fent_fill%3Fa%3D3",
                                                       scheme)))
    assert response.status_code == 303 and response.headers["location"] == "/ent_fill?a=3"
    cookie = set_cookie_header(response)
    assert cookie.startswith("zb_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert ("Secure" in cookie) is secure
    assert response.headers["cache-control"] == "no-store"
    again = run(serve.auth_complete(request("/auth/complete", f"code={code}&next=/", scheme)))
    assert set_cookie_header(again) == ""  # a code works once


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x",
                                    "evil", "", None, "/\x00x", "/" + "a" * 3000])
def test_next_must_be_a_same_origin_path(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/ent_fill?a=3&s=equipment", "/result?a=12"])
def test_same_origin_paths_are_kept(target):
    assert safe_next(target) == target


def test_signout_revokes_and_clears_but_not_from_another_site(fresh_db):
    token = users.open_session(fresh_db, identity_of(fresh_db, "ent1"))
    cross = run(serve.auth_signout(request("/auth/signout", headers={
        "cookie": f"zb_session={token}", "sec-fetch-site": "cross-site"})))
    assert set_cookie_header(cross) == ""
    assert users.resume_session(fresh_db, token, 30) is not None
    same = run(serve.auth_signout(request("/auth/signout", headers={
        "cookie": f"zb_session={token}", "sec-fetch-site": "same-origin"})))
    assert 'zb_session=""' in set_cookie_header(same) and "Max-Age=0" in set_cookie_header(same)
    assert users.resume_session(fresh_db, token, 30) is None


def test_security_headers_are_added_to_every_http_response():
    sent = []

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})

    async def collect(message):
        sent.append(message)

    run(serve.SecurityHeaders(inner)({"type": "http"}, None, collect))
    headers = dict(sent[0]["headers"])
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"content-security-policy"] == b"frame-ancestors 'none'"
    assert headers[b"referrer-policy"] == b"same-origin"
