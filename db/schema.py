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
def m020_user_language(db):
    """Each user's interface language ('zh' or 'en'; NULL = the default, Chinese), kept across devices."""
    db["users"].add_column("language", str)
