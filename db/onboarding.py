"""Onboarding from the roster: enterprise records and accounts in bulk, with one-time passwords.

Matching is by credit code: an enterprise already on record is reused, never created again
(the unique index on enterprises.credit_code backs this up), and an enterprise that already
has an enterprise account gets no second one, so re-running issues passwords only to the new.
Accounts are written in small transactions (each password is a slow scrypt hash, ~80 ms) so
other users' writes are never held up for long; each transaction re-checks before it writes.
Every enterprise and account created is audited, plus one summary entry per run.

Decision: no self-registration form. A sign-up form on the public sign-in page would let anyone
who knows a credit code (it is printed on every invoice) claim an enterprise; the bureau already
holds the roster, so it creates the accounts and hands the one-time passwords over in person or
through the district offices.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from db import audit
from db.connection import now, write_txn
from db.roster import require_bureau
from db.users import create_user, ensure_live

CHUNK = 10  # accounts per transaction (about 1 s of hashing)


@dataclass(frozen=True)
class Issued:
    """One account created in this run: what goes on the sheet handed to the enterprise."""

    name: str
    credit_code: str
    username: str
    password: str


def onboarding_status(db, identity, year: int, district: str | None = None) -> dict:
    """Roster entries of the year (optionally one district), how many have an enterprise record and an account."""
    require_bureau(identity)
    where, params = ("AND r.district = ?", [int(year), district]) if district else ("", [int(year)])
    row = db.execute(
        "SELECT count(*), count(e.id), "
        "count(CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.enterprise_id = e.id AND u.role = 'enterprise') "
        "THEN 1 END) "
        f"FROM roster_entries r LEFT JOIN enterprises e ON e.credit_code = r.credit_code WHERE r.year = ? {where}",
        params).fetchone()
    return {"roster": row[0], "with_record": row[1], "with_account": row[2]}


def _pending(db, year: int, district: str | None) -> list[dict]:
    where, params = ("AND r.district = ?", [year, district]) if district else ("", [year])
    return list(db.query(
        "SELECT r.credit_code, r.name, r.district, r.industry_code FROM roster_entries r "
        "LEFT JOIN enterprises e ON e.credit_code = r.credit_code "
        f"WHERE r.year = ? {where} AND (e.id IS NULL OR NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.enterprise_id = e.id AND u.role = 'enterprise')) "
        "ORDER BY r.source_row, r.id", params))


def one_time_password() -> str:
    """12 characters of letters, digits, - and _, never all letters or all digits."""
    password = secrets.token_urlsafe(9)
    while password.isalpha() or password.isdigit():
        password = secrets.token_urlsafe(9)
    return password


def _free_username(db, credit_code: str) -> str:
    """The credit code itself, or the credit code with a suffix if someone already holds it."""
    candidate, n = credit_code, 1
    while db.execute("SELECT 1 FROM users WHERE username = ?", [candidate]).fetchone():
        n += 1
        candidate = f"{credit_code}-{n}"
    return candidate


def _onboard_one(db, identity, entry: dict, created: dict) -> Issued | None:
    row = db.execute("SELECT id FROM enterprises WHERE credit_code = ?", [entry["credit_code"]]).fetchone()
    if row is None:
        cur = db.execute(
            "INSERT INTO enterprises (credit_code, name, district, industry_code, above_scale, created_at) "
            "VALUES (?,?,?,?,1,?) RETURNING id", [entry["credit_code"], entry["name"], entry["district"], entry["industry_code"],
                                     now()])
        enterprise_id = cur.fetchall()[0][0]
        audit.record(db, identity, "onboard_create", "enterprise", enterprise_id,
                     new={"credit_code": entry["credit_code"], "name": entry["name"], "district": entry["district"]})
        created["enterprises"] += 1
    else:
        enterprise_id = row[0]
        if db.execute("SELECT 1 FROM users WHERE enterprise_id = ? AND role = 'enterprise'",
                      [enterprise_id]).fetchone():
            return None  # someone else onboarded it meanwhile
    username = _free_username(db, entry["credit_code"])
    password = one_time_password()
    user_id = create_user(db, username, password, "enterprise", entry["name"], enterprise_id=enterprise_id,
                          must_change_password=True)
    audit.record(db, identity, "create_user", "user", user_id,
                 new={"username": username, "role": "enterprise", "onboarding": True})
    created["accounts"] += 1
    return Issued(entry["name"], entry["credit_code"], username, password)


def onboard(db, identity, year: int, district: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> tuple[list[Issued], dict]:
    """Create the missing enterprise records and accounts for a roster year (optionally one district).

    Returns the accounts issued in this run (their passwords exist only here: hand them over,
    they are stored hashed) and counts {"enterprises": created, "accounts": created, "pending": considered}.
    """
    require_bureau(identity)
    year = int(year)
    pending = _pending(db, year, district)
    created = {"enterprises": 0, "accounts": 0, "pending": len(pending)}
    issued: list[Issued] = []
    for start in range(0, len(pending), CHUNK):
        with write_txn(db):
            ensure_live(db, identity)
            for entry in pending[start:start + CHUNK]:
                one = _onboard_one(db, identity, entry, created)
                if one is not None:
                    issued.append(one)
        if progress:
            progress(min(start + CHUNK, len(pending)), len(pending))
    with write_txn(db):
        audit.record(db, identity, "onboard", "roster", year,
                     new={"district": district, "enterprises_created": created["enterprises"],
                          "accounts_created": created["accounts"]})
    return issued, created
