"""The signed-in identity every private query is filtered by, and the access errors."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("enterprise", "provider", "bureau", "admin")


@dataclass(frozen=True)
class Identity:
    user_id: int
    username: str
    role: str
    display_name: str = ""
    enterprise_id: int | None = None
    provider_id: int | None = None


class AccessDenied(Exception):
    """The identity may not read or change this record."""


class NotFound(Exception):
    """No such record (or none this identity may see)."""
