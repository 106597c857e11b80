"""The adoption KPI: share of roster enterprises whose effective adoption result says "applies".

Definition (there is no official formula; see docs/kpi.md):
- denominator: every enterprise on the chosen year's roster, respondent or not;
- numerator: roster enterprises whose latest assessment's effective result says "applies",
  effective = the verified result where one exists, otherwise the self-assessed one
  (``Definition(count_self_assessed=False)`` counts verified results only);
- coverage: roster enterprises with any stored result ÷ roster.
Counts are integers, rates exact Fractions; rounding happens only in ``percent_text``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from zibo.reference import DISTRICTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
Quarter = tuple[int, int]  # (year, 1..4), Asia/Shanghai


@dataclass(frozen=True)
class Definition:
    count_self_assessed: bool = True


@dataclass(frozen=True)
class Standing:
    """One roster enterprise's position in the KPI."""

    assessed: bool
    applies: bool
    verified: bool  # the effective result is a verified one
    awaiting_review: bool  # its latest assessment is submitted and not yet reviewed
    when: str | None  # UTC time of the effective result (verification, else submission)


def standing(row: dict, definition: Definition = Definition()) -> Standing:
    verified = row.get("verified_outcome") is not None
    self_result = row.get("self_outcome") is not None
    if verified:
        applies, when = bool(row["verified_outcome"]), row.get("verified_at")
    elif self_result and definition.count_self_assessed:
        applies, when = bool(row["self_outcome"]), row.get("submitted_at")
    else:
        applies, when = False, row.get("submitted_at") if self_result else None
    return Standing(verified or self_result, applies, verified, row.get("status") == "submitted", when)


@dataclass(frozen=True)
class Tally:
    roster: int = 0
    assessed: int = 0
    applying: int = 0
    applying_verified: int = 0
    applying_self: int = 0
    awaiting_review: int = 0

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.applying, self.roster) if self.roster else None

    @property
    def coverage(self) -> Fraction | None:
        return Fraction(self.assessed, self.roster) if self.roster else None


def _counts(s: Standing) -> tuple[int, int, int, int, int, int]:
    return (1, s.assessed, s.applies, s.applies and s.verified, s.applies and not s.verified,
            s.assessed and s.awaiting_review)


def tally(rows: Iterable[dict], definition: Definition = Definition()) -> Tally:
    """Counts over all ``rows`` (one per roster enterprise)."""
    return tally_by(rows, None, definition)[None]


def tally_by(rows: Iterable[dict], key: str | None, definition: Definition = Definition(),
             keys: Iterable[str] = ()) -> dict:
    """Tally per value of ``key`` (e.g. "district"; None = one group); ``keys`` come first, even if empty."""
    sums: dict = {k: [0] * 6 for k in keys}
    if key is None:
        sums[None] = [0] * 6
    for row in rows:
        group = sums.setdefault(None if key is None else row[key], [0] * 6)
        for i, n in enumerate(_counts(standing(row, definition))):
            group[i] += n
    return {k: Tally(*v) for k, v in sums.items()}


def by_district(rows, definition: Definition = Definition()) -> dict[str, Tally]:
    """All 11 districts and zones, in reference order."""
    return tally_by(rows, "district", definition, DISTRICTS)


def by_industry(rows, definition: Definition = Definition()) -> dict[str, Tally]:
    """Industry divisions present on the roster, by code."""
    return dict(sorted(tally_by(rows, "industry_code", definition).items()))


def only(rows: Iterable[dict], district: str | None = None, industry: str | None = None) -> list[dict]:
    """Roster rows of one district and/or industry division (None = all)."""
    return [r for r in rows if (district is None or r["district"] == district)
            and (industry is None or r["industry_code"] == industry)]


# --- targets and the gap -------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    value: Fraction  # percent
    year: int
    scope: str


def target_for(targets: Iterable[dict], year: int, scope: str = "city") -> Target | None:
    """The target in force for a roster year: the scope's own target if any, else the city's.

    Among one scope's targets: the nearest one due in or after ``year``; when all are due
    earlier, the latest of them (a target stays in force until a new one is set).
    """
    for wanted in dict.fromkeys([scope, "city"]):
        mine = sorted((int(t["year"]), Fraction(t["value"])) for t in targets if t["scope"] == wanted)
        if not mine:
            continue
        later = [t for t in mine if t[0] >= year]
        chosen = later[0] if later else mine[-1]
        return Target(chosen[1], chosen[0], wanted)
    return None


