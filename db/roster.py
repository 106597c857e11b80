"""The yearly roster of above-scale manufacturers and the bureau's targets (bureau and admin only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from db import audit
from db.connection import now, write_txn
from db.identity import AccessDenied, Identity
from db.users import ensure_live
from zibo.reference import DISTRICTS

METRICS = ("ii_adoption_rate",)
CHUNK = 2_000


def require_bureau(identity: Identity) -> None:
    if identity is None or identity.role not in ("bureau", "admin"):
        raise AccessDenied("the roster and targets are for the bureau")


def _check_year(year: int) -> int:
    year = int(year)
    if not 2000 <= year <= 2100:
        raise ValueError(f"year {year} out of range 2000-2100")
    return year


def replace_roster(db, identity: Identity, year: int, rows: Iterable, *, source: str = "", skipped: int = 0,
                   progress: Callable[[int, int], None] | None = None) -> dict:
    """Replace one year's roster with ``rows`` (imports.roster.RosterRow) in one audited transaction.

    Returns {"old": rows before, "new": rows after}. ``progress(done, total)`` is called per chunk.
    """
    require_bureau(identity)
    year = _check_year(year)
    rows = list(rows)
    if not rows:
        raise ValueError("an empty roster is never imported")
    t = now()
    with write_txn(db):
        ensure_live(db, identity)
        old = db.execute("SELECT count(*) FROM roster_entries WHERE year = ?", [year]).fetchone()[0]
        db.execute("DELETE FROM roster_entries WHERE year = ?", [year])
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            db.conn.executemany(
                "INSERT INTO roster_entries (year, credit_code, name, district, industry_code, revenue, employees, "
                "source_row, imported_at) VALUES (?,?,?,?,?,?,?,?,?)",
                [(year, r.credit_code, r.name, r.district, r.industry_code, r.revenue, r.employees, r.row, t)
                 for r in chunk])
            if progress:
                progress(start + len(chunk), len(rows))
        audit.record(db, identity, "import", "roster", year, old={"rows": old},
                     new={"rows": len(rows), "file": source, "skipped_invalid_rows": skipped})
    return {"old": old, "new": len(rows)}


def roster_years(db, identity: Identity) -> list[dict]:
    """Imported roster years, newest first, with their number of enterprises and import time."""
    require_bureau(identity)
    return list(db.query("SELECT year, count(*) AS enterprises, max(imported_at) AS imported_at "
                         "FROM roster_entries GROUP BY year ORDER BY year DESC"))


def roster_entries(db, identity: Identity, year: int) -> list[dict]:
    """One year's roster, in import order."""
    require_bureau(identity)
    return list(db.query("SELECT credit_code, name, district, industry_code, revenue, employees, source_row "
                         "FROM roster_entries WHERE year = ? ORDER BY source_row, id", [int(year)]))


def list_targets(db, identity: Identity, metric: str = "ii_adoption_rate") -> list[dict]:
    """Targets of one metric, by year and scope ("city" first)."""
    require_bureau(identity)
    return list(db.query("SELECT metric, year, scope, value, updated_at, updated_by FROM targets WHERE metric = ? "
                         "ORDER BY year, CASE WHEN scope = 'city' THEN 0 ELSE 1 END, scope", [metric]))


def set_target(db, identity: Identity, metric: str, year: int, scope: str, value) -> None:
    """Create or change a target (percent, decimal text kept exact); audited with old and new value."""
    require_bureau(identity)
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if scope != "city" and scope not in DISTRICTS:
        raise ValueError(f"unknown scope {scope!r}")
    year = _check_year(year)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"target {value!r} is not a number") from None
    if not amount.is_finite() or not 0 < amount <= 100:
        raise ValueError(f"target {value!r} must be above 0 and at most 100 (percent)")
    text = format(amount.normalize(), "f")
    with write_txn(db):
        ensure_live(db, identity)
        old = db.execute("SELECT value FROM targets WHERE metric = ? AND year = ? AND scope = ?",
                         [metric, year, scope]).fetchone()
        db.execute("INSERT INTO targets (metric, year, scope, value, updated_at, updated_by) VALUES (?,?,?,?,?,?) "
                   "ON CONFLICT (metric, year, scope) DO UPDATE SET value = excluded.value, "
                   "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                   [metric, year, scope, text, now(), identity.user_id])
        audit.record(db, identity, "set_target", "target", f"{metric}/{year}/{scope}",
                     old=None if old is None else {"value": old[0]}, new={"value": text})
