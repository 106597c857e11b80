"""Baseline: the whole schema as the sqlite-utils migrations m001–m070 left it, for both engines.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-03

A SQLite database made by the earlier migrations (table _sqlite_migrations) is brought to m070 by
db/legacy_sqlite_migrations.py and stamped with this revision, so both histories meet here.
Types are the common subset: TEXT (times as ISO-8601 UTC text, decimals as text, JSON as text),
INTEGER (flags as 0/1), FLOAT (double precision on PostgreSQL, REAL on SQLite).
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

TEXT, INT, FLOAT = sa.Text, sa.Integer, sa.Float


def _col(name, kind, *args, **kw):
    return sa.Column(name, kind(), *args, **kw)


def _fk(name, target, **kw):
    return sa.Column(name, INT(), sa.ForeignKey(target), **kw)


def upgrade() -> None:
    op.create_table(
        "enterprises",
        _col("id", INT, primary_key=True),
        _col("credit_code", TEXT, nullable=False), _col("name", TEXT, nullable=False),
        _col("district", TEXT, nullable=False), _col("industry_code", TEXT),
        _col("above_scale", INT, server_default="1"), _col("is_demo", INT, server_default="0"),
        _col("created_at", TEXT, nullable=False),
        # Company profile (issue 9 §1); revenue in 万元 as decimal text, exact.
        _col("production_type", TEXT), _col("employees", INT), _col("revenue_wan", TEXT),
        _col("contact_name", TEXT), _col("contact_phone", TEXT), _col("profile_updated_at", TEXT),
        _col("profile_updated_by", INT),
    )
    op.create_index("idx_enterprises_credit_code", "enterprises", ["credit_code"], unique=True)
    op.create_table(
        "providers",
        _col("id", INT, primary_key=True), _col("name", TEXT, nullable=False),
        _col("is_demo", INT, server_default="0"), _col("created_at", TEXT, nullable=False),
    )
    op.create_table(
        "assignments",
        _fk("provider_id", "providers.id", primary_key=True), _fk("enterprise_id", "enterprises.id", primary_key=True),
        _col("assigned_at", TEXT, nullable=False),
    )
    op.create_table(
        "users",
        _col("id", INT, primary_key=True), _col("username", TEXT, nullable=False),
        _col("password_hash", TEXT, nullable=False), _col("role", TEXT, nullable=False), _col("display_name", TEXT),
        _fk("enterprise_id", "enterprises.id"), _fk("provider_id", "providers.id"),
        _col("active", INT, server_default="1"), _col("must_change_password", INT, server_default="0"),
        _col("failed_logins", INT, server_default="0"), _col("locked_until", TEXT),
        _col("is_demo", INT, server_default="0"), _col("created_at", TEXT, nullable=False),
        _col("language", TEXT),  # 'zh' / 'en'; NULL = the default, Chinese
    )
    op.create_index("idx_users_username", "users", ["username"], unique=True)
    op.create_table(
        "auth_sessions",
        _col("token_hash", TEXT, primary_key=True), _fk("user_id", "users.id", nullable=False),
        _col("created_at", TEXT, nullable=False), _col("last_seen_at", TEXT, nullable=False),
        _col("expires_at", TEXT, nullable=False), _col("revoked_at", TEXT),
    )
    op.create_index("idx_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "assessments",
        _col("id", INT, primary_key=True), _fk("enterprise_id", "enterprises.id", nullable=False),
        _col("questionnaire_id", TEXT, nullable=False), _col("questionnaire_version", TEXT, nullable=False),
        _col("status", TEXT, nullable=False), _fk("created_by", "users.id"), _col("created_at", TEXT, nullable=False),
        _col("updated_at", TEXT), _col("submitted_at", TEXT), _fk("submitted_by", "users.id"),
        _col("returned_at", TEXT), _col("verified_at", TEXT), _col("prefilled_from", INT),
        _col("submitted_answers", TEXT),  # the answers as submitted (JSON), read by re-scoring
        _col("round_no", INT, nullable=False, server_default="1"),
    )
    op.create_index("idx_assessments_enterprise_id_questionnaire_id", "assessments",
                    ["enterprise_id", "questionnaire_id"])
    # At most one open (draft or returned) assessment per enterprise and questionnaire:
    # two colleagues pressing "start" at once end up in the same assessment.
    open_only = sa.text("status IN ('draft', 'returned')")
    op.create_index("idx_assessments_one_open", "assessments", ["enterprise_id", "questionnaire_id"], unique=True,
                    sqlite_where=open_only, postgresql_where=open_only)
    op.create_index("idx_assessments_questionnaire_id_enterprise_id_id", "assessments",
                    ["questionnaire_id", "enterprise_id", "id"])
    op.create_table(
        "answers",
        _fk("assessment_id", "assessments.id", primary_key=True), _col("item_id", TEXT, primary_key=True),
        _col("value", TEXT), _col("na_reason", TEXT), _col("rev", INT, nullable=False),
        _fk("updated_by", "users.id"), _col("updated_at", TEXT, nullable=False),
    )
    op.create_table(
        "results",
        _col("id", INT, primary_key=True), _fk("assessment_id", "assessments.id", nullable=False),
        _col("kind", TEXT, nullable=False), _col("questionnaire_id", TEXT), _col("questionnaire_version", TEXT),
        _col("scoring_method", TEXT, nullable=False), _col("scoring_version", TEXT, nullable=False),
        _col("computed_at", TEXT, nullable=False), _col("is_current", INT, server_default="1"),
        _col("score", FLOAT), _col("level", INT), _col("outcome", INT), _col("detail", TEXT, nullable=False),
        _col("round_no", INT, nullable=False, server_default="1"),
    )
    op.create_index("idx_results_assessment_id_kind_scoring_version_round_no", "results",
                    ["assessment_id", "kind", "scoring_version", "round_no"], unique=True)
    op.create_index("idx_results_questionnaire_id_is_current", "results", ["questionnaire_id", "is_current"])
    op.create_index("idx_results_assessment_id_kind_is_current", "results", ["assessment_id", "kind", "is_current"])
    op.create_table(
        "audit_log",
        _col("id", INT, primary_key=True), _col("at", TEXT, nullable=False), _col("user_id", INT),
        _col("action", TEXT, nullable=False), _col("entity", TEXT, nullable=False), _col("entity_id", TEXT),
        _col("old", TEXT), _col("new", TEXT), _col("reason", TEXT),
    )
    op.create_index("idx_audit_log_entity_entity_id", "audit_log", ["entity", "entity_id"])
    op.create_index("idx_audit_log_at", "audit_log", ["at"])
    op.create_table("settings", _col("key", TEXT, primary_key=True), _col("value", TEXT))
    # Sign-in throttling: one row per (scope, key), scope 'user' (normalised username) or 'addr'.
    op.create_table(
        "login_throttle",
        _col("scope", TEXT, primary_key=True), _col("key", TEXT, primary_key=True),
        _col("failures", INT, nullable=False, server_default="0"), _col("last_failure_at", TEXT, nullable=False),
    )
    op.create_index("idx_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"])
    # A code the sign-in page hands to the browser, exchanged once by /auth/complete for the cookie.
    op.create_table(
        "auth_handoffs",
        _col("code_hash", TEXT, primary_key=True), _col("token_hash", TEXT, nullable=False),
        _col("expires_at", TEXT, nullable=False),
    )
    op.create_table(
        "prefill_sections",
        _fk("assessment_id", "assessments.id", primary_key=True), _col("section_id", TEXT, primary_key=True),
        _fk("source_assessment_id", "assessments.id", nullable=False), _col("items", INT, nullable=False),
        _col("confirmed_at", TEXT), _fk("confirmed_by", "users.id"),
    )
    # The yearly roster of above-scale manufacturers (the KPI denominator) and the bureau's targets
    # (decimal text, e.g. "45" for 45 %, so the KPI arithmetic stays exact).
    op.create_table(
        "roster_entries",
        _col("id", INT, primary_key=True), _col("year", INT, nullable=False), _col("credit_code", TEXT, nullable=False),
        _col("name", TEXT, nullable=False), _col("district", TEXT, nullable=False),
        _col("industry_code", TEXT, nullable=False), _col("revenue", TEXT), _col("employees", INT),
        _col("source_row", INT), _col("imported_at", TEXT, nullable=False),
    )
    op.create_index("idx_roster_entries_year_credit_code", "roster_entries", ["year", "credit_code"], unique=True)
    op.create_index("idx_roster_entries_credit_code", "roster_entries", ["credit_code"])
    targets = op.create_table(
        "targets",
        _col("id", INT, primary_key=True), _col("metric", TEXT, nullable=False), _col("year", INT, nullable=False),
        _col("scope", TEXT, nullable=False), _col("value", TEXT, nullable=False),
        _col("updated_at", TEXT, nullable=False), _col("updated_by", INT),
    )
    op.create_index("idx_targets_metric_year_scope", "targets", ["metric", "year", "scope"], unique=True)
    op.bulk_insert(targets, [{"metric": "ii_adoption_rate", "year": 2025, "scope": "city", "value": "45",
                              "updated_at": "2025-01-01T00:00:00.000000Z"}])
    # The bureau's city picture: per-sub-domain scores of stored results, each enterprise's current
    # result, and counters kept with every stored result (db/stats.py).
    op.create_table(
        "result_subdomains",
        _fk("result_id", "results.id", primary_key=True), _col("subdomain", TEXT, primary_key=True),
        _col("score", FLOAT, nullable=False),
    )
    op.create_table(
        "maturity_current",
        _col("enterprise_id", INT), _col("questionnaire_id", TEXT),
        _col("assessment_id", INT, nullable=False), _col("result_id", INT, nullable=False), _col("level", INT),
        _col("score", FLOAT), _col("verified", INT, nullable=False), _col("first_assessment_id", INT),
        _col("first_level", INT), _col("district", TEXT, nullable=False), _col("industry_code", TEXT, nullable=False),
        sa.PrimaryKeyConstraint("questionnaire_id", "enterprise_id"),
    )
    op.create_table(
        "subdomain_sums",
        *[_col(c, TEXT, primary_key=True) for c in ("questionnaire_id", "district", "industry_code", "subdomain")],
        _col("total", INT, nullable=False), _col("n", INT, nullable=False),
    )
    op.create_table(
        "level_cells",
        *[_col(c, TEXT, primary_key=True) for c in ("questionnaire_id", "district", "industry_code")],
        *[_col(c, INT, primary_key=True) for c in ("level", "first_level", "reassessed", "verified")],
        _col("n", INT, nullable=False),
    )
    # Provider review: one round per submission, item decisions, kept for ever.
    op.create_table(
        "review_rounds",
        _col("id", INT, primary_key=True), _fk("assessment_id", "assessments.id", nullable=False),
        _col("round_no", INT, nullable=False), _col("status", TEXT, nullable=False),
        _col("opened_at", TEXT, nullable=False), _col("closed_at", TEXT), _fk("reviewer_id", "users.id"),
        _col("overall_comment", TEXT), _col("rev", INT, nullable=False),
    )
    op.create_index("idx_review_rounds_assessment_id_round_no", "review_rounds", ["assessment_id", "round_no"],
                    unique=True)
    op.create_table(
        "review_items",
        _fk("round_id", "review_rounds.id", primary_key=True), _col("item_id", TEXT, primary_key=True),
        _col("action", TEXT), _col("verified_value", TEXT), _col("reason", TEXT), _col("comment", TEXT),
        _col("revisit", INT, server_default="0"), _fk("reviewer_id", "users.id"), _col("at", TEXT, nullable=False),
    )
    # Evidence files (bytes on disk under their SHA-256); deleting a never-submitted draft takes its rows along.
    op.create_table(
        "evidence_files",
        _col("id", INT, primary_key=True),
        sa.Column("assessment_id", INT(), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        _col("item_id", TEXT, nullable=False), _col("sha256", TEXT, nullable=False), _col("size", INT, nullable=False),
        _col("kind", TEXT, nullable=False), _col("mime", TEXT, nullable=False), _col("filename", TEXT, nullable=False),
        _fk("uploaded_by", "users.id"), _col("uploaded_at", TEXT, nullable=False),
    )
    op.create_index("idx_evidence_files_assessment_id_item_id", "evidence_files", ["assessment_id", "item_id"])
    op.create_index("idx_evidence_files_sha256", "evidence_files", ["sha256"])
    _audit_log_append_only()


def _audit_log_append_only() -> None:
    """Engine-specific: triggers that refuse UPDATE and DELETE on audit_log."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$")
        for event in ("update", "delete"):
            op.execute(f"CREATE TRIGGER audit_log_no_{event} BEFORE {event.upper()} ON audit_log "
                       "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        # TRUNCATE is not a row event; refuse it too.
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")
    else:
        for event in ("update", "delete"):
            op.execute(f"CREATE TRIGGER audit_log_no_{event} BEFORE {event.upper()} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def downgrade() -> None:
    raise NotImplementedError("the baseline is not reversible; restore a backup instead (docs/database.md)")
