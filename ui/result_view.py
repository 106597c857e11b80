"""Explained results: maturity (S, Sₙ, element/domain/sub-domain scores, next steps) and the adoption verdict."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from i18n import lang, t, tx
from questionnaires import registry
from questionnaires.model import Questionnaire
from ui.question_widgets import SCALE4_LABELS


def render_result(questionnaire: Questionnaire, result: dict) -> None:
    detail = result["detail"]
    st.caption(t("scoring_version", v=result["scoring_version"]) + f" · {result['computed_at'][:19].replace('T', ' ')} UTC")
    if detail["method"] in ("cmmm", "cmmm_quick"):
        render_maturity(questionnaire, detail)
    elif detail["method"] == "rule":
        render_rule(questionnaire, detail)


def _level_name(scoring, level: int) -> str:
    return tx(scoring.level_name(level)) if level else tx(scoring.below_level_1)


def _subdomain_name(questionnaire: Questionnaire, sd: str) -> str:
    """A sub-domain's short name: its section title (full) or the full questionnaire's title for it (quick)."""
    section = questionnaire.section(sd)
    if section is not None:
        return tx(section.title)
    full = next((q for q in registry.load_all().values() if q.section(sd.removeprefix("quick_"))), None)
    return tx(full.section(sd.removeprefix("quick_")).title) if full else sd


def subdomain_table(questionnaire: Questionnaire, detail: dict) -> pd.DataFrame:
    """One row per sub-domain: element, domain, score (0-5) and per-level scores; the data behind the chart."""
    s = questionnaire.scoring
    rows = []
    for element in s.structure:
        for domain in element.children:
            for sd in domain.subdomains:
                info = detail["subdomains"][sd]
                name = _subdomain_name(questionnaire, sd)
                rows.append({"element": tx(element.label), "domain": tx(domain.label), "subdomain": sd,
                             "name": name, "score": None if info["score"] is None else round(info["score"], 2),
                             "not_applicable": info["score"] is None})
    return pd.DataFrame(rows)


def render_maturity(questionnaire: Questionnaire, detail: dict) -> None:
    s = questionnaire.scoring
    if detail.get("indicative"):
        st.info(t("indicative"))
    else:
        st.info(t("self_reference"))
    if not detail.get("official_weights"):
        st.caption("⚠️ " + t("unofficial_weights"))
    c1, c2 = st.columns(2)
    c1.metric(t("overall_score"), f"{detail['score']:.2f} / 5")
    c2.metric(t("level"), _level_name(s, detail["level"]))

    st.subheader(t("level_scores"))
    rows = []
    for row in detail["levels"]:
        state = t("passed") if row["passed"] else t("failed")
        if not row["counted"]:
            state = t("not_counted")
        rows.append({t("level"): _level_name(s, row["level"]),
                     "Sₙ": None if row["score"] is None else round(row["score"], 3), t("result"): state})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(("逐级计分：某级得分低于 {pm} 即停止，该级部分得分计入，更高等级不计入。" if lang() == "zh" else
                "Levels are scored upwards; scoring stops at the first level below {pm}, whose partial score counts.")
               .format(pm=detail["pass_mark"]))

    table = subdomain_table(questionnaire, detail)
    # scores are stored at full precision; shown to two decimals
    elements = pd.DataFrame([{t("element"): tx(e.label),
                              t("score_0_5"): None if (x := detail["elements"].get(e.id)) is None else round(x, 2)}
                             for e in s.structure])
    c1, c2 = st.columns([1, 2])
    c1.dataframe(elements, hide_index=True, width="stretch")
    chart_data = table.dropna(subset=["score"])
    if not chart_data.empty:
        chart = alt.Chart(chart_data).mark_bar().encode(
            x=alt.X("score:Q", scale=alt.Scale(domain=[0, 5]), title="0–5"),
            y=alt.Y("name:N", sort=None, title=None),
            color=alt.Color("element:N", title=None),
            tooltip=["element", "domain", "name", "score"],
        )
        c2.altair_chart(chart, width="stretch")

    if detail["method"] == "cmmm_quick":
        st.subheader(t("weakest"))
        for sd in detail.get("weakest", []):
            q = questionnaire.questions[sd]
            option = next((o for o in q.options if o.score == detail["chosen_levels"][sd]), None)
            st.markdown(f"- **{_subdomain_name(questionnaire, sd)}** — {tx(option.label) if option else ''}")
        return
    steps = detail.get("next_steps") or []
    if steps:
        st.subheader(t("next_steps"))
        for step in steps[:10]:
            q = questionnaire.questions[step["item"]]
            answer = SCALE4_LABELS.get(step["answer"] or "not_met")
            answer_text = answer[1] if lang() == "en" else answer[0]
            with st.container(border=True):
                st.markdown(f"**{tx(questionnaire.section(step['subdomain']).title)}** · L{step['level']} · "
                            f"+{step['gain']:.3f} · {answer_text}")
                st.markdown(tx(q.text))
                if q.evidence:
                    st.caption(t("evidence") + tx(q.evidence))


def render_rule(questionnaire: Questionnaire, detail: dict) -> None:
    s = questionnaire.scoring
    if detail["outcome"]:
        st.success(f"✅ {tx(s.outcome_label)}")
    else:
        st.warning(f"❌ {t('not_applies')}")
    st.caption(t("rule_version", v=detail["scoring_version"]))
    st.subheader(t("criteria"))
    labels = {c.id: tx(c.label) for c in s.criteria}
    st.dataframe(pd.DataFrame([{"": "✅" if c["met"] else "—", t("criteria"): labels.get(c["id"], c["id"]),
                                t("status"): t("met") if c["met"] else t("not_met")} for c in detail["criteria"]]),
                 hide_index=True, width="stretch")
    st.subheader(t("indicators"))
    ind_labels = {i.id: (tx(i.label), i.kind) for i in s.indicators}
    rows = []
    for iid, value in detail["indicators"].items():
        label, kind = ind_labels.get(iid, (iid, "count"))
        rows.append({t("indicators"): label, "": "—" if value is None else (f"{value:.1f} %" if kind == "ratio" else str(value))})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
