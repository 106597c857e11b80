"""Admin command line: users, questionnaire publication, re-scoring.

    python manage.py create-user USERNAME ROLE [--enterprise-code CODE] [--provider NAME] [--name NAME]
    python manage.py reset-password USERNAME
    python manage.py one-time-password USERNAME     (prints a new password, to be changed at first sign-in)
    python manage.py deactivate USERNAME | reactivate USERNAME
    python manage.py publish questionnaires/FILE.yaml [...]
    python manage.py rescore [--questionnaire ID]

Passwords are read from $ZB_NEW_PASSWORD or asked for interactively, never taken as arguments.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from bootstrap import ensure_ready
from passwords import password_problem


def _password() -> str:
    pw = os.environ.get("ZB_NEW_PASSWORD") or getpass.getpass("new password: ")
    problem = password_problem(pw)
    if problem:
        sys.exit(f"password too weak: {problem.en} / 密码太弱：{problem.zh}")
    return pw


def rescore(db, questionnaire_id: str | None = None) -> dict:
    """Re-score every submitted assessment under the current scoring rules of its questionnaire version.

    New results are stored beside the old ones (which stay on record, no longer current).
    Returns counts: assessments, rescored (new scoring version), levels/outcomes changed.
    """
    import scoring
    from db import audit
    from db.assessments import answers_for_scoring, current_result_row, store_result
    from db.connection import write_txn
    from questionnaires import registry

    where = "WHERE a.status IN ('submitted', 'verified')"
    params: list = []
    if questionnaire_id:
        where += " AND a.questionnaire_id = ?"
        params.append(questionnaire_id)
    rows = list(db.query(f"SELECT a.* FROM assessments a {where} ORDER BY a.id", params))
    counts = {"assessments": len(rows), "rescored": 0, "changed": 0, "outcome_before": 0, "outcome_after": 0}
    for a in rows:
        q = registry.get(a["questionnaire_id"], a["questionnaire_version"])
        if q.scoring is None:
            continue
        old = current_result_row(db, a["id"])
        counts["outcome_before"] += int(bool(old and old["outcome"]))
        if old and old["scoring_version"] == q.scoring.version:
            counts["outcome_after"] += int(bool(old["outcome"]))
            continue
        answers, na = answers_for_scoring(db, a["id"])
        result = scoring.score(q, answers, na)
        with write_txn(db):
            new = store_result(db, a["id"], "self", q.id, q.version, result)
            audit.record(db, None, "rescore", "assessment", a["id"],
                         old=old and {"scoring_version": old["scoring_version"], "level": old["level"],
                                      "outcome": old["outcome"], "score": old["score"]},
                         new={"scoring_version": result["scoring_version"], "level": new["level"],
                              "outcome": new["outcome"], "score": new["score"]},
                         reason="scoring rules changed")
        counts["rescored"] += 1
        counts["outcome_after"] += int(bool(new["outcome"]))
        if old is None or (old["level"], old["outcome"]) != (new["level"], new["outcome"]):
            counts["changed"] += 1
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-user")
    p.add_argument("username")
    p.add_argument("role", choices=["enterprise", "provider", "bureau", "admin"])
    p.add_argument("--enterprise-code")
    p.add_argument("--provider")
    p.add_argument("--name", default="")
    p = sub.add_parser("reset-password")
    p.add_argument("username")
    for name in ("one-time-password", "deactivate", "reactivate"):
        p = sub.add_parser(name)
        p.add_argument("username")
    p = sub.add_parser("publish")
    p.add_argument("files", nargs="+")
    p = sub.add_parser("rescore")
    p.add_argument("--questionnaire")
    args = parser.parse_args(argv)

    if args.command == "publish":
        from questionnaires.loader import QuestionnaireInvalid
        from questionnaires.registry import publish
        for f in args.files:
            try:
                print("published", publish(Path(f)))
            except QuestionnaireInvalid as exc:
                print(exc, file=sys.stderr)
                return 1
        return 0

    db = ensure_ready()
    from db.users import UserError, create_user, issue_one_time_password, set_active, set_password
    try:
        if args.command == "create-user":
            enterprise_id = provider_id = None
            if args.enterprise_code:
                from reference import credit_code_problem, normalise_credit_code
                problem = credit_code_problem(args.enterprise_code)
                if problem:
                    sys.exit(f"统一社会信用代码 {args.enterprise_code!r} 无效：{problem}")
                code = normalise_credit_code(args.enterprise_code)
                row = db.execute("SELECT id FROM enterprises WHERE credit_code = ?", [code]).fetchone()
                if not row:
                    sys.exit(f"no enterprise with credit code {args.enterprise_code}")
                enterprise_id = row[0]
            if args.provider:
                row = db.execute("SELECT id FROM providers WHERE name = ?", [args.provider]).fetchone()
                if not row:
                    sys.exit(f"no provider named {args.provider}")
                provider_id = row[0]
            create_user(db, args.username, _password(), args.role, args.name, enterprise_id=enterprise_id,
                        provider_id=provider_id)
            print(f"created {args.username} ({args.role})")
        elif args.command == "reset-password":
            set_password(db, args.username, _password(), must_change=True)
            print(f"password of {args.username} reset; open sessions revoked")
        elif args.command == "one-time-password":
            print(issue_one_time_password(db, None, args.username))
            print(f"one-time password of {args.username} above; it must be changed at first sign-in; "
                  "open sessions revoked", file=sys.stderr)
        elif args.command in ("deactivate", "reactivate"):
            row = db.execute("SELECT id FROM users WHERE username = ?", [args.username]).fetchone()
            if row is None:
                sys.exit(f"no user {args.username}")
            set_active(db, None, row[0], args.command == "reactivate")
            print(f"{args.username} {args.command}d" + ("; open sessions revoked" if args.command == "deactivate" else ""))
        elif args.command == "rescore":
            counts = rescore(db, args.questionnaire)
            print(f"{counts['assessments']} submitted assessments, {counts['rescored']} re-scored under current rules, "
                  f"{counts['changed']} changed level or verdict; applies/outcome count "
                  f"{counts['outcome_before']} -> {counts['outcome_after']}")
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
