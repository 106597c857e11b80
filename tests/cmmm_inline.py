"""A small inline cmmm questionnaire for scoring tests (built as YAML text, loaded by the real loader)."""

from __future__ import annotations

from questionnaires.loader import load_text

LEVELS = (1, 2, 3, 4, 5)
TYPES = ("discrete", "process", "mixed")


def item_ids(sd: str, level: int, per_level: int) -> list[str]:
    return [f"{sd}_l{level}_{i}" for i in range(1, per_level + 1)]


def build_yaml(subdomains=("sd_a", "sd_b", "sd_c"), per_level: int = 2, weights: dict | None = None,
               typed_items: bool = True) -> str:
    """Sub-domain sections (allow_na) with ``per_level`` scale4 items at each level 1..5.

    With ``typed_items``, the second sub-domain has two extra level-2 items: ``<sd>_l2_discrete``
    (relevant for discrete/mixed) and ``<sd>_l2_process`` (relevant for process/mixed).
    ``weights`` maps type -> {sub-domain: weight}; None writes equal weights for every type,
    ``{}`` writes no weights at all (which the loader refuses, QF405).
    """
    out = [
        "format: 1", "id: cmmm_inline", 'version: "1"', "title: {zh: 测试成熟度, en: Test maturity}", "sections:",
        "  - id: profile", "    title: {zh: 企业类型}", "    questions:",
        "      - id: manufacturing_type", "        type: single_choice", "        text: {zh: 生产方式}",
        "        options:",
        *[f"          - {{id: {t}, label: {{zh: {t}}}}}" for t in TYPES],
    ]
    for k, sd in enumerate(subdomains):
        out += [f"  - id: {sd}", f"    title: {{zh: 子域 {sd}}}", "    allow_na: true", "    questions:"]
        for n in LEVELS:
            for qid in item_ids(sd, n, per_level):
                out += [f"      - id: {qid}", "        type: scale4", f"        level: {n}", f"        text: {{zh: 条目 {qid}}}"]
            if typed_items and k == 1 and n == 2:
                for kind, rel in (("discrete", "[discrete, mixed]"), ("process", "[process, mixed]")):
                    out += [f"      - id: {sd}_l2_{kind}", "        type: scale4", "        level: 2",
                            f"        text: {{zh: 仅{kind}}}",
                            f"        relevant: {{question: manufacturing_type, in: {rel}}}"]
    out += [
        "scoring:", "  method: cmmm", '  version: "2025.1"', "  official_weights: false",
        "  type_question: manufacturing_type",
        "  scale_values: {not_met: 0, partly_met: 0.5, largely_met: 0.8, fully_met: 1}",
        "  pass_mark: 0.8", "  levels:",
        *[f"    - {{level: {n}, min_score: {n - 0.2}, name: {{zh: 等级{n}}}}}" for n in LEVELS],
        "  below_level_1: {zh: 未达到一级}", "  structure:",
        "    - id: element", "      label: {zh: 要素}", "      domains:",
        f"        - {{id: domain, label: {{zh: 域}}, subdomains: [{', '.join(subdomains)}]}}",
    ]
    if weights is None:  # every weight is written in the file (QF405): equal weights for every type
        weights = {t: dict.fromkeys(subdomains, 1) for t in TYPES}
    if weights:
        out.append("  weights:")
        for t, table in weights.items():
            out.append(f"    {t}: {{{', '.join(f'{sd}: {w}' for sd, w in table.items())}}}")
    return "\n".join(out) + "\n"


def build(**kwargs):
    return load_text(build_yaml(**kwargs), "cmmm_inline_v1.yaml")


def scale_items(q) -> list[str]:
    return [qid for qid, question in q.questions.items() if question.type == "scale4"]


def uniform(q, value: str, mtype: str = "discrete") -> dict:
    """Every scale4 item answered ``value`` (irrelevant ones included; scoring must ignore them)."""
    answers = {qid: value for qid in scale_items(q)}
    answers["manufacturing_type"] = mtype
    return answers
