"""Charts of an explained maturity result (Altair), shown on the page and rendered to PNG for the PDF.

Vega-Lite has no radar mark: the radar is drawn from x/y computed here (engineering.md §6).
PNG export uses vl-convert with a CJK font registered from the system fonts, so Chinese labels
render the same on a server without a desktop font setup.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import altair as alt
import pandas as pd

from reports.explain import Explanation, say
from scoring import shown

# (font directory, family name), first found wins; both come from Debian packages.
CJK_FONTS = (("/usr/share/fonts/truetype/wqy", "WenQuanYi Micro Hei"),
             ("/usr/share/fonts/opentype/noto", "Noto Sans CJK SC"))
RADIUS_MAX = 5.0
LABEL_RADIUS = 6.1
STATE_COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "not_counted": "#9e9e9e"}


class NoCjkFont(RuntimeError):
    """No Chinese font is installed where the charts and the PDF look for one."""


@cache
def cjk_font() -> tuple[str, str]:
    """(directory, family) of the first installed CJK font; NoCjkFont if none."""
    for directory, family in CJK_FONTS:
        if Path(directory).is_dir() and any(Path(directory).iterdir()):
            return directory, family
    raise NoCjkFont(say("pdf_no_font"))


def _angle(i: int, n: int) -> float:
    return math.pi / 2 - 2 * math.pi * i / n


def radar_frame(ex: Explanation) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(series points, label points) of the radar; polygons closed by repeating the first point."""
    rows = ex.subdomains
    n = len(rows)
    current = say("res_series_current", ex.lang)
    series: list[tuple[str, float | None]] = [(current, None)]
    if ex.next_level_name:
        nxt = next((lv for lv in ex.levels if lv.name == ex.next_level_name), None)
        series.append((say("res_series_next", ex.lang, name=ex.next_level_name), float(nxt.level) if nxt else None))
    points, labels = [], []
    for name, fixed in series:
        for order, i in enumerate([*range(n), 0]):
            row = rows[i]
            value = fixed if fixed is not None else (row.score or 0.0)
            a = _angle(i, n)
            points.append({"series": name, "order": order, "name": row.name, "value": value,
                           "x": value * math.cos(a), "y": value * math.sin(a)})
    for i, row in enumerate(rows):
        a = _angle(i, n)
        figure = say("res_na", ex.lang) if row.score is None else shown(row.score)
        labels.append({"label": f"{row.name} {figure}", "x": LABEL_RADIUS * math.cos(a),
                       "y": LABEL_RADIUS * math.sin(a),
                       "align": "center" if abs(math.cos(a)) < 0.2 else ("left" if math.cos(a) > 0 else "right")})
    return pd.DataFrame(points), pd.DataFrame(labels)


def radar_chart(ex: Explanation, size: int = 460) -> alt.LayerChart:
    """The 20 sub-domains on one radar: current score and the next level as a ring, grid rings 1-5."""
    points, labels = radar_frame(ex)
    n = len(ex.subdomains)
    grid = pd.DataFrame([{"ring": r, "order": k, "x": r * math.cos(_angle(k % n, n)), "y": r * math.sin(_angle(k % n, n))}
                         for r in range(1, 6) for k in range(n + 1)])
    spokes = pd.DataFrame([{"spoke": i, "x": r * math.cos(_angle(i, n)), "y": r * math.sin(_angle(i, n))}
                           for i in range(n) for r in (0.0, RADIUS_MAX)])
    ring_labels = pd.DataFrame([{"t": str(r), "x": 0.12, "y": float(r)} for r in range(1, 6)])
    lim = alt.Scale(domain=[-8.2, 8.2], nice=False)
    x = alt.X("x:Q", scale=lim, axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=[-6.8, 6.8], nice=False), axis=None)
    base_grid = alt.Chart(grid).mark_line(color="#d0d0d0", strokeWidth=0.8).encode(x=x, y=y, detail="ring:N", order="order:Q")
    base_spokes = alt.Chart(spokes).mark_line(color="#e0e0e0", strokeWidth=0.6).encode(x=x, y=y, detail="spoke:N")
    rings = alt.Chart(ring_labels).mark_text(color="#888", fontSize=9, align="left").encode(x=x, y=y, text="t:N")
    series = alt.Chart(points).mark_line(point=True, strokeWidth=2).encode(
        x=x, y=y, order="order:Q",
        color=alt.Color("series:N", title=None, sort=None,
                        scale=alt.Scale(range=["#1565c0", "#ef6c00"]), legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("series:N", legend=None, sort=None, scale=alt.Scale(range=[[1, 0], [6, 4]])),
        tooltip=[alt.Tooltip("name:N", title=say("res_subdomain", ex.lang)),
                 alt.Tooltip("value:Q", title=say("res_score", ex.lang), format=".2f")])
    # align is a mark property, not an encoding: one text layer per alignment
    texts = [alt.Chart(labels[labels["align"] == side]).mark_text(fontSize=10, color="#333", align=side)
             .encode(x=x, y=y, text="label:N") for side in ("left", "center", "right")]
    return alt.layer(base_grid, base_spokes, rings, series, *texts).properties(
        width=size + 160, height=size, title=say("res_radar", ex.lang))


def level_chart(ex: Explanation, width: int = 460) -> alt.LayerChart:
    """Level scores S₁…S₅ as bars, coloured passed / not passed / not counted, with the pass mark."""
    states = {"passed": say("passed", ex.lang), "failed": say("failed", ex.lang),
              "not_counted": say("not_counted", ex.lang)}
    rows = [{"level": lv.name, "score": lv.score or 0.0,
             "state": states["not_counted" if not lv.counted else ("passed" if lv.passed else "failed")],
             "shown": "—" if lv.score is None else shown(lv.score)} for lv in ex.levels]
    data = pd.DataFrame(rows)
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]), title=say("res_level_score", ex.lang))
    # "二级 规范级" on two lines, so five labels fit a narrow column
    x = alt.X("level:N", sort=None, title=None, axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')"))
    bars = alt.Chart(data).mark_bar(size=38).encode(
        x=x, y=y,
        color=alt.Color("state:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(states.values()), range=list(STATE_COLOURS.values()))),
        tooltip=[alt.Tooltip("level:N", title=say("wb_level", ex.lang)),
                 alt.Tooltip("shown:N", title=say("res_level_score", ex.lang))])
    values = alt.Chart(data).mark_text(dy=-8, fontSize=11).encode(x=x, y=y, text="shown:N")
    mark = alt.Chart(pd.DataFrame({"mark": [ex.pass_mark]})).mark_rule(color="#c62828", strokeDash=[6, 4]).encode(
        y=alt.Y("mark:Q", scale=alt.Scale(domain=[0, 1]), axis=None))
    return alt.layer(bars, values, mark).properties(
        width=width, height=240, title=say("res_level_chart", ex.lang, mark=f"{ex.pass_mark:.1f}"))


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """PNG bytes of a chart with the CJK font registered (vl-convert, no browser)."""
    import vl_convert as vlc

    directory, family = cjk_font()
    _register(directory)
    spec = chart.configure(font=family).to_json()
    return vlc.vegalite_to_png(spec, scale=scale)


@cache
def _register(directory: str) -> None:
    import vl_convert as vlc

    vlc.register_font_directory(directory)
