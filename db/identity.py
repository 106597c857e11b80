"""The signed-in identity every private query is filtered by, and the access errors."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("enterprise", "provider", "bureau", "admin")


@dataclass(frozen=True)
class Identity:
    """Who acts. ``session`` is the SHA-256 of the sign-in token this identity came from;
    every write re-checks that session inside its transaction (db/users.py ensure_live).
    None means a trusted in-process caller (command line, demo seeding, tests).
    """

    user_id: int
    username: str
    role: str
    display_name: str = ""
    enterprise_id: int | None = None
    provider_id: int | None = None
    session: str | None = field(default=None, compare=False, repr=False)
    must_change_password: bool = field(default=False, compare=False)


class AccessDenied(Exception):
    """The identity may not read or change this record."""


class NotFound(Exception):
    """No such record (or none this identity may see)."""


class SessionEnded(Exception):
    """The sign-in session behind a write is over (signed out, revoked, expired, idle, user deactivated
    or a password change pending); nothing was stored."""
