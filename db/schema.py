"""Schema of the system of record, as sqlite-utils migrations (applied in order, once each)."""

from sqlite_utils import Migrations

migrations = Migrations("zibo")


@migrations()
def m001_initial(db):
    db["enterprises"].create(
        {"id": int, "credit_code": str, "name": str, "district": str, "industry_code": str,
         "above_scale": int, "is_demo": int, "created_at": str},
        pk="id", not_null={"credit_code", "name", "district", "created_at"},
        defaults={"above_scale": 1, "is_demo": 0},
    )
    db["enterprises"].create_index(["credit_code"], unique=True)
    db["providers"].create({"id": int, "name": str, "is_demo": int, "created_at": str},
                           pk="id", not_null={"name", "created_at"}, defaults={"is_demo": 0})
    db["assignments"].create(
        {"provider_id": int, "enterprise_id": int, "assigned_at": str},
        pk=("provider_id", "enterprise_id"), not_null={"assigned_at"},
        foreign_keys=[("provider_id", "providers", "id"), ("enterprise_id", "enterprises", "id")],
    )
    db["users"].create(
        {"id": int, "username": str, "password_hash": str, "role": str, "display_name": str,
         "enterprise_id": int, "provider_id": int, "active": int, "must_change_password": int,
         "failed_logins": int, "locked_until": str, "is_demo": int, "created_at": str},
        pk="id", not_null={"username", "password_hash", "role", "created_at"},
        defaults={"active": 1, "must_change_password": 0, "failed_logins": 0, "is_demo": 0},
        foreign_keys=[("enterprise_id", "enterprises", "id"), ("provider_id", "providers", "id")],
    )
    db["users"].create_index(["username"], unique=True)
    db["auth_sessions"].create(
        {"token_hash": str, "user_id": int, "created_at": str, "last_seen_at": str,
         "expires_at": str, "revoked_at": str},
        pk="token_hash", not_null={"user_id", "created_at", "last_seen_at", "expires_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db["assessments"].create(
        {"id": int, "enterprise_id": int, "questionnaire_id": str, "questionnaire_version": str,
         "status": str, "created_by": int, "created_at": str, "updated_at": str,
         "submitted_at": str, "submitted_by": int, "returned_at": str, "verified_at": str},
        pk="id", not_null={"enterprise_id", "questionnaire_id", "questionnaire_version", "status", "created_at"},
        foreign_keys=[("enterprise_id", "enterprises", "id"), ("created_by", "users", "id"),
                      ("submitted_by", "users", "id")],
    )
    db["assessments"].create_index(["enterprise_id", "questionnaire_id"])
    # At most one open (draft or returned) assessment per enterprise and questionnaire:
    # two colleagues pressing "start" at once end up in the same assessment.
    db.execute(
        "CREATE UNIQUE INDEX idx_assessments_one_open ON assessments(enterprise_id, questionnaire_id) "
        "WHERE status IN ('draft', 'returned')"
    )
    db["answers"].create(
        {"assessment_id": int, "item_id": str, "value": str, "na_reason": str, "rev": int,
         "updated_by": int, "updated_at": str},
        pk=("assessment_id", "item_id"), not_null={"rev", "updated_at"},
        foreign_keys=[("assessment_id", "assessments", "id"), ("updated_by", "users", "id")],
    )
    db["results"].create(
        {"id": int, "assessment_id": int, "kind": str, "questionnaire_id": str, "questionnaire_version": str,
         "scoring_method": str, "scoring_version": str, "computed_at": str, "is_current": int,
         "score": float, "level": int, "outcome": int, "detail": str},
        pk="id", not_null={"assessment_id", "kind", "scoring_method", "scoring_version", "computed_at", "detail"},
        foreign_keys=[("assessment_id", "assessments", "id")],
        defaults={"is_current": 1},
    )
    db["results"].create_index(["assessment_id", "kind", "scoring_version"], unique=True)
    db["results"].create_index(["questionnaire_id", "is_current"])
    db["audit_log"].create(
        {"id": int, "at": str, "user_id": int, "action": str, "entity": str, "entity_id": str,
         "old": str, "new": str, "reason": str},
        pk="id", not_null={"at", "action", "entity"},
    )
    db["audit_log"].create_index(["entity", "entity_id"])
    db["settings"].create({"key": str, "value": str}, pk="key")


@migrations()
def m010_auth_hardening(db):
    """Sign-in throttling counters, one-time cookie hand-off codes, and a session index per user."""
    # One row per (scope, key): scope 'user' (normalised username, known or not) or 'addr' (client address).
    db["login_throttle"].create(
        {"scope": str, "key": str, "failures": int, "last_failure_at": str},
        pk=("scope", "key"), not_null={"failures", "last_failure_at"}, defaults={"failures": 0},
    )
    db["login_throttle"].create_index(["last_failure_at"])
    # A code the sign-in page hands to the browser, exchanged once by /auth/complete for the cookie.
    db["auth_handoffs"].create(
        {"code_hash": str, "token_hash": str, "expires_at": str},
        pk="code_hash", not_null={"token_hash", "expires_at"},
    )
    db["auth_sessions"].create_index(["user_id"])


@migrations()
def m030_enterprise_profile_and_prefill(db):
    """Company profile fields (issue 9 §1) and pre-filled sections awaiting confirmation (§5).

    Revenue is kept as decimal text (万元, up to 4 decimals = 1 元) so it is stored exactly.
    """
    for column, kind in [("production_type", str), ("employees", int), ("revenue_wan", str),
                         ("contact_name", str), ("contact_phone", str), ("profile_updated_at", str),
                         ("profile_updated_by", int)]:
        db["enterprises"].add_column(column, kind)
    db["assessments"].add_column("prefilled_from", int)
    db["prefill_sections"].create(
        {"assessment_id": int, "section_id": str, "source_assessment_id": int, "items": int,
         "confirmed_at": str, "confirmed_by": int},
        pk=("assessment_id", "section_id"), not_null={"source_assessment_id", "items"},
        foreign_keys=[("assessment_id", "assessments", "id"), ("source_assessment_id", "assessments", "id"),
                      ("confirmed_by", "users", "id")],
    )


@migrations()
def m040_roster_and_targets(db):
    """The yearly roster of above-scale manufacturers (the KPI denominator) and the bureau's targets.

    Target values are decimal text (e.g. "45" for 45 %) so the KPI arithmetic stays exact.
    """
    db["roster_entries"].create(
        {"id": int, "year": int, "credit_code": str, "name": str, "district": str, "industry_code": str,
         "revenue": str, "employees": int, "source_row": int, "imported_at": str},
        pk="id", not_null={"year", "credit_code", "name", "district", "industry_code", "imported_at"},
    )
    db["roster_entries"].create_index(["year", "credit_code"], unique=True)
    db["roster_entries"].create_index(["credit_code"])
    db["targets"].create(
        {"id": int, "metric": str, "year": int, "scope": str, "value": str, "updated_at": str, "updated_by": int},
        pk="id", not_null={"metric", "year", "scope", "value", "updated_at"},
    )
    db["targets"].create_index(["metric", "year", "scope"], unique=True)
    db.execute("INSERT INTO targets (metric, year, scope, value, updated_at) "
               "VALUES ('ii_adoption_rate', 2025, 'city', '45', '2025-01-01T00:00:00.000000Z')")
    db["results"].create_index(["assessment_id", "kind", "is_current"], if_not_exists=True)


@migrations()
def m050_city_picture(db):
    """Per-sub-domain scores of stored results (the city's weakest sub-domains) and the current levels.

    ``result_subdomains`` is written with every result (db.assessments.store_result) and backfilled
    here from results.detail, so the bureau's picture never parses JSON on a page view. Scores are
    REAL like results.score; a not-applicable sub-domain has no row.
    """
    import json

    db["result_subdomains"].create(
        {"result_id": int, "subdomain": str, "score": float},
        pk=("result_id", "subdomain"), not_null={"score"},
        foreign_keys=[("result_id", "results", "id")],
    )
    rows = []
    for result_id, detail in db.execute("SELECT id, detail FROM results").fetchall():
        for subdomain, part in (json.loads(detail).get("subdomains") or {}).items():
            if isinstance(part, dict) and part.get("score") is not None:
                rows.append((result_id, subdomain, float(part["score"])))
    db.conn.executemany("INSERT INTO result_subdomains (result_id, subdomain, score) VALUES (?,?,?)", rows)
    # Each enterprise's latest scored assessment per questionnaire (effective = verified where present),
    # kept by db.assessments.store_result; the dashboard reads this instead of ranking all assessments.
    from db.stats import FILL_CELLS, FILL_CURRENT, FILL_SUMS

    db["maturity_current"].create(
        {"enterprise_id": int, "questionnaire_id": str, "assessment_id": int, "result_id": int, "level": int,
         "score": float, "verified": int, "first_assessment_id": int, "first_level": int, "district": str,
         "industry_code": str},
        pk=("questionnaire_id", "enterprise_id"),
        not_null={"assessment_id", "result_id", "verified", "district", "industry_code"},
    )
    db.execute(FILL_CURRENT.format(where=""))
    db["subdomain_sums"].create(
        {"questionnaire_id": str, "district": str, "industry_code": str, "subdomain": str, "total": int, "n": int},
        pk=("questionnaire_id", "district", "industry_code", "subdomain"), not_null={"total", "n"},
    )
    db.execute(FILL_SUMS)
    db["level_cells"].create(
        {"questionnaire_id": str, "district": str, "industry_code": str, "level": int, "first_level": int,
         "reassessed": int, "verified": int, "n": int},
        pk=("questionnaire_id", "district", "industry_code", "level", "first_level", "reassessed", "verified"),
        not_null={"n"},
    )
    db.execute(FILL_CELLS)
    # The answers export walks one questionnaire's assessments in this order, with no sort.
    db["assessments"].create_index(["questionnaire_id", "enterprise_id", "id"], if_not_exists=True)
