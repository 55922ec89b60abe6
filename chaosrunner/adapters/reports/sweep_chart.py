"""The sweep report's chart: one SLI's worst blast-window value against the intensity.

Each run is a dot at its level, coloured by its verdict and linked to that run's own report;
the objective is a horizontal line, and the boundary a band between the highest level that held
and the lowest that broke. A range over more than a decade (20 ms to 2 s) is drawn on a log
scale, so the low levels, where bisection ends up, are not squeezed into one corner.
Like charts.py: plain SVG, no script.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from chaosrunner.adapters.reports.charts import COLUMNS, PLOT_HEIGHT, PLOT_LEFT, PLOT_TOP, WIDTH
from chaosrunner.core.display import format_value
from chaosrunner.core.sweep import SweepResult
from chaosrunner.core.units import Objective

REPORT = "report.html"

CSS = """
svg.sweep .plot{fill:#fff;stroke:var(--line)}svg.sweep .objective{stroke:var(--bad);
stroke-dasharray:5 3}svg.sweep .objective-label{fill:var(--bad);font-size:10px}
svg.sweep .axis{fill:var(--muted);font-size:10px}svg.sweep .boundary{fill:#cf222e;opacity:.08}
svg.sweep .edge{stroke-width:1.5}svg.sweep .edge.holds{stroke:var(--ok)}
svg.sweep .edge.breaks{stroke:var(--bad)}svg.sweep .line{fill:none;stroke:#0969da;stroke-width:1}
svg.sweep circle{stroke:#fff;stroke-width:1}svg.sweep .d-PASSED{fill:var(--ok)}
svg.sweep .d-FAILED,svg.sweep .d-ABORTED{fill:var(--bad)}svg.sweep .d-INCONCLUSIVE{fill:var(--warn)}
svg.sweep .d-ERROR{fill:#6e7781}
"""


@dataclass(frozen=True)
class Dot:
    value: float
    worst: float | None
    verdict: str
    folder: str
    label: str


class _Scale:
    def __init__(self, low: float, high: float) -> None:
        self.log = low > 0 and high / low >= 20
        self.low, self.high = (math.log(low), math.log(high)) if self.log else (low, high)

    def x(self, v: float) -> float:
        t = math.log(v) if self.log else v
        return PLOT_LEFT + (t - self.low) / (self.high - self.low) * COLUMNS


def dots_of(result: SweepResult, sli: str) -> list[Dot]:
    fmt = result.spec.param.format
    out = []
    for level in result.levels:
        for a in level.attempts:
            worst = next((s.worst for s in a.slis if s.name == sli), None)
            out.append(Dot(a.value, worst, a.verdict.value, a.folder, fmt(a.value)))
    return out


def sweep_chart(
    result: SweepResult, sli: str, objective: Objective, unit: str, dots: Sequence[Dot]
) -> str:
    p = result.spec.param
    scale = _Scale(p.low, p.high)
    known = [d.worst for d in dots if d.worst is not None and math.isfinite(d.worst)]
    lo, hi = min([objective.threshold, *known]), max([objective.threshold, *known])
    pad = (hi - lo) * 0.08 if hi - lo > 1e-12 else (abs(hi) * 0.05 or 1.0)
    lo, hi = lo - pad, hi + pad
    top, bottom = PLOT_TOP, PLOT_TOP + PLOT_HEIGHT
    height = bottom + 34

    def y(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * PLOT_HEIGHT

    out = [
        f'<svg class="sweep" data-sli="{escape(sli)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(sli)}: worst value in the blast window against {escape(p.name)}">',
        f'<rect class="plot" x="{PLOT_LEFT}" y="{top}" width="{COLUMNS}" height="{PLOT_HEIGHT}"/>',
    ]
    holds, breaks = result.bracket.holds, result.bracket.breaks
    if holds is not None and breaks is not None:
        x0, x1 = scale.x(holds.value), scale.x(breaks.value)
        out.append(
            f'<rect class="boundary" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{PLOT_HEIGHT}"><title>the boundary lies here</title></rect>'
        )
    for level, kind in ((holds, "holds"), (breaks, "breaks")):
        if level is None:
            continue
        x = scale.x(level.value)
        out.append(
            f'<line class="edge {kind}" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}">'
            f"<title>{kind} at {escape(p.format(level.value))}</title></line>"
        )
    ty = y(objective.threshold)
    out.append(
        f'<line class="objective" x1="{PLOT_LEFT}" x2="{PLOT_LEFT + COLUMNS}" '
        f'y1="{ty:.1f}" y2="{ty:.1f}"/><text class="objective-label" x="{PLOT_LEFT + 4}" '
        f'y="{ty - 4:.1f}">objective {escape(objective.text)}</text>'
    )
    for v in (lo + pad, hi - pad):
        out.append(
            f'<text class="axis" x="{PLOT_LEFT - 4}" y="{y(v) + 3:.1f}" text-anchor="end">'
            f"{escape(format_value(v, unit, objective))}</text>"
        )
    line = sorted((d.value, d.worst) for d in dots if d.worst is not None)
    if len(line) > 1:
        points = " ".join(f"{scale.x(v):.1f},{y(w):.1f}" for v, w in line)
        out.append(f'<polyline class="line" points="{points}"/>')
    for d in dots:
        cy = bottom - 6 if d.worst is None else y(d.worst)
        shown = "no value" if d.worst is None else format_value(d.worst, unit, objective)
        tip = f"{p.name} {d.label}: {d.verdict}, worst {shown}"
        out.append(
            f'<a href="{escape(quote(d.folder))}/{REPORT}"><circle class="d-{escape(d.verdict)}" '
            f'cx="{scale.x(d.value):.1f}" cy="{cy:.1f}" r="5"><title>{escape(tip)}</title>'
            "</circle></a>"
        )
    right = PLOT_LEFT + COLUMNS
    for label, value in sorted({d.label: d.value for d in dots}.items(), key=lambda kv: kv[1]):
        x = scale.x(value)
        anchor = "end" if x > right - 20 else "middle"  # the last label stays inside the chart
        out.append(
            f'<text class="axis" x="{x:.1f}" y="{bottom + 14}" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )
    out.append(
        f'<text class="axis" x="{PLOT_LEFT + COLUMNS}" y="{bottom + 28}" text-anchor="end">'
        f"{escape(p.name)}{' (log scale)' if scale.log else ''}</text></svg>"
    )
    return "".join(out)