def required(target: Fraction, roster: int) -> int:
    """Smallest number of applying enterprises that reaches ``target`` percent of ``roster``."""
    return math.ceil(target * roster / 100)


def gap(tally_: Tally, target: Fraction) -> int:
    """Enterprises still needed to reach the target ("还需 N 家"); 0 when reached."""
    return max(0, required(target, tally_.roster) - tally_.applying)


# --- quarters, trend and projection --------------------------------------------------------------

def quarter_of(utc_iso: str) -> Quarter:
    """Asia/Shanghai quarter of a stored UTC time."""
    moment = datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(SHANGHAI)
    return moment.year, (moment.month - 1) // 3 + 1


def quarter_of_date(day: date) -> Quarter:
    return day.year, (day.month - 1) // 3 + 1


def next_quarter(q: Quarter, steps: int = 1) -> Quarter:
    index = q[0] * 4 + (q[1] - 1) + steps
    return index // 4, index % 4 + 1


@dataclass(frozen=True)
class QuarterPoint:
    quarter: Quarter
    new_applying: int  # applying enterprises whose effective result is dated in this quarter
    applying: int  # cumulative to the end of the quarter
    assessed: int  # cumulative
    roster: int

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.applying, self.roster) if self.roster else None

    @property
    def coverage(self) -> Fraction | None:
        return Fraction(self.assessed, self.roster) if self.roster else None


def trend(rows: Iterable[dict], until: Quarter, definition: Definition = Definition()) -> list[QuarterPoint]:
    """Cumulative applying and assessed per quarter, from the first dated result to ``until``.

    Each enterprise's current effective result is dated by its verification time (else its
    submission time); superseded results are not replayed, so the trend shows when today's
    figure was built up, not what was reported at each quarter's end.
    """
    rows = list(rows)
    roster = len(rows)
    applying: dict[Quarter, int] = {}
    assessed: dict[Quarter, int] = {}
    for row in rows:
        s = standing(row, definition)
        if not s.assessed or not s.when:
            continue
        q = quarter_of(s.when)
        assessed[q] = assessed.get(q, 0) + 1
        if s.applies:
            applying[q] = applying.get(q, 0) + 1
    if not assessed:
        return []
    q, last = min(assessed), max(until, max(assessed))
    points, cum_applying, cum_assessed = [], 0, 0
    while q <= last:
        cum_applying += applying.get(q, 0)
        cum_assessed += assessed.get(q, 0)
        points.append(QuarterPoint(q, applying.get(q, 0), cum_applying, cum_assessed, roster))
        q = next_quarter(q)
    return points


@dataclass(frozen=True)
class Projection:
    pace: Fraction  # applying enterprises added per quarter over the window
    window: int  # quarters the pace is averaged over
    needed: int  # enterprises still needed
    reached: Quarter | None  # quarter the target is reached at this pace; None if never (pace 0)
    already: bool


def project(points: list[QuarterPoint], target: Fraction, window: int = 4) -> Projection | None:
    """When the target is reached if the last ``window`` quarters' average pace continues (linear)."""
    if not points:
        return None
    last = points[-1]
    needed = max(0, required(target, last.roster) - last.applying)
    recent = points[-window:]
    pace = Fraction(sum(p.new_applying for p in recent), len(recent))
    if needed == 0:
        return Projection(pace, len(recent), 0, last.quarter, True)
    if pace == 0:
        return Projection(pace, len(recent), needed, None, False)
    return Projection(pace, len(recent), needed, next_quarter(last.quarter, math.ceil(needed / pace)), False)


def percent_text(value: Fraction | None, digits: int = 1) -> str:
    """A share as a percentage for display ("12.5 %"), rounded half up; "—" when undefined."""
    if value is None:
        return "—"
    hundred = value * 100
    exact = Decimal(hundred.numerator) / Decimal(hundred.denominator)
    return f"{exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)} %"


def meets(value: Fraction | None, target: Fraction) -> bool:
    """Rate (a share) at or above a target (a percent), exactly."""
    return value is not None and value * 100 >= target
