"""Reference data for Zibo (domain.md §6–7): districts and zones, industries, credit codes."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from questionnaires.model import Text

# 5 districts + 3 counties + 3 functional zones (domain.md §6.1): value -> (zh, en)
DISTRICTS = {
    "zhangdian": ("张店区", "Zhangdian District"),
    "zichuan": ("淄川区", "Zichuan District"),
    "boshan": ("博山区", "Boshan District"),
    "linzi": ("临淄区", "Linzi District"),
    "zhoucun": ("周村区", "Zhoucun District"),
    "huantai": ("桓台县", "Huantai County"),
    "gaoqing": ("高青县", "Gaoqing County"),
    "yiyuan": ("沂源县", "Yiyuan County"),
    "high_tech_zone": ("淄博高新区", "Zibo High-tech Zone"),
    "economic_zone": ("淄博经济开发区", "Zibo Economic Development Zone"),
    "wenchang_lake": ("文昌湖区", "Wenchang Lake District"),
}

# GB/T 4754-2017 manufacturing divisions 13-43 (domain.md §6.4)
INDUSTRIES = {
    "13": "农副食品加工业", "14": "食品制造业", "15": "酒、饮料和精制茶制造业", "16": "烟草制品业",
    "17": "纺织业", "18": "纺织服装、服饰业", "19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "20": "木材加工和木、竹、藤、棕、草制品业", "21": "家具制造业", "22": "造纸和纸制品业",
    "23": "印刷和记录媒介复制业", "24": "文教、工美、体育和娱乐用品制造业",
    "25": "石油、煤炭及其他燃料加工业", "26": "化学原料和化学制品制造业", "27": "医药制造业",
    "28": "化学纤维制造业", "29": "橡胶和塑料制品业", "30": "非金属矿物制品业",
    "31": "黑色金属冶炼和压延加工业", "32": "有色金属冶炼和压延加工业", "33": "金属制品业",
    "34": "通用设备制造业", "35": "专用设备制造业", "36": "汽车制造业",
    "37": "铁路、船舶、航空航天和其他运输设备制造业", "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业", "40": "仪器仪表制造业", "41": "其他制造业",
    "42": "废弃资源综合利用业", "43": "金属制品、机械和设备修理业",
}

def district_label(value: str | None, lang: str = "zh") -> str:
    if value not in DISTRICTS:
        return value or ""
    zh, en = DISTRICTS[value]
    return en if lang == "en" else zh


def industry_label(code: str | None) -> str:
    return f"{code} {INDUSTRIES[code]}" if code in INDUSTRIES else (code or "")


# --- unified social credit code (GB 32100-2015, domain.md §7) ---------------------------------
#
# Decision: our own validator, not python-stdnum's ``stdnum.cn.uscc``. stdnum (2.2) checks length,
# alphabet and check character, but (1) does not normalise full-width input and (2) requires the
# first 8 characters to be digits, which rejects valid codes whose registration-authority character
# is A, N or Y. It also cannot say *which* rule failed in Chinese. The algorithm is 10 lines and
# is cross-checked against stdnum in tests/test_reference.py for every code stdnum can judge.

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters; I, O, S, V, Z are never used
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, ... (GB/T 17710, mod 31)

# Registration authority (position 1) -> entity categories (position 2) it issues. GB 32100-2015
# annex, as reproduced by public validators ([K] in domain.md §7.1 for all but 1, 5, 9 and Y).
# "9 = 其他" exists under most authorities; 9 (市场监管) issues 1 企业, 2 个体工商户, 3 农民专业合作社.
USCC_CATEGORIES = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "1234569",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监管（原工商）
    "A": "19",  # 军队
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}


@dataclass(frozen=True)
class CreditCodeProblem:
    """Which GB 32100 rule a credit code breaks, with a bilingual message (Chinese first)."""

    rule: str  # "empty", "length", "charset", "authority", "category", "region", "check"
    message: Text


def normalise_credit_code(code: str | None) -> str:
    """Trim, turn full-width characters into half-width, upper-case, drop inner spaces."""
    return "".join(unicodedata.normalize("NFKC", code or "").split()).upper()


def _check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str | None) -> CreditCodeProblem | None:
    """The first rule a unified social credit code breaks (after normalising), or None if it is valid.

    Rules in order: length 18; character set; registration-authority code (1–9, A, N, Y);
    entity category allowed for that authority; region code (positions 3–8) digits; check character.
    """
    code = normalise_credit_code(code)
    if not code:
        return CreditCodeProblem("empty", Text("请填写统一社会信用代码。", "Enter the unified social credit code."))
    if len(code) != 18:
        return CreditCodeProblem("length", Text(
            f"长度应为 18 位，当前为 {len(code)} 位。", f"must be 18 characters long, got {len(code)}."))
    bad = "".join(sorted({ch for ch in code if ch not in USCC_ALPHABET}))
    if bad:
        return CreditCodeProblem("charset", Text(
            f"含有不允许的字符：{bad}（只能使用数字和除 I、O、S、V、Z 以外的大写字母）。",
            f"contains characters not used in credit codes: {bad} (digits and capital letters except I, O, S, V, Z)."))
    if code[0] not in USCC_CATEGORIES:
        return CreditCodeProblem("authority", Text(
            f"第 1 位登记管理部门代码“{code[0]}”无效（应为 1–9、A、N 或 Y）。",
            f"position 1 (registration authority) '{code[0]}' is invalid (must be 1–9, A, N or Y)."))
    if code[1] not in USCC_CATEGORIES[code[0]]:
        allowed = "、".join(USCC_CATEGORIES[code[0]])
        return CreditCodeProblem("category", Text(
            f"第 2 位机构类别代码“{code[1]}”与登记管理部门“{code[0]}”不符（应为 {allowed}）。",
            f"position 2 (entity category) '{code[1]}' is not used under authority '{code[0]}' "
            f"(allowed: {', '.join(USCC_CATEGORIES[code[0]])})."))
    if not code[2:8].isdigit():
        return CreditCodeProblem("region", Text(
            f"第 3–8 位登记管理机关行政区划码“{code[2:8]}”必须全部为数字。",
            f"positions 3–8 (region code) '{code[2:8]}' must be digits."))
    expected = _check_character(code[:17])
    if code[17] != expected:
        return CreditCodeProblem("check", Text(
            "第 18 位校验码不正确，请逐位核对代码（可能有输错的字符）。",
            "position 18 (check character) is wrong; check the code character by character for a typo."))
    return None


def credit_code_problem(code: str | None, lang: str = "zh") -> str | None:
    """The reason a credit code is invalid as plain text in ``lang``, or None when it is valid."""
    problem = check_credit_code(code)
    return None if problem is None else problem.message.get(lang)


def with_check_character(first17: str) -> str:
    """Complete 17 characters with their check character (used for demo and test data)."""
    return first17 + _check_character(first17)
