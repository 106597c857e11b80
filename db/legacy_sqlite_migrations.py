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
def m020_user_language(db):
    """Each user's interface language ('zh' or 'en'; NULL = the default, Chinese), kept across devices."""
    db["users"].add_column("language", str)


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
def m045_submitted_answers(db):
    """The answers as submitted, one JSON text per assessment, written with the submission.

    Submitted answers cannot change (saving needs an open assessment), so re-scoring reads one
    row per assessment instead of ~240 answer rows: 150,000 assessments are 150,000 short reads,
    not 36 million (bench/bench_rescore.py). The answers table stays the system of record;
    existing submissions are back-filled from it here.
    """
    db["assessments"].add_column("submitted_answers", str)
    db.execute(
        "UPDATE assessments SET submitted_answers = (SELECT json_object("
        "'answers', coalesce(json_group_object(x.item_id, json(x.value)) "
        "FILTER (WHERE x.na_reason IS NULL AND x.value IS NOT NULL), json_object()), "
        "'na', coalesce(json_group_object(x.item_id, x.na_reason) FILTER (WHERE x.na_reason IS NOT NULL), "
        "json_object())) FROM answers x WHERE x.assessment_id = assessments.id) "
        "WHERE status IN ('submitted', 'verified')")


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


@migrations()
def m060_review_rounds(db):
    """Provider review (issue 10 §2–§4): one review round per submission, item decisions, kept for ever.

    ``assessments.round_no`` counts submissions (a returned assessment resubmitted is round 2, …);
    results carry the round they belong to, so a resubmission stores a new self result while the
    earlier one stays on record (the unique key now includes the round).
    """
    db["assessments"].add_column("round_no", int, not_null_default=1)
    db["results"].add_column("round_no", int, not_null_default=1)
    db.execute("DROP INDEX IF EXISTS idx_results_assessment_id_kind_scoring_version")
    db["results"].create_index(["assessment_id", "kind", "scoring_version", "round_no"], unique=True)
    db["review_rounds"].create(
        {"id": int, "assessment_id": int, "round_no": int, "status": str, "opened_at": str, "closed_at": str,
         "reviewer_id": int, "overall_comment": str, "rev": int},
        pk="id", not_null={"assessment_id", "round_no", "status", "opened_at", "rev"},
        foreign_keys=[("assessment_id", "assessments", "id"), ("reviewer_id", "users", "id")],
    )
    db["review_rounds"].create_index(["assessment_id", "round_no"], unique=True)
    db["review_items"].create(
        {"round_id": int, "item_id": str, "action": str, "verified_value": str, "reason": str, "comment": str,
         "revisit": int, "reviewer_id": int, "at": str},
        pk=("round_id", "item_id"), not_null={"at"}, defaults={"revisit": 0},
        foreign_keys=[("round_id", "review_rounds", "id"), ("reviewer_id", "users", "id")],
    )


@migrations()
def m070_evidence_and_audit_append_only(db):
    """Evidence files per assessment item (bytes on disk under their SHA-256, see evidence/storage.py),
    an index for the audit view, and triggers that make the audit log append-only."""
    # ON DELETE CASCADE: deleting a never-submitted draft (db/assessments.delete_draft) takes its
    # attachment rows along; bytes no row refers to any more are left for evidence.storage to sweep.
    db.execute(
        "CREATE TABLE evidence_files (id INTEGER PRIMARY KEY, "
        "assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE, "
        "item_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, kind TEXT NOT NULL, "
        "mime TEXT NOT NULL, filename TEXT NOT NULL, uploaded_by INTEGER REFERENCES users(id), "
        "uploaded_at TEXT NOT NULL)")
    db["evidence_files"].create_index(["assessment_id", "item_id"])
    db["evidence_files"].create_index(["sha256"])
    db["audit_log"].create_index(["at"], if_not_exists=True)
    db.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    db.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
