"""The explained result on the page: level, charts, what holds it back, peers, change, gates, downloads.

Everything shown comes from reports.explain (the same object the PDF and the workbook use);
numbers are rounded here, for display only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from reports.charts import level_chart, radar_chart
from reports.explain import Change, Explanation
from ui.i18n import t

MAX_BLOCKERS_SHOWN = 10
SITE = re.compile(r"www\.c3mep\.cn")


def link_sites(text: str) -> str:
    """Explicit links for the web addresses we cite: Markdown's autolink would run on into the Chinese text."""
    return SITE.sub(lambda m: f"[{m.group(0)}](https://{m.group(0)})", text)


@dataclass(frozen=True)
class Download:
    label: str
    file_name: str
    mime: str
    make: Callable[[], bytes]  # runs when the user clicks, off the script thread
    key: str


@dataclass(frozen=True)
class ResultExtras:
    """What the page adds to the explanation: peers, change since last time, downloads."""

    peers: tuple[str, ...] = ()
    change_title: str = ""
    changes: tuple[Change, ...] = ()
    first_time: bool = True
    downloads: tuple[Download, ...] = ()
    full_assessment_page: str | None = None  # link target for the quick check


def _bold_label(key: str) -> str:
    """A bold label before text. The colon stays outside the ** so CommonMark closes the bold after CJK punctuation."""
    label = t(key)
    core = label.rstrip("：: ")
    return f"**{core}**{label[len(core):]}"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def render_result(ex: Explanation, extras: ResultExtras) -> None:
    st.badge(ex.mark, color="green" if ex.verified else "blue", icon=":material/verified:" if ex.verified else None)
    st.caption(t("scoring_version", v=ex.scoring_version) + " · " + t("res_computed_at", when=ex.computed_at))
    _render_downloads(extras.downloads)
    if ex.method == "rule":
        render_rule(ex)
    else:
        render_maturity(ex, extras)


def render_maturity(ex: Explanation, extras: ResultExtras) -> None:
    st.info(link_sites(t("indicative") if ex.indicative else t("self_reference")))
    for note in ex.notes:
        st.caption("⚠️ " + note)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("level"), ex.level_name)
    c2.metric(t("overall_score"), ex.score_text)
    c3.metric(t("res_next_level", name="").rstrip("：: "), ex.next_level_name or t("res_top_level"))
    if ex.uncertainty:
        st.warning(ex.uncertainty)
    if ex.national:
        st.caption(ex.national)

    left, right = st.columns([3, 2])
    left.altair_chart(radar_chart(ex, size=380), width="stretch")
    with right:
        st.altair_chart(level_chart(ex, width=320), width="stretch")
        st.dataframe(pd.DataFrame([{t("wb_level"): lv.name, t("res_level_score"): _fmt(lv.score),
                                    t("wb_state"): lv.state} for lv in ex.levels]), hide_index=True, width="stretch")
        st.caption(t("level_rule", pm=ex.pass_mark))
    with st.expander(t("res_subdomain_table")):
        st.dataframe(pd.DataFrame([{t("element"): sd.element, t("res_domain"): sd.domain, t("res_subdomain"): sd.name,
                                    t("score_0_5"): t("res_na") if sd.score is None else _fmt(sd.score)}
                                   for sd in ex.subdomains]), hide_index=True, width="stretch")

    if ex.method == "cmmm_quick":
        _render_weakest(ex, extras)
    else:
        _render_blockers(ex)
    _render_peers_and_change(extras)
    _render_gates(ex)


def _render_blockers(ex: Explanation) -> None:
    st.subheader(t("res_blockers"))
    st.markdown(ex.blocker_summary)
    for b in ex.blockers[:MAX_BLOCKERS_SHOWN]:
        with st.container(border=True):
            st.markdown(f"**{b.rank}. {b.subdomain}** · {t('res_level_short', n=b.level)} · "
                        f"{t('res_answer_now', answer=b.answer)}")
            st.markdown(b.text)
            if b.evidence:
                st.caption(t("evidence") + b.evidence)
            if b.action:
                st.markdown(_bold_label("res_action") + b.action)
            st.caption(b.gain_text)
    if len(ex.blockers) > MAX_BLOCKERS_SHOWN:
        st.caption(t("res_more_in_workbook", n=len(ex.blockers) - MAX_BLOCKERS_SHOWN))


def _render_weakest(ex: Explanation, extras: ResultExtras) -> None:
    st.subheader(t("res_weakest3"))
    for i, area in enumerate(ex.weakest, start=1):
        with st.container(border=True):
            st.markdown(f"**{i}. {area.name}**")
            st.caption(t("res_chosen", text=area.chosen_text))
            st.markdown(_bold_label("res_action") + area.action)
            if area.gain_text:
                st.caption(area.gain_text)
    if extras.full_assessment_page:
        st.page_link(extras.full_assessment_page, label=t("res_start_full"), icon=":material/assignment:")


def _render_peers_and_change(extras: ResultExtras) -> None:
    if extras.peers:
        st.subheader(t("res_peers"))
        for line in extras.peers:
            st.markdown("- " + line)
    if extras.first_time:
        st.caption(t("res_no_previous"))
    elif extras.changes:
        st.subheader(extras.change_title)
        st.dataframe(pd.DataFrame([{t("res_subdomain"): c.name, t("res_previous"): _fmt(c.previous),
                                    t("res_now"): _fmt(c.now),
                                    t("res_delta"): "—" if c.delta is None else f"{c.delta:+.2f}"}
                                   for c in extras.changes]), hide_index=True, width="stretch")


def _render_gates(ex: Explanation) -> None:
    if not ex.gates:
        return
    st.subheader(t("gates_title"))
    st.caption(t("gates_caption"))
    for gate in ex.gates:
        st.markdown((":material/check_circle: " if gate.met else ":material/radio_button_unchecked: ") + gate.text)
        st.caption(link_sites(gate.source))


def render_rule(ex: Explanation) -> None:
    if ex.outcome:
        st.success(ex.verdict, icon=":material/check_circle:")
    else:
        st.warning(ex.verdict, icon=":material/cancel:")
    st.subheader(t("criteria"))
    st.dataframe(pd.DataFrame([{t("criteria"): label, t("status"): t("met") if met else t("not_met")}
                               for label, met in ex.criteria]), hide_index=True, width="stretch")
    st.subheader(t("indicators"))
    st.dataframe(pd.DataFrame([{t("indicators"): label, t("wb_value"): value} for label, value in ex.indicators]),
                 hide_index=True, width="stretch")


def _render_downloads(downloads: tuple[Download, ...]) -> None:
    if not downloads:
        return
    cols = st.columns(len(downloads))
    for col, d in zip(cols, downloads, strict=True):
        col.download_button(d.label, data=d.make, file_name=d.file_name, mime=d.mime, key=d.key,
                            on_click="ignore", icon=":material/download:", type="primary")
