"""Enterprises, provider organisations and assignments, filtered by the signed-in identity."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from db import audit
from db.connection import now, write_txn
from db.dialect import string_agg
from db.identity import AccessDenied, Identity, NotFound
from db.users import ensure_live
from questionnaires.model import Text
from zibo.reference import DISTRICTS, INDUSTRIES, check_credit_code, credit_code_problem, normalise_credit_code


def visible_enterprise_filter(identity: Identity) -> tuple[str, list]:
    """SQL condition (on alias ``e``) selecting the enterprises this identity may see."""
    if identity.role == "enterprise":
        return "e.id = ?", [identity.enterprise_id or -1]
    if identity.role == "provider":
        return ("e.id IN (SELECT enterprise_id FROM assignments WHERE provider_id = ?)",
                [identity.provider_id or -1])
    if identity.role in ("bureau", "admin"):
        return "1 = 1", []
    return "0 = 1", []


def can_see_enterprise(db, identity: Identity, enterprise_id: int) -> bool:
    where, params = visible_enterprise_filter(identity)
    return db.execute(f"SELECT 1 FROM enterprises e WHERE e.id = ? AND {where}",
                      [enterprise_id, *params]).fetchone() is not None


def list_enterprises(db, identity: Identity) -> list[dict]:
    """Enterprises the identity may see, with their assigned providers."""
    where, params = visible_enterprise_filter(identity)
    names = string_agg(db, "p.name", "、")
    return list(db.query(
        f"SELECT e.*, (SELECT {names} FROM assignments a JOIN providers p ON p.id = a.provider_id "
        f"WHERE a.enterprise_id = e.id) AS providers FROM enterprises e WHERE {where} ORDER BY e.name", params))


def get_enterprise(db, identity: Identity, enterprise_id: int) -> dict:
    where, params = visible_enterprise_filter(identity)
    row = next(db.query(f"SELECT e.* FROM enterprises e WHERE e.id = ? AND {where}", [enterprise_id, *params]), None)
    if row is None:
        raise NotFound(f"enterprise {enterprise_id}")
    return row


def create_enterprise(db, credit_code: str, name: str, district: str, industry_code: str | None,
                      above_scale: bool = True, is_demo: bool = False, **profile) -> int:
    """Insert an enterprise (inside the caller's transaction); ``profile`` may add the other profile fields."""
    code = normalise_credit_code(credit_code)
    problem = credit_code_problem(code, "en")
    if problem:
        raise ValueError(f"credit code {credit_code!r}: {problem}")
    extra = {k: profile[k] for k in OPTIONAL_PROFILE_FIELDS if profile.get(k) is not None}
    columns = ["credit_code", "name", "district", "industry_code", "above_scale", "is_demo", "created_at", *extra]
    cur = db.execute(
        f"INSERT INTO enterprises ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) RETURNING id",
        [code, name, district, industry_code, int(above_scale), int(is_demo), now(), *extra.values()])
    return cur.fetchall()[0][0]


def enterprise_id_by_code(db, credit_code: str) -> int | None:
    """The id of the enterprise with this (normalised) credit code, or None (command line, imports)."""
    row = db.execute("SELECT id FROM enterprises WHERE credit_code = ?", [credit_code]).fetchone()
    return row[0] if row else None


def create_provider(db, name: str, is_demo: bool = False) -> int:
    return db.execute("INSERT INTO providers (name, is_demo, created_at) VALUES (?,?,?) RETURNING id",
                      [name, int(is_demo), now()]).fetchall()[0][0]


def assign(db, identity: Identity | None, provider_id: int, enterprise_id: int) -> None:
    """Assign a provider to an enterprise (bureau or admin; None = system/demo seeding)."""
    if identity is not None and identity.role not in ("bureau", "admin"):
        raise AccessDenied("only the bureau assigns providers")
    db.execute("INSERT INTO assignments (provider_id, enterprise_id, assigned_at) VALUES (?,?,?) "
               "ON CONFLICT (provider_id, enterprise_id) DO NOTHING",
               [provider_id, enterprise_id, now()])


# --- company profile (issue 9 §1) ------------------------------------------------------------

PRODUCTION_TYPES = {"discrete": ("离散型制造", "Discrete"), "process": ("流程型制造", "Process"),
                    "mixed": ("混合型制造", "Mixed")}
OPTIONAL_PROFILE_FIELDS = ("production_type", "employees", "revenue_wan", "contact_name", "contact_phone")
# Every field of a complete profile, in form order, with its label (used in messages).
PROFILE_FIELDS: dict[str, Text] = {
    "name": Text("企业名称", "Enterprise name"),
    "credit_code": Text("统一社会信用代码", "Unified social credit code"),
    "district": Text("所在区县/功能区", "District / functional zone"),
    "industry_code": Text("所属行业（国民经济行业分类大类）", "Industry (GB/T 4754-2017 division)"),
    "above_scale": Text("是否规模以上工业企业", "Above designated size"),
    "production_type": Text("生产类型", "Production type"),
    "employees": Text("从业人员（人）", "Employees"),
    "revenue_wan": Text("主营业务收入（万元）", "Main-business revenue (10,000 yuan)"),
    "contact_name": Text("联系人", "Contact person"),
    "contact_phone": Text("联系电话", "Contact phone"),
}
MAX_EMPLOYEES = 1_000_000
MAX_REVENUE_WAN = Decimal("100000000")  # 1 万亿元: far above any Zibo manufacturer, catches unit mistakes
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")


class ProfileInvalid(Exception):
    """The profile was refused; ``problems`` maps each bad field to a bilingual message. Nothing was saved."""

    def __init__(self, problems: dict[str, Text]):
        super().__init__(", ".join(problems))
        self.problems = problems


class ProfileIncomplete(Exception):
    """An assessment cannot start before the company profile is complete; ``missing`` lists the fields."""

    def __init__(self, missing: list[str]):
        super().__init__("profile incomplete: " + ", ".join(missing))
        self.missing = missing


def _text(value) -> str:
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


def validate_profile(values: dict) -> tuple[dict, dict[str, Text]]:
    """(normalised values, problems per field) for a full profile form; no database access."""
    clean: dict = {}
    problems: dict[str, Text] = {}
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        problems["name"] = Text("请填写企业名称。", "Enter the enterprise name.")
    elif len(name) > 100:
        problems["name"] = Text("企业名称不能超过 100 个字。", "At most 100 characters.")
    clean["name"] = name
    code_problem = check_credit_code(values.get("credit_code"))
    if code_problem:
        problems["credit_code"] = code_problem.message
    clean["credit_code"] = normalise_credit_code(values.get("credit_code"))
    if values.get("district") not in DISTRICTS:
        problems["district"] = Text("请选择所在区县或功能区。", "Choose the district or functional zone.")
    clean["district"] = values.get("district")
    if values.get("industry_code") not in INDUSTRIES:
        problems["industry_code"] = Text("请选择制造业行业大类（13–43）。", "Choose a manufacturing division (13–43).")
    clean["industry_code"] = values.get("industry_code")
    if values.get("above_scale") not in (True, False, 0, 1):
        problems["above_scale"] = Text("请选择是否为规模以上工业企业。", "Say whether the enterprise is above designated size.")
    else:
        clean["above_scale"] = int(values["above_scale"])
    if values.get("production_type") not in PRODUCTION_TYPES:
        problems["production_type"] = Text("请选择生产类型（离散型、流程型或混合型）。",
                                           "Choose discrete, process or mixed.")
    clean["production_type"] = values.get("production_type")
    raw = _text(values.get("employees")).replace(",", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_EMPLOYEES:
        problems["employees"] = Text(f"从业人员应为 1 至 {MAX_EMPLOYEES:,} 之间的整数。",
                                     f"Employees must be a whole number from 1 to {MAX_EMPLOYEES:,}.")
    else:
        clean["employees"] = int(raw)
    raw = _text(values.get("revenue_wan")).replace(",", "")
    try:
        revenue = Decimal(raw)
        if not revenue.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        revenue = None
    if revenue is None or revenue < 0 or revenue > MAX_REVENUE_WAN or revenue.as_tuple().exponent < -4:
        problems["revenue_wan"] = Text("主营业务收入应为不小于 0 的数字，单位万元，最多 4 位小数。",
                                       "Revenue must be a number ≥ 0 in 10,000 yuan, with at most 4 decimals.")
    else:
        clean["revenue_wan"] = f"{revenue.normalize():f}"  # "12000", "3456.5": exact, no exponent
    contact = " ".join(str(values.get("contact_name") or "").split())
    if not contact:
        problems["contact_name"] = Text("请填写联系人姓名。", "Enter the contact person's name.")
    elif len(contact) > 50:
        problems["contact_name"] = Text("联系人姓名不能超过 50 个字。", "At most 50 characters.")
    clean["contact_name"] = contact
    phone = _text(values.get("contact_phone")).replace(" ", "").replace("—", "-").replace("－", "-")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not (_MOBILE.fullmatch(phone) or _LANDLINE.fullmatch(phone)):
        problems["contact_phone"] = Text("联系电话应为 11 位手机号或带区号的固定电话（如 0533-1234567）。",
                                         "Enter an 11-digit mobile number or a landline with area code (0533-1234567).")
    clean["contact_phone"] = phone
    return clean, problems


def profile_missing(enterprise: dict) -> list[str]:
    """The profile fields still empty on an enterprise row, in form order."""
    return [f for f in PROFILE_FIELDS if enterprise.get(f) is None or enterprise.get(f) == ""]


def require_complete_profile(db, enterprise_id: int) -> None:
    """Raise ProfileIncomplete unless every profile field of the enterprise is filled."""
    row = next(db.query("SELECT * FROM enterprises WHERE id = ?", [enterprise_id]), None)
    missing = list(PROFILE_FIELDS) if row is None else profile_missing(row)
    if missing:
        raise ProfileIncomplete(missing)


def editable_enterprises(db, identity: Identity) -> list[dict]:
    """Enterprises whose profile this identity may change: its own (enterprise), all (bureau, admin)."""
    if identity.role not in ("enterprise", "bureau", "admin"):
        return []
    return list_enterprises(db, identity)


def update_profile(db, identity: Identity, enterprise_id: int, values: dict) -> dict:
    """Validate and save a full profile; returns {field: (old, new)} of what changed (audited).

    Enterprise users change only their own enterprise, the bureau and admins any; providers
    read only. Raises ProfileInvalid (nothing saved) with a message per bad field, including
    a credit code already held by another enterprise.
    """
    clean, problems = validate_profile(values)
    with write_txn(db):
        ensure_live(db, identity)
        current = get_enterprise(db, identity, enterprise_id)
        if identity.role not in ("enterprise", "bureau", "admin"):
            raise AccessDenied("providers read profiles but do not change them")
        if "credit_code" not in problems:
            other = next(db.query("SELECT id, name FROM enterprises WHERE credit_code = ? AND id != ?",
                                  [clean["credit_code"], enterprise_id]), None)
            if other is not None:
                if identity.role == "enterprise":
                    problems["credit_code"] = Text(
                        "该统一社会信用代码已登记在平台上的另一家企业名下，请核对；如确属本企业，请联系市工信局。",
                        "This credit code is registered to another enterprise on the platform; check it, "
                        "or contact the bureau if it is yours.")
                else:
                    problems["credit_code"] = Text(
                        f"该统一社会信用代码已属于“{other['name']}”（编号 {other['id']}）。",
                        f"This credit code already belongs to {other['name']} (id {other['id']}).")
        if problems:
            raise ProfileInvalid({f: problems[f] for f in PROFILE_FIELDS if f in problems})
        changes = {f: (current.get(f), clean[f]) for f in PROFILE_FIELDS if current.get(f) != clean[f]}
        if not changes:
            return {}
        t = now()
        assignments = ", ".join(f"{f} = ?" for f in changes)
        db.execute(f"UPDATE enterprises SET {assignments}, profile_updated_at = ?, profile_updated_by = ? WHERE id = ?",
                   [*(new for _, new in changes.values()), t, identity.user_id, enterprise_id])
        audit.record(db, identity, "update_profile", "enterprise", enterprise_id,
                     old={f: old for f, (old, _) in changes.items()}, new={f: new for f, (_, new) in changes.items()})
        return changes


def profile_changes(db, identity: Identity, enterprise_id: int) -> list[dict]:
    """Audited profile changes of an enterprise the identity may see, newest first, with who made them."""
    get_enterprise(db, identity, enterprise_id)
    return list(db.query(
        "SELECT l.at, l.old, l.new, u.display_name AS who FROM audit_log l LEFT JOIN users u ON u.id = l.user_id "
        "WHERE l.entity = 'enterprise' AND l.entity_id = ? AND l.action = 'update_profile' ORDER BY l.id DESC",
        [str(enterprise_id)]))
