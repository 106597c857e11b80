"""Password hashing with the standard library's scrypt (a slow, memory-hard KDF), and the password rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from questionnaires.model import Text

# n=2**14, r=8, p=1: about 40 ms and 16 MiB per hash on the project's 2-core machine.
N, R, P, DKLEN = 2**14, 8, 1, 32
MIN_LENGTH = 8
MAX_LENGTH = 256  # scrypt takes any length; this only bounds the work a request can ask for


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """Return 'scrypt$n$r$p$salt$hash' for a new random salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=DKLEN)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a stored hash in constant time."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password[:MAX_LENGTH].encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def password_problem(password: str) -> Text | None:
    """Why the password is not acceptable (bilingual), or None."""
    if len(password) < MIN_LENGTH:
        return Text(f"至少 {MIN_LENGTH} 个字符", f"at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        return Text(f"最多 {MAX_LENGTH} 个字符", f"at most {MAX_LENGTH} characters")
    if password.isdigit() or password.isalpha():
        return Text("须同时包含字母和数字", "mix letters and digits")
    return None
