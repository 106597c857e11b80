"""The demo data set: clearly marked enterprises, a provider, one account per role, some results.

Every demo record carries is_demo = 1 and "（演示）" in its name. Only ever seeded into a database
made in demo mode (ZB_DEMO=1, settings 'mode' = 'demo'); a production database refuses it.
"""

from __future__ import annotations

import random

from db.connection import write_txn
from db.enterprises import assign, create_enterprise, create_provider
from db.identity import Identity
from db.settings import add_setting, get_setting
from db.users import create_user
from zibo.reference import with_check_character

DEMO_PASSWORD = "zibo2025"

# (name, district, industry division, 9-character organisation code body)
ENTERPRISES = [
    ("淄博华盛新材料有限公司（演示）", "zhangdian", "26", "MA3C4D1K2"),
    ("淄博鲁中精密机械有限公司（演示）", "zichuan", "34", "MA3C4D2L3"),
    ("博山琉璃工艺制品有限公司（演示）", "boshan", "30", "MA3C4D3M4"),
    ("临淄石化助剂有限公司（演示）", "linzi", "26", "MA3C4D4N5"),
    ("周村丝绸纺织有限公司（演示）", "zhoucun", "17", "MA3C4D5P6"),
    ("淄博高新生物医药有限公司（演示）", "high_tech_zone", "27", "MA3C4D6Q7"),
    ("桓台汽车零部件有限公司（演示）", "huantai", "36", "MA3C4D7R8"),
    ("沂源医药包装材料有限公司（演示）", "yiyuan", "29", "MA3C4D8T9"),
]
# Complete demo profiles, so demo accounts can start at once: (production type, employees,
# main-business revenue in 万元, contact person, phone), in the order of ENTERPRISES.
PROFILES = [
    ("process", 420, "68500", "张工", "0533-2180001"),
    ("discrete", 260, "31200.5", "王经理", "0533-5180002"),
    ("process", 95, "8600", "孙主任", "0533-4180003"),
    ("process", 380, "152000", "钱部长", "0533-7180004"),
    ("mixed", 310, "24800", "周主管", "0533-6180005"),
    ("process", 180, "41500", "吴经理", "0533-3580006"),
    ("discrete", 520, "96300", "郑工", "0533-8180007"),
    ("mixed", 140, "12700", "冯主任", "0533-3280008"),
]
REGION = {"zhangdian": "370303", "zichuan": "370302", "boshan": "370304", "linzi": "370305",
          "zhoucun": "370306", "huantai": "370321", "gaoqing": "370322", "yiyuan": "370323",
          "high_tech_zone": "370391", "economic_zone": "370392", "wenchang_lake": "370393"}

ACCOUNTS = [
    # username, role, display name, enterprise index (1-based) or provider
    ("ent1", "enterprise", "张工（华盛新材料）", 1),
    ("ent1b", "enterprise", "李工（华盛新材料）", 1),
    ("ent2", "enterprise", "王经理（鲁中精密）", 2),
    ("provider1", "provider", "赵顾问（智造咨询）", None),
    ("bureau1", "bureau", "刘科长（市工信局）", None),
    ("admin", "admin", "系统管理员（演示）", None),
]


def demo_credit_code(district: str, body: str) -> str:
    return with_check_character("91" + REGION[district] + body)


