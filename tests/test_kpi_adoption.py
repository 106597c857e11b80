"""Adoption KPI on a small hand-made roster: db rows (stored results only) and the exact arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest

from db.identity import AccessDenied, Identity
from imports.roster import RosterRow
from kpi import adoption as kpi
from zibo.reference import with_check_character

BUREAU = Identity(1, "bureau", "bureau", "工信局")


def code(i: int) -> str:
    return with_check_character(f"91370303MA{i:07d}")


# (key, district, division, has enterprise account)
ROSTER = [("E1", "zhangdian", "26", True), ("E2", "zhangdian", "26", True), ("E3", "zhangdian", "34", True),
          ("E4", "zichuan", "34", True), ("E5", "zichuan", "30", False), ("E6", "boshan", "30", True),
          ("E7", "boshan", "30", True), ("E8", "linzi", "26", True), ("E9", "linzi", "26", True),
          ("E10", "linzi", "29", True)]
# (enterprise, status, submitted_at, self outcome, verified outcome, verified_at); None = no such result
ASSESSMENTS = [
    ("E1", "verified", "2025-01-10T02:00:00Z", 0, 1, "2025-04-02T02:00:00Z"),  # verified beats self
    ("E2", "submitted", "2025-02-01T02:00:00Z", 1, None, None),  # self, awaiting review
    ("E3", "verified", "2025-03-01T02:00:00Z", 1, 0, "2025-03-20T02:00:00Z"),  # verified "no" beats self "yes"
    ("E4", "submitted", "2025-03-01T02:00:00Z", 0, None, None),
    ("E7", "returned", "2024-12-31T16:30:00Z", 1, None, None),  # 2025-01-01 00:30 in Shanghai: Q1 2025
    ("E8", "verified", "2025-01-05T02:00:00Z", 1, 1, "2025-01-20T02:00:00Z"),
    ("E8", "submitted", "2025-05-05T02:00:00Z", 0, None, None),  # the latest assessment decides
    ("E9", "draft", None, None, None, None),  # no result: a non-respondent
    ("E10", "verified", "2025-07-01T02:00:00Z", 0, 1, "2025-07-15T02:00:00Z"),
    ("OUT", "verified", "2025-02-01T02:00:00Z", 1, 1, "2025-02-02T02:00:00Z"),  # not on the roster
]


def add_result(db, aid: int, kind: str, outcome: int, at: str) -> None:
    db.execute("INSERT INTO results (assessment_id, kind, questionnaire_id, questionnaire_version, scoring_method, "
               "scoring_version, computed_at, is_current, outcome, detail) VALUES (?,?,?,?,?,?,?,1,?,?)",
               [aid, kind, "ii_adoption", "1", "ii_rule", "t1", at, outcome, "{}"])


@pytest.fixture
def kdb(empty_db_location):
    from db.connection import forget_connections, get_db
    from db.roster import replace_roster

    db = get_db(empty_db_location)
    ids = {}
    for i, (key, district, division, account) in enumerate(ROSTER, start=1):
        if account:
            ids[key] = db.execute("INSERT INTO enterprises (credit_code, name, district, industry_code, created_at) "
                                  "VALUES (?,?,?,?,?) RETURNING id", [code(i), key, district, division, "2025-01-01T00:00:00Z"]).fetchall()[0][0]
    ids["OUT"] = db.execute("INSERT INTO enterprises (credit_code, name, district, created_at) VALUES (?,?,?,?) RETURNING id",
                            [code(99), "OUT", "zhangdian", "2025-01-01T00:00:00Z"]).fetchall()[0][0]
    for key, status, submitted, self_outcome, verified_outcome, verified_at in ASSESSMENTS:
        aid = db.execute("INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, "
                         "created_at, submitted_at, verified_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
                         [ids[key], "ii_adoption", "1", status, "2024-12-01T00:00:00Z", submitted, verified_at]).fetchall()[0][0]
        if self_outcome is not None:
            add_result(db, aid, "self", self_outcome, submitted)
        if verified_outcome is not None:
            add_result(db, aid, "verified", verified_outcome, verified_at)
    # another questionnaire's result never counts
    aid = db.execute("INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, created_at, "
                     "submitted_at) VALUES (?,?,?,?,?,?) RETURNING id", [ids["E6"], "cmmm_quick", "1", "submitted",
                                                            "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"]).fetchall()[0][0]
    db.execute("INSERT INTO results (assessment_id, kind, questionnaire_id, questionnaire_version, scoring_method, "
               "scoring_version, computed_at, outcome, detail) VALUES (?,?,?,?,?,?,?,?,?)",
               [aid, "self", "cmmm_quick", "1", "cmmm", "t1", "2025-01-02T00:00:00Z", 1, "{}"])
    replace_roster(db, BUREAU, 2025, [RosterRow(i, code(i), key, d, div, None, None)
                                      for i, (key, d, div, _) in enumerate(ROSTER, start=1)])
    db.ids = ids
    yield db
    forget_connections()


def rows_of(db, year=2025):
    from db.kpi import adoption_rows

    return adoption_rows(db, BUREAU, year)


def test_city_tally_counts_the_whole_roster(kdb):
    rows = rows_of(kdb)
    assert [r["name"] for r in rows] == [k for k, *_ in ROSTER]  # non-respondents stay, OUT is excluded
    t = kpi.tally(rows)
    assert (t.roster, t.assessed, t.applying, t.applying_verified, t.applying_self, t.awaiting_review) == (10, 7, 4, 2, 2, 3)
    assert t.rate == Fraction(4, 10) and t.coverage == Fraction(7, 10)
    assert kpi.percent_text(t.rate) == "40.0 %"


def test_verified_beats_self_and_latest_assessment_decides(kdb):
    by_name = {r["name"]: kpi.standing(r) for r in rows_of(kdb)}
    assert by_name["E1"].applies and by_name["E1"].verified
    assert not by_name["E3"].applies and by_name["E3"].verified
    assert not by_name["E8"].applies and by_name["E8"].awaiting_review
    assert by_name["E2"].applies and not by_name["E2"].verified and by_name["E2"].awaiting_review
    assert not by_name["E5"].assessed and not by_name["E6"].assessed and not by_name["E9"].assessed


def test_verified_only_definition(kdb):
    t = kpi.tally(rows_of(kdb), kpi.Definition(count_self_assessed=False))
    assert (t.applying, t.applying_verified, t.applying_self, t.assessed) == (2, 2, 0, 7)


def test_gap_to_target_in_enterprises(kdb):
    t = kpi.tally(rows_of(kdb))
    assert kpi.required(Fraction(45), 10) == 5
    assert kpi.gap(t, Fraction(45)) == 1
    assert kpi.gap(t, Fraction(40)) == 0 and kpi.meets(t.rate, Fraction(40))
    assert not kpi.meets(t.rate, Fraction("40.01"))


@pytest.mark.parametrize("district,expected", [
    ("zhangdian", (3, 3, 2, 1, 1, 1)), ("zichuan", (2, 1, 0, 0, 0, 1)), ("boshan", (2, 1, 1, 0, 1, 0)),
    ("linzi", (3, 2, 1, 1, 0, 1)), ("gaoqing", (0, 0, 0, 0, 0, 0)),
])
def test_district_filter(kdb, district, expected):
    rows = rows_of(kdb)
    t = kpi.tally(kpi.only(rows, district))
    assert (t.roster, t.assessed, t.applying, t.applying_verified, t.applying_self, t.awaiting_review) == expected
    assert kpi.by_district(rows)[district] == t


def test_by_district_lists_all_eleven_units_and_sums_to_the_city(kdb):
    rows = rows_of(kdb)
    tallies = kpi.by_district(rows)
    assert len(tallies) == 11
    assert sum(t.roster for t in tallies.values()) == 10 and sum(t.applying for t in tallies.values()) == 4


def test_by_industry(kdb):
    tallies = kpi.by_industry(rows_of(kdb))
    assert list(tallies) == ["26", "29", "30", "34"]
    assert (tallies["26"].roster, tallies["26"].applying) == (4, 2)
    assert (tallies["29"].roster, tallies["29"].applying) == (1, 1)


def test_quarter_trend_in_shanghai_time(kdb):
    points = kpi.trend(rows_of(kdb), until=(2025, 4))
    assert [(p.quarter, p.new_applying, p.applying, p.assessed) for p in points] == [
        ((2025, 1), 2, 2, 4), ((2025, 2), 1, 3, 6), ((2025, 3), 1, 4, 7), ((2025, 4), 0, 4, 7)]
    assert points[-1].rate == Fraction(4, 10)


def test_projection_at_current_pace(kdb):
    points = kpi.trend(rows_of(kdb), until=(2025, 4))
    p = kpi.project(points, Fraction(45))
    assert (p.pace, p.window, p.needed, p.reached, p.already) == (Fraction(1), 4, 1, (2026, 1), False)
    assert kpi.project(points, Fraction(40)).already
    stalled = kpi.trend(rows_of(kdb), until=(2026, 4))
    assert kpi.project(stalled, Fraction(45)).reached is None


def test_one_more_verification_moves_the_figure_by_one_enterprise(kdb):
    from db.assessments import store_result

    before = kpi.tally(rows_of(kdb))
    aid = kdb.execute("SELECT id FROM assessments WHERE enterprise_id = ?", [kdb.ids["E4"]]).fetchone()[0]
    store_result(kdb, aid, "verified", "ii_adoption", "1", {"method": "ii_rule", "scoring_version": "t1", "outcome": True})
    kdb.execute("UPDATE assessments SET status = 'verified', verified_at = '2025-10-01T00:00:00Z' WHERE id = ?", [aid])
    after = kpi.tally(rows_of(kdb))
    assert after.applying == before.applying + 1 and after.applying_verified == before.applying_verified + 1
    assert after.awaiting_review == before.awaiting_review - 1 and after.roster == before.roster


def test_other_roster_year_is_separate(kdb):
    assert rows_of(kdb, 2024) == []


@pytest.mark.parametrize("role", ["enterprise", "provider"])
def test_only_the_bureau_reads_kpi_rows(kdb, role):
    from db.kpi import adoption_rows

    with pytest.raises(AccessDenied):
        adoption_rows(kdb, Identity(5, "x", role, enterprise_id=kdb.ids["E1"], provider_id=1), 2025)


@pytest.mark.parametrize("targets,year,scope,expected", [
    ([{"year": 2025, "scope": "city", "value": "45"}], 2024, "city", (Fraction(45), 2025, "city")),
    ([{"year": 2025, "scope": "city", "value": "45"}], 2026, "zichuan", (Fraction(45), 2025, "city")),
    ([{"year": 2025, "scope": "city", "value": "45"}, {"year": 2027, "scope": "city", "value": "55.5"}], 2026, "city",
     (Fraction(111, 2), 2027, "city")),
    ([{"year": 2025, "scope": "city", "value": "45"}, {"year": 2025, "scope": "linzi", "value": "50"}], 2025, "linzi",
     (Fraction(50), 2025, "linzi")),
])
def test_target_in_force(targets, year, scope, expected):
    t = kpi.target_for(targets, year, scope)
    assert (t.value, t.year, t.scope) == expected


def test_no_target_and_empty_roster():
    assert kpi.target_for([], 2025) is None
    assert kpi.tally([]).rate is None and kpi.percent_text(None) == "—"
    assert kpi.trend([], until=(2025, 1)) == []


@pytest.mark.parametrize("utc,quarter", [("2025-03-31T15:59:59Z", (2025, 1)), ("2025-03-31T16:00:00Z", (2025, 2)),
                                         ("2024-12-31T16:00:00.000000Z", (2025, 1))])
def test_quarter_boundaries_are_shanghai(utc, quarter):
    assert kpi.quarter_of(utc) == quarter


# --- invariants over random rosters (hypothesis) ---------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from zibo.reference import DISTRICTS  # noqa: E402

_row = st.fixed_dictionaries({
    "district": st.sampled_from(list(DISTRICTS)),
    "industry_code": st.sampled_from(["13", "26", "30", "34"]),
    "status": st.sampled_from([None, "submitted", "returned", "verified"]),
    "self_outcome": st.sampled_from([None, 0, 1]),
    "verified_outcome": st.sampled_from([None, 0, 1]),
    "submitted_at": st.sampled_from(["2024-12-31T16:30:00Z", "2025-05-01T00:00:00Z", "2025-08-01T00:00:00Z"]),
    "verified_at": st.sampled_from(["2025-06-30T16:00:00Z", "2025-09-01T00:00:00Z"]),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(_row, max_size=40), st.sampled_from([Fraction(45), Fraction(91, 2), Fraction(100), Fraction(1, 3)]),
       st.booleans())
def test_kpi_invariants(rows, target, count_self):
    d = kpi.Definition(count_self_assessed=count_self)
    city = kpi.tally(rows, d)
    assert city.roster == len(rows)
    assert 0 <= city.applying <= city.assessed <= city.roster
    assert city.applying == city.applying_verified + city.applying_self
    assert city.awaiting_review <= city.assessed
    if not count_self:
        assert city.applying_self == 0
    for parts in (kpi.by_district(rows, d), kpi.by_industry(rows, d)):
        assert sum(t.roster for t in parts.values()) == city.roster
        assert sum(t.applying for t in parts.values()) == city.applying
        assert sum(t.assessed for t in parts.values()) == city.assessed
    # the gap is exactly what is missing: one enterprise fewer would not reach the target
    need = kpi.gap(city, target)
    if city.roster:
        assert kpi.meets(Fraction(city.applying + need, city.roster), target)
        if need:
            assert not kpi.meets(Fraction(city.applying + need - 1, city.roster), target)
    points = kpi.trend(rows, until=(2025, 4), definition=d)
    if points:
        assert points[-1].applying == city.applying and points[-1].assessed == city.assessed
        assert all(a.applying <= b.applying for a, b in zip(points, points[1:]))
