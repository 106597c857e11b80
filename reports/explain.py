"""What the results page and the reports say about one stored result (pure; no Streamlit, no SQL).

``explain()`` turns a questionnaire and its stored result into plain data in one language:
the headline, level-by-level scores against the pass mark, what holds the enterprise below the
next level (ranked, with evidence hint and action), the quick check's weakest areas, the adoption
verdict, and public gates. The page, the PDF and the workbook all read this one object, so they
agree. Numbers stay exact here; only the ``*_text`` fields are rounded for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import scoring
from questionnaires import registry
from questionnaires.model import CmmmScoring, Questionnaire, Text
from reports.advice import Advice, base_subdomain
from reports.advice import load as load_advice
from scoring import shown
from ui.i18n import STRINGS

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOLERANCE = 1e-9  # threshold comparisons on sums of exact scores
GAIN_TOLERANCE = 1e-5  # scoring stores each gain rounded to 6 places; a sum of ~20 may be off by this much
SCALE4_ZH_EN = {"not_met": ("不满足", "Not met"), "partly_met": ("部分满足", "Partly met"),
                "largely_met": ("大部分满足", "Largely met"), "fully_met": ("全部满足", "Fully met")}


def say(key: str, lang: str = "zh", **kwargs) -> str:
    """A string from i18n.STRINGS in an explicit language (reports are built outside a page run)."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**kwargs) if kwargs else text


def pick(text: Text | None, lang: str) -> str:
    return text.get(lang) if text is not None else ""