def seed_demo(db) -> bool:
    """Insert the demo data set once; returns False when it is already there."""
    with write_txn(db):
        if get_setting(db, "mode") != "demo":
            raise RuntimeError("refusing to seed demo accounts into a database not made in demo mode")
        if get_setting(db, "demo_seeded") is not None:
            return False
        add_setting(db, "demo_seeded", "1")
        ids = [create_enterprise(db, demo_credit_code(d, body), name, d, ind, is_demo=True,
                                 production_type=kind, employees=staff, revenue_wan=revenue,
                                 contact_name=contact, contact_phone=phone)
               for (name, d, ind, body), (kind, staff, revenue, contact, phone) in zip(ENTERPRISES, PROFILES,
                                                                                       strict=True)]
        provider = create_provider(db, "淄博智造咨询服务有限公司（演示）", is_demo=True)
        for eid in ids[:3]:
            assign(db, None, provider, eid)
        for username, role, name, ent in ACCOUNTS:
            create_user(db, username, DEMO_PASSWORD, role, name, enterprise_id=ids[ent - 1] if ent else None,
                        provider_id=provider if role == "provider" else None, is_demo=True)
        staff = {}
        for i, eid in enumerate(ids[2:], start=3):
            uid = create_user(db, f"ent{i}", DEMO_PASSWORD, "enterprise", f"企业用户{i}（演示）",
                              enterprise_id=eid, is_demo=True)
            staff[eid] = Identity(uid, f"ent{i}", "enterprise", f"企业用户{i}（演示）", enterprise_id=eid)
    _seed_submissions(db, staff)
    return True


def _seed_submissions(db, staff: dict[int, Identity]) -> None:
    """Submitted industrial-internet and quick-check answers for enterprises 3-8, through the real path."""
    from assessments import filling
    from db.assessments import start_assessment
    from questionnaires import registry

    rng = random.Random(2025)
    catalogue = {q.id for q in registry.load_all().values()}
    for identity in staff.values():
        if "ii_adoption" in catalogue:
            ii = registry.latest("ii_adoption")
            aid, _ = start_assessment(db, identity, ii.id, ii.version)
            for item, value in _ii_answers(rng).items():
                filling.save_item(db, identity, ii, aid, item, value, expected_rev=0)
            filling.submit(db, identity, aid)
        if "cmmm_quick" in catalogue:
            quick = registry.latest("cmmm_quick")
            aid, _ = start_assessment(db, identity, quick.id, quick.version)
            for q in quick.questions.values():
                if q.type == "single_choice":
                    # skewed towards the lower levels, like every published national distribution
                    weights = None if q.id == quick.scoring.type_question else [3, 5, 4, 2, 1, 1][: len(q.options)]
                    option = rng.choices(q.options, weights=weights)[0]
                    filling.save_item(db, identity, quick, aid, q.id, option.id, expected_rev=0)
            filling.submit(db, identity, aid)


def _ii_answers(rng: random.Random) -> dict:
    total = rng.randint(40, 400)
    digitised = rng.randint(total // 5, total)
    networked = rng.randint(0, digitised)
    on_platform = rng.randint(0, networked) if rng.random() < 0.6 else 0
    use = rng.choice(["none", "none", "own", "third_party"])
    answers = {
        "platform_use": use,
        "equipment_total": total, "equipment_digitised": digitised,
        "equipment_networked": networked, "equipment_on_platform": on_platform,
        "cloud_systems": rng.choice([["oa"], ["erp", "oa"], ["mes", "erp"], ["none_cloud"]]),
        "identifier_registered": rng.choice(["yes", "no"]),
        "network_types": rng.choice([["enterprise_network"], ["industrial_control", "enterprise_network"],
                                     ["industrial_control", "private_5g"]]),
        "auto_collection_steps": rng.choice([["none_steps"], ["step_production_control", "step_quality"]]),
        "network_security_measures": ["ns_policy"],
        "data_security_measures": ["ds_policy"],
        "ii_management_grade": "none_grade", "smart_factory_tier": "none_tier",
        "digital_workshop": "no", "five_g_factory": "no", "sme_pilot_service": "no", "network_full_coverage": "no",
    }
    if use != "none":
        answers["platform_name"] = "演示平台"
        answers["platform_functions"] = rng.choice([["office_only"], ["equipment_monitoring", "energy_management"]])
        if use == "third_party":
            answers["platform_tier"] = "provincial"
    if answers["identifier_registered"] == "yes":
        answers.update(identifier_node="淄博市新材料行业二级节点", identifier_prefix="88.123.4567",
                       identifier_uses=["product_traceability"])
    return answers
