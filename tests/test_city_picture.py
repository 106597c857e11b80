"""The city's maturity picture on a small hand-made data set: levels, weakest sub-domains, tiers, transitions,
publication suppression, and the streamed answers export."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.conftest import identity_of

Q = "cmmm_full"


def _label(key: str, **kwargs) -> str:
    from ui.i18n import STRINGS

    text = STRINGS[key][0]
    return text.format(**kwargs) if kwargs else text


def _enterprise(db, code: str, district: str, industry: str) -> int:
    return db.execute("INSERT INTO enterprises (credit_code, name, district, industry_code, created_at) "
                      "VALUES (?,?,?,?,'2025-01-01T00:00:00Z') RETURNING id", [code, f"企业{code}", district, industry]).fetchall()[0][0]


def _assessment(db, enterprise_id: int, level: int | None, sub: dict[str, float], verified_level: int | None = None,
                status: str = "submitted") -> int:
    from db.assessments import store_result

    aid = db.execute(
        "INSERT INTO assessments (enterprise_id, questionnaire_id, questionnaire_version, status, created_at, "
        "updated_at, submitted_at) VALUES (?,?,?,?,'2025-03-01T00:00:00Z','2025-03-01T00:00:00Z',"
        "'2025-03-01T02:00:00Z') RETURNING id", [enterprise_id, Q, "1", status]).fetchall()[0][0]
    db.execute("INSERT INTO answers (assessment_id, item_id, value, rev, updated_at) VALUES (?,?,?,1,?)",
               [aid, "q_data_1", json.dumps(2), "2025-03-01T01:30:00Z"])
    if level is not None:
        store_result(db, aid, "self", Q, "1", {"method": "cmmm", "scoring_version": "t1", "score": float(level),
                                               "level": level, "subdomains": {k: {"score": v} for k, v in sub.items()}})
    if verified_level is not None:
        store_result(db, aid, "verified", Q, "1", {"method": "cmmm", "scoring_version": "t1",
                                                   "score": float(verified_level), "level": verified_level,
                                                   "subdomains": {k: {"score": v - 0.5} for k, v in sub.items()}})
    return aid


@pytest.fixture
def city(fresh_db):
    """Five enterprises in two districts: A 1→3, B 0 (verified 2 over self 1), C 2, D 4, E never scored."""
    db = fresh_db
    ids = {name: _enterprise(db, f"CODE{name}", district, industry) for name, district, industry in
           [("A", "zhangdian", "26"), ("B", "zhangdian", "34"), ("C", "boshan", "26"), ("D", "boshan", "26"),
            ("E", "boshan", "34")]}
    _assessment(db, ids["A"], 1, {"data": 1.0, "network": 2.0})
    _assessment(db, ids["A"], 3, {"data": 3.0, "network": 2.0})
    _assessment(db, ids["B"], 1, {"data": 1.0, "network": 1.0}, verified_level=2, status="verified")
    _assessment(db, ids["C"], 2, {"data": 2.0, "network": 4.0})
    _assessment(db, ids["D"], 4, {"data": 4.0, "network": 5.0})
    _assessment(db, ids["E"], None, {})
    return db, ids


def test_latest_effective_level_per_enterprise(city):
    from db.stats import maturity_rows

    db, ids = city
    rows = {r["enterprise_id"]: r for r in maturity_rows(db, identity_of(db, "bureau1"), Q)}
    assert {k: (rows[v]["level"], rows[v]["first_level"], rows[v]["verified"]) for k, v in ids.items() if v in rows} \
        == {"A": (3, 1, 0), "B": (2, 2, 1), "C": (2, 2, 0), "D": (4, 4, 0)}
    assert ids["E"] not in rows  # no result, not counted


def test_distribution_overall_by_district_and_industry(city):
    from db.stats import picture_cells
    from kpi import maturity as mat

    db, _ = city
    cells = picture_cells(db, identity_of(db, "bureau1"), Q)
    counts = mat.level_counts(cells)
    assert counts == Counter({0: 0, 1: 0, 2: 2, 3: 1, 4: 1, 5: 0})
    by_district = mat.level_counts_by(cells, "district", keys=["linzi"])
    assert list(by_district) == ["linzi", "boshan", "zhangdian"]
    assert {d: {lv: n for lv, n in c.items() if n} for d, c in by_district.items()} == \
        {"linzi": {}, "zhangdian": {2: 1, 3: 1}, "boshan": {2: 1, 4: 1}}
    assert mat.level_counts_by(cells, "industry_code", district="boshan") == {"26": Counter({0: 0, 1: 0, 2: 1, 3: 0,
                                                                                             4: 1, 5: 0})}
    assert mat.level_counts(cells, industry="34")[2] == 1 and sum(mat.level_counts(cells, industry="34").values()) == 1
    assert mat.verified_count(cells) == 1 and mat.verified_count(cells, district="boshan") == 0
    shares = mat.band_shares(counts)
    assert [float(s) for s in shares] == [0.0, 0.5, 0.25, 0.25]


def test_drill_down_cell(city):
    from db.stats import maturity_rows

    db, ids = city
    bureau = identity_of(db, "bureau1")
    assert [r["enterprise_id"] for r in maturity_rows(db, bureau, Q, district="zhangdian", level=2)] == [ids["B"]]
    assert [r["enterprise_id"] for r in maturity_rows(db, bureau, Q, industry="26", level=2)] == [ids["C"]]
    assert maturity_rows(db, bureau, Q, district="boshan", level=3) == []


def test_weakest_subdomains_use_the_effective_latest_result(city):
    from db.stats import weakest_subdomains

    db, _ = city
    bureau = identity_of(db, "bureau1")
    weakest = weakest_subdomains(db, bureau, Q)
    # data: A 3, B verified 0.5, C 2, D 4 -> 2.375; network: A 2, B 0.5, C 4, D 5 -> 2.875
    assert [(w["subdomain"], round(w["mean_score"], 9), w["enterprises"]) for w in weakest] == \
        [("data", 2.375, 4), ("network", 2.875, 4)]
    boshan = weakest_subdomains(db, bureau, Q, district="boshan")
    assert [(w["subdomain"], w["mean_score"]) for w in boshan] == [("data", 3.0), ("network", 4.5)]


def test_tier_candidates_and_transitions(city):
    from db.stats import picture_cells
    from kpi import maturity as mat

    db, _ = city
    cells = picture_cells(db, identity_of(db, "bureau1"), Q)
    tiers = mat.tier_candidates(mat.level_counts(cells))
    assert [(t.tier, t.min_level, t.candidates, t.assessed) for t in tiers] == [
        ("gate_basic", 2, 4, 4), ("gate_advanced", 2, 4, 4), ("gate_excellent", 3, 2, 4)]
    matrix = mat.transitions(cells)
    assert matrix[1][3] == 1 and sum(sum(c.values()) for c in matrix.values()) == 1  # only A was assessed twice
    assert sum(sum(c.values()) for c in mat.transitions(cells, district="boshan").values()) == 0


def test_the_picture_is_for_the_bureau_only(city):
    from db.identity import AccessDenied
    from db.stats import maturity_rows

    db, _ = city
    for user in ("ent1", "provider1"):
        with pytest.raises(AccessDenied):
            maturity_rows(db, identity_of(db, user), Q)


def test_backfill_migration_fills_subdomain_scores(tmp_path):
    """A result stored before m050 gets its sub-domain rows when the migration runs."""
    import sqlite_utils

    from db.legacy_sqlite_migrations import migrations

    db = sqlite_utils.Database(str(tmp_path / "old.db"))
    for m in migrations._migrations:
        if m.name < "m050":
            m.fn(db)
    db.execute("INSERT INTO results (assessment_id, kind, scoring_method, scoring_version, computed_at, detail) "
               "VALUES (1, 'self', 'cmmm', 'v', 'now', ?)", [json.dumps({"subdomains": {
                   "data": {"score": 1.5}, "design": {"score": None, "not_applicable": "无"}}})])
    next(m for m in migrations._migrations if m.name.startswith("m050")).fn(db)
    assert db.execute("SELECT subdomain, score FROM result_subdomains").fetchall() == [("data", 1.5)]


def test_publication_suppresses_cells_below_five():
    from kpi.maturity_tables import SMALL, for_publication

    table = pd.DataFrame({"区县": ["甲", "乙", "丙"], "2级": [3, 0, 12], "3级": [7, 2, 5], "合计": [10, 2, 17],
                          "占比": [30.0, 0.0, 70.6]})
    out = for_publication(table, ["2级", "3级", "合计"], "合计", ("占比",))
    assert out["2级"].tolist() == [SMALL, SMALL, 12]
    assert out["3级"].tolist() == [7, SMALL, 5]
    assert out["合计"].tolist() == [10, SMALL, 17]
    assert out["占比"].tolist() == [30.0, SMALL, 70.6]
    assert table["2级"].tolist() == [3, 0, 12]  # the view's table is untouched


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_answers_export_long_format(city, fmt):
    from db.exports import count_answer_rows, iter_answer_rows
    from exports.answers import write_csv, write_xlsx

    db, _ = city
    bureau = identity_of(db, "bureau1")
    total = count_answer_rows(db, bureau, Q)
    assert total == 6  # six submitted assessments × one answered item
    seen = []
    writer = write_csv if fmt == "csv" else write_xlsx
    path = writer(iter_answer_rows(db, bureau, Q, batch=2), _label, total, lambda d, n: seen.append((d, n)))
    try:
        if fmt == "csv":
            data = open(path, "rb").read()
            assert data.startswith(b"\xef\xbb\xbf")
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        else:
            book = load_workbook(path, read_only=True)
            rows = [[("" if c is None else str(c)) for c in r] for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        os.unlink(path)
    header, body = rows[0], rows[1:]
    assert header[:2] == ["统一社会信用代码", "企业名称"] and "题目编码" in header and "审核状态" in header
    assert len(body) == total and seen[-1] == (total, total)
    first = dict(zip(header, body[0], strict=True))
    assert first["企业名称"] == "企业CODEA" and first["区县/功能区"] == "张店区"
    assert first["题目编码"] == "q_data_1" and first["答案"] == "2"
    assert first["提交时间（北京时间）"] == "2025-03-01 10:00:00"  # 02:00 UTC
    verified = next(dict(zip(header, r, strict=True)) for r in body if r[1] == "企业CODEB")
    assert verified["审核状态"] == "已核验" and verified["结果依据"] == "核验结果"


def test_answers_export_follows_the_filters(city):
    from db.exports import count_answer_rows, iter_answer_rows

    db, _ = city
    bureau = identity_of(db, "bureau1")
    rows = list(iter_answer_rows(db, bureau, Q, district="boshan"))
    assert len(rows) == count_answer_rows(db, bureau, Q, district="boshan") == 3
    assert {r[2] for r in rows} == {"boshan"}


def test_incremental_tables_equal_a_full_rebuild(city):
    """maturity_current and subdomain_sums kept by store_result equal what the m050 backfill computes."""
    from db.stats import SUMMARY_TABLES as tables
    from db.stats import rebuild_summaries

    db, _ = city
    snapshot = [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5").fetchall() for t in tables]
    rebuild_summaries(db)
    rebuilt = [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5").fetchall() for t in tables]
    assert rebuilt[0] == snapshot[0]
    assert rebuilt[1] == [r for r in snapshot[1] if r[5] != 0]  # retired groups stay, at n = 0
    assert rebuilt[2] == [r for r in snapshot[2] if r[7] != 0]