def local_time(utc_iso: str | None) -> str:
    """A stored UTC timestamp shown in Asia/Shanghai, 'YYYY-MM-DD HH:MM'."""
    if not utc_iso:
        return ""
    moment = datetime.fromisoformat(utc_iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class LevelRow:
    level: int
    name: str
    score: float | None
    passed: bool
    counted: bool
    state: str


@dataclass(frozen=True)
class SubdomainRow:
    id: str
    name: str
    element: str
    domain: str
    score: float | None  # 0-5; None = not applicable
    not_applicable: str | None


@dataclass(frozen=True)
class Blocker:
    """One item that fails at the first level below the pass mark, with what to do."""

    rank: int
    item: str
    subdomain: str
    level: int
    text: str
    answer: str
    evidence: str
    action: str
    gain: float  # exact rise of S_k (and of the total) if the item were fully met
    gain_text: str


@dataclass(frozen=True)
class WeakArea:
    """A weak sub-domain of the quick check: where it stands, what to do, what it would change."""

    subdomain: str
    name: str
    chosen_level: int
    chosen_text: str
    action: str
    gain_text: str


@dataclass(frozen=True)
class Gate:
    tier: str
    required_level: int
    met: bool
    text: str
    source: str


@dataclass
class Explanation:
    method: str
    lang: str
    title: str
    questionnaire_id: str
    questionnaire_version: str
    scoring_version: str
    computed_at: str  # Asia/Shanghai
    verified: bool
    mark: str  # 自评 / 已核验
    indicative: bool = False
    official_weights: bool = True
    score: float | None = None
    level: int | None = None
    level_name: str = ""
    score_text: str = ""
    next_level_name: str = ""
    pass_mark: float = 0.8
    levels: list[LevelRow] = field(default_factory=list)
    subdomains: list[SubdomainRow] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    blocker_summary: str = ""
    uncertainty: str = ""
    weakest: list[WeakArea] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    outcome: bool | None = None
    verdict: str = ""
    criteria: list[tuple[str, bool]] = field(default_factory=list)
    indicators: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    national: str = ""  # the published national distribution of levels, for context (domain.md §1.7)

    @property
    def next_steps(self) -> list[str]:
        """The concrete actions in order (first = most useful), as the page and the PDF list them."""
        if self.method == "cmmm_quick":
            return [f"{w.name}：{w.action}" if self.lang == "zh" else f"{w.name}: {w.action}" for w in self.weakest]
        seen, steps = set(), []
        for b in self.blockers:
            if b.action and (b.subdomain, b.action) not in seen:
                seen.add((b.subdomain, b.action))
                steps.append(f"{b.subdomain}：{b.action}" if self.lang == "zh" else f"{b.subdomain}: {b.action}")
        return steps


def subdomain_name(questionnaire: Questionnaire, sd: str, lang: str) -> str:
    """A sub-domain's short name: its section title (full) or the full questionnaire's title for it (quick)."""
    section = questionnaire.section(sd)
    if section is not None:
        return pick(section.title, lang)
    base = base_subdomain(sd)
    full = next((q for q in registry.load_all().values() if q.section(base)), None)
    return pick(full.section(base).title, lang) if full else sd


def _level_name(s: CmmmScoring, level: int | None, lang: str) -> str:
    return pick(s.level_name(level) if level else s.below_level_1, lang)


def _min_score(s: CmmmScoring, level: int) -> float | None:
    return next((lv.min_score for lv in s.levels if lv.level == level), None)


def explain(questionnaire: Questionnaire, result: dict, *, verified: bool = False, lang: str = "zh",
            advice: Advice | None = None) -> Explanation:
    """Explain a stored result row (``detail`` decoded) of ``questionnaire`` in ``lang``."""
    detail = result["detail"]
    ex = Explanation(
        method=detail["method"], lang=lang, title=pick(questionnaire.title, lang),
        questionnaire_id=questionnaire.id, questionnaire_version=questionnaire.version,
        scoring_version=detail["scoring_version"], computed_at=local_time(result.get("computed_at")),
        verified=verified, mark=say("mark_verified" if verified else "mark_self", lang))
    if detail["method"] == "rule":
        _explain_rule(ex, questionnaire, detail, lang)
        return ex
    advice = advice or load_advice()
    _explain_maturity(ex, questionnaire, detail, lang)
    if detail["method"] == "cmmm_quick":
        _explain_quick(ex, questionnaire, detail, lang, advice)
    else:
        _explain_blockers(ex, questionnaire, detail, lang, advice)
    ex.gates = public_gates(ex.level or 0, lang, indicative=ex.indicative)
    return ex


def _explain_maturity(ex: Explanation, q: Questionnaire, detail: dict, lang: str) -> None:
    s = q.scoring
    ex.indicative = bool(detail.get("indicative")) or detail["method"] == "cmmm_quick"
    ex.official_weights = bool(detail.get("official_weights"))
    ex.score, ex.level, ex.pass_mark = detail["score"], detail["level"], detail["pass_mark"]
    ex.level_name = _level_name(s, ex.level, lang)
    ex.score_text = f"{shown(ex.score)} / 5"
    top = max(lv.level for lv in s.levels)
    ex.next_level_name = _level_name(s, ex.level + 1, lang) if ex.level < top else ""
    for row in detail["levels"]:
        state = say("passed" if row["passed"] else "failed", lang) if row["counted"] else say("not_counted", lang)
        ex.levels.append(LevelRow(row["level"], _level_name(s, row["level"], lang), row["score"], row["passed"],
                                  row["counted"], state))
    for element in s.structure:
        for domain in element.children:
            for sd in domain.subdomains:
                info = detail["subdomains"][sd]
                ex.subdomains.append(SubdomainRow(sd, subdomain_name(q, sd, lang), pick(element.label, lang),
                                                  pick(domain.label, lang), info["score"], info["not_applicable"]))
    if not ex.official_weights:
        ex.notes.append(say("unofficial_weights", lang))
    ex.national = say("res_national", lang)


def _explain_blockers(ex: Explanation, q: Questionnaire, detail: dict, lang: str, advice: Advice) -> None:
    s = q.scoring
    k = detail.get("stopped_at")
    if k is None:
        ex.blocker_summary = say("res_all_levels_passed", lang)
        return
    sk = next(row["score"] for row in detail["levels"] if row["level"] == k)
    gap = s.pass_mark - sk
    for rank, step in enumerate(detail.get("next_steps") or [], start=1):
        question = q.questions[step["item"]]
        answer = SCALE4_ZH_EN.get(step["answer"] or "not_met", ("", ""))[1 if lang == "en" else 0]
        action = advice.action(step["subdomain"], step["level"])
        share = step["gain"] / gap if gap > 0 else 0.0
        gain_text = say("res_gain_full", lang, level=k, gain=f"{step['gain']:.3f}", now=shown(sk),
                        mark=f"{s.pass_mark:.1f}", share=f"{share:.0%}")
        ex.blockers.append(Blocker(rank, step["item"], subdomain_name(q, step["subdomain"], lang), step["level"],
                                   pick(question.text, lang), answer, pick(question.evidence, lang),
                                   pick(action, lang), step["gain"], gain_text))
    ex.blocker_summary = _blocker_summary(ex, s, detail["levels"], k, sk, lang)


def _projected_total(levels: list[dict], k: int, sk: float, pass_mark: float) -> float:
    """The total S if level k scored ``sk``: lower levels as stored, higher ones counted while they pass.

    Items of level k do not change other levels' scores, so this is exact, not an estimate.
    """
    total = 0.0
    for row in sorted(levels, key=lambda r: r["level"]):
        score = sk if row["level"] == k else row["score"]
        if score is None:
            continue
        total += score
        if row["level"] >= k and score < pass_mark - GAIN_TOLERANCE:
            break
    return total


def _blocker_summary(ex: Explanation, s: CmmmScoring, levels: list[dict], k: int, sk: float, lang: str) -> str:
    """Where S_k stands, and how many of the ranked items are enough to reach the next level's band."""
    text = say("res_stopped_at", lang, level=k, score=shown(sk), mark=f"{s.pass_mark:.1f}")
    target = _min_score(s, ex.level + 1)
    if target is None or not ex.blockers:
        return text
    raised = sk
    for n, blocker in enumerate(ex.blockers, start=1):
        raised += blocker.gain
        if _projected_total(levels, k, raised, s.pass_mark) >= target - GAIN_TOLERANCE:
            return text + say("res_first_n_enough", lang, n=n, next=ex.next_level_name, target=f"{target:.1f}")
    return text + say("res_lower_levels_too", lang, next=ex.next_level_name, target=f"{target:.1f}")


# -- quick check -------------------------------------------------------------------------------------

def _quick_answers(q: Questionnaire, detail: dict, change: dict[str, int] | None = None) -> tuple[dict, dict]:
    """The answers behind a stored quick-check result (levels per sub-domain), optionally changed."""
    s = q.scoring
    answers: dict = {}
    if s.type_question and detail.get("type"):
        answers[s.type_question] = detail["type"]
    levels = dict(detail["chosen_levels"])
    levels.update(change or {})
    for sd, level in levels.items():
        option = next((o for o in q.questions[sd].options if o.score is not None and int(o.score) == level), None)
        if option is not None:
            answers[sd] = option.id
    na = {sd: info["not_applicable"] for sd, info in detail["subdomains"].items() if info["not_applicable"]}
    return answers, na


def _rescored(q: Questionnaire, detail: dict, change: dict[str, int]) -> dict:
    return scoring.score(q, *_quick_answers(q, detail, change))


def _explain_quick(ex: Explanation, q: Questionnaire, detail: dict, lang: str, advice: Advice) -> None:
    s = q.scoring
    top = max(lv.level for lv in s.levels)
    chosen = detail["chosen_levels"]
    lower = _rescored(q, detail, {sd: max(0, lv - 1) for sd, lv in chosen.items()})
    upper = _rescored(q, detail, {sd: min(top, lv + 1) for sd, lv in chosen.items()})
    ex.uncertainty = say("res_quick_uncertainty", lang, level=ex.level_name,
                         low=_level_name(s, lower["level"], lang), high=_level_name(s, upper["level"], lang))
    for sd in (detail.get("weakest") or [])[:3]:
        level = chosen[sd]
        name = subdomain_name(q, sd, lang)
        option = next((o for o in q.questions[sd].options if o.score is not None and int(o.score) == level), None)
        chosen_text = pick(option.label, lang) if option else ""
        if level >= top:
            ex.weakest.append(WeakArea(sd, name, level, chosen_text, say("res_top_already", lang), ""))
            continue
        action = pick(advice.action(sd, level + 1), lang)
        raised = _rescored(q, detail, {sd: level + 1})
        rise = raised["score"] - detail["score"]
        if raised["level"] > detail["level"]:
            effect = say("res_quick_gain_level", lang, level=_level_name(s, raised["level"], lang))
        else:
            effect = say("res_quick_gain_same", lang)
        gain_text = say("res_quick_gain", lang, name=name, to=_level_name(s, level + 1, lang), before=shown(detail['score']),
                        after=shown(raised['score']), rise=f"{rise:.2f}") + effect
        ex.weakest.append(WeakArea(sd, name, level, chosen_text, action, gain_text))


# -- public gates --------------------------------------------------------------------------------------

# (tier key, level required, source key, confidence key); domain.md §1.3 and §9.
GATES = (("gate_basic", 2, "gate_src_shandong", None),
         ("gate_advanced", 2, "gate_src_shandong", None),
         ("gate_excellent", 3, "gate_src_excellent", "gate_conf_k"))


def public_gates(level: int, lang: str = "zh", *, indicative: bool = False) -> list[Gate]:
    """Public smart-factory gates this level meets or not: references with source and date, never decisions."""
    gates = []
    for tier_key, required, source_key, conf_key in GATES:
        met = level >= required
        text = say("gate_met" if met else "gate_not_met", lang, tier=say(tier_key, lang), required=required)
        if indicative:
            text += say("gate_indicative", lang)
        gates.append(Gate(say(tier_key, lang), required, met, text,
                          say(source_key, lang) + (" " + say(conf_key, lang) if conf_key else "")))
    return gates


# -- adoption (rule) -----------------------------------------------------------------------------------

def _explain_rule(ex: Explanation, q: Questionnaire, detail: dict, lang: str) -> None:
    s = q.scoring
    ex.outcome = bool(detail["outcome"])
    ex.verdict = pick(s.outcome_label, lang) if ex.outcome else say("not_applies", lang)
    labels = {c.id: pick(c.label, lang) for c in s.criteria}
    ex.criteria = [(labels.get(c["id"], c["id"]), bool(c["met"])) for c in detail["criteria"]]
    kinds = {i.id: (pick(i.label, lang), i.kind) for i in s.indicators}
    for iid, value in detail["indicators"].items():
        label, kind = kinds.get(iid, (iid, "count"))
        if value is None:
            shown = say("res_no_value", lang)
        elif kind == "ratio":
            shown = f"{value:.1f} %"
        else:
            shown = str(value)
        ex.indicators.append((label, shown))


# -- change since the previous assessment ----------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    subdomain: str
    name: str
    previous: float | None
    now: float | None
    delta: float | None  # None when either side is not applicable


def subdomain_changes(questionnaire: Questionnaire, detail: dict, previous_detail: dict, lang: str = "zh") -> list[Change]:
    """Per sub-domain: previous score, current score and the difference (exact; round when shown)."""
    changes = []
    for sd in questionnaire.scoring.subdomains:
        now = (detail["subdomains"].get(sd) or {}).get("score")
        before = (previous_detail.get("subdomains", {}).get(sd) or {}).get("score")
        delta = now - before if now is not None and before is not None else None
        changes.append(Change(sd, subdomain_name(questionnaire, sd, lang), before, now, delta))
    return changes


# -- peers -------------------------------------------------------------------------------------------

def peer_lines(standings, lang: str = "zh", min_peers: int = 5) -> list[str]:
    """One sentence per peer group (db.peers.PeerStanding), hiding groups with too few peers."""
    from zibo.reference import district_label, industry_label

    lines = []
    for st in standings:
        if st.group == "industry":
            label = say("res_peer_industry", lang, name=industry_label(st.value) if st.value else "—")
        else:
            label = say("res_peer_district", lang, name=district_label(st.value, lang) if st.value else "—")
        if st.value is None:
            text = say("res_peer_unknown", lang)
        elif st.share_below is None:
            text = say("res_peer_hidden", lang, min=min_peers, n=st.peers)
        else:
            text = say("res_peer_value", lang, pct=f"{st.share_below:.0%}", n=st.peers)
        lines.append(f"{label}：{text}" if lang == "zh" else f"{label}: {text}")
    return lines


def report_filename(questionnaire_id: str, enterprise_name: str, day: str, ext: str, lang: str = "zh") -> str:
    """``<report name>_<enterprise>_<YYYYMMDD>.<ext>``, without characters file systems refuse."""
    key = f"report_{questionnaire_id}"
    name = say(key if key in STRINGS else "report_other", lang)
    safe = "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in enterprise_name).strip()
    return f"{name}_{safe}_{day}.{ext}"
