"""Reference data for Zibo (domain.md §6–7): districts and zones, industries, credit codes."""

from __future__ import annotations

import unicodedata

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

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def district_label(value: str | None, lang: str = "zh") -> str:
    if value not in DISTRICTS:
        return value or ""
    zh, en = DISTRICTS[value]
    return en if lang == "en" else zh


def industry_label(code: str | None) -> str:
    return f"{code} {INDUSTRIES[code]}" if code in INDUSTRIES else (code or "")


def normalise_credit_code(code: str) -> str:
    """Trim, turn full-width characters into half-width, upper-case."""
    return unicodedata.normalize("NFKC", code or "").strip().upper()


def credit_code_problem(code: str) -> str | None:
    """Why a unified social credit code (GB 32100-2015) is invalid, or None if it is valid."""
    code = normalise_credit_code(code)
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({ch for ch in code if ch not in USCC_ALPHABET})
    if bad:
        return f"contains characters not used in credit codes: {''.join(bad)} (I, O, S, V, Z are never used)"
    if not code[2:8].isdigit():
        return "characters 3-8 (region code) must be digits"
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS))
    expected = USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"check character is wrong (expected {expected})"
    return None


def with_check_character(first17: str) -> str:
    """Complete 17 characters with their check character (used for demo and test data)."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]
