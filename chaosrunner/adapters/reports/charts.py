"""Inline SVG charts for report.html: one per SLI, and the run's timeline.

A day of 1-second samples is 86,400 points per SLI; drawn point by point, ten SLIs make an HTML
file of tens of megabytes that a browser lays out slowly. So a long series is downsampled to the
pixel: each horizontal pixel (bucket) draws its minimum and maximum, so a one-second spike is
still seen, and a bucket that holds a bad tick (missed the objective) or an unknown one (no data,
probe error, stale, missed tick) keeps its mark in the status strip under the plot. Runs of
buckets with the same mark are merged into one rectangle. The file size then depends on the
chart's width, not on the run's length.

Every chart is a plain ``<svg>`` with ``data-sli`` and a ``<path class="series">``: no script,
no external resource, nothing to load.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from chaosrunner.core.display import format_value
from chaosrunner.core.journal import Journal, SampleStatus, Series
from chaosrunner.core.model import Phase
from chaosrunner.core.timeslices import TickClass
from chaosrunner.core.units import Objective

WIDTH = 960
PLOT_LEFT = 78
PLOT_RIGHT = 12
PLOT_TOP = 14
PLOT_HEIGHT = 150
STRIP = 10
#: Plot columns: the buckets a long series is reduced to (one per horizontal pixel).
COLUMNS = WIDTH - PLOT_LEFT - PLOT_RIGHT

#: Status-strip marks, most important first (a bucket shows the first it holds).
MARK_BAD = "bad"
MARK_ERROR = "error"
MARK_MISSED = "missed"
MARK_STALE = "stale"
MARK_NO_DATA = "no-data"
_MARK_ORDER = (MARK_BAD, MARK_ERROR, MARK_MISSED, MARK_STALE, MARK_NO_DATA)
_STATUS_MARK = {
    SampleStatus.NO_DATA: MARK_NO_DATA,
    SampleStatus.ERROR: MARK_ERROR,
    SampleStatus.STALE: MARK_STALE,
    SampleStatus.MISSED: MARK_MISSED,
}
MARK_LABELS = {
    MARK_BAD: "missed the objective",
    MARK_ERROR: "probe error",
    MARK_MISSED: "tick missed (late or skipped)",
    MARK_STALE: "stale data",
    MARK_NO_DATA: "no data",
}


@dataclass(frozen=True)
class Bucket:
    """One pixel column: the known values' range and the most important mark in it."""

    column: int
    low: float | None
    high: float | None
    mark: str | None


def downsample(
    times: Sequence[float],
    values: Sequence[float],
    status: Sequence[int],
    classes: Sequence[TickClass],
    start: float,
    end: float,
    columns: int = COLUMNS,
) -> list[Bucket]:
    """Min/max of the OK values per column of ``[start, end]``, and each column's worst mark.

    A bad tick outranks an unknown one, which outranks a good one: no bad or unknown tick is
    hidden by good neighbours in its column.
    """
    span = max(end - start, 1e-9)
    scale = columns / span
    lows: list[float | None] = [None] * columns
    highs: list[float | None] = [None] * columns
    marks: list[int] = [len(_MARK_ORDER)] * columns
    rank = {m: i for i, m in enumerate(_MARK_ORDER)}
    bad_rank = rank[MARK_BAD]
    status_rank = {int(s): rank[m] for s, m in _STATUS_MARK.items()}
    last = columns - 1
    ok = int(SampleStatus.OK)
    for t, v, s, c in zip(times, values, status, classes, strict=True):
        col = int((t - start) * scale)
        col = 0 if col < 0 else last if col > last else col
        if s == ok:
            lo = lows[col]
            if lo is None:
                lows[col] = highs[col] = v
            else:
                if v < lo:
                    lows[col] = v
                hi = highs[col]
                if hi is not None and v > hi:
                    highs[col] = v
            if c is TickClass.BAD and bad_rank < marks[col]:
                marks[col] = bad_rank
        else:
            r = bad_rank if c is TickClass.BAD else status_rank.get(s, len(_MARK_ORDER))
            marks[col] = min(marks[col], r)
    return [
        Bucket(i, lows[i], highs[i], _MARK_ORDER[marks[i]] if marks[i] < len(_MARK_ORDER) else None)
        for i in range(columns)
        if lows[i] is not None or marks[i] < len(_MARK_ORDER)
    ]


@dataclass(frozen=True)
class Marker:
    at: float
    label: str
    kind: str  # "impact" or "recovered"


@dataclass(frozen=True)
class Burn:
    """Cumulative budget consumed (0..1 of the budget) at each tick of the blast window."""

    times: tuple[float, ...]
    consumed: tuple[float, ...]


def _x(t: float, start: float, end: float) -> float:
    return PLOT_LEFT + (t - start) / max(end - start, 1e-9) * COLUMNS


def sli_chart(
    name: str,
    series: Series,
    classes: Sequence[TickClass],
    objective: Objective,
    unit: str,
    start: float,
    end: float,
    *,
    windows: Sequence[tuple[float, float]] = (),
    phases: Sequence[tuple[Phase, float, float]] = (),
    markers: Sequence[Marker] = (),
    burn: Burn | None = None,
    interval: float = 1.0,
) -> str:
    """One SLI's chart: series, objective line, fault windows shaded, markers, status strip."""
    buckets = downsample(series.times, series.values, series.status, classes, start, end)
    known = [b for b in buckets if b.low is not None]
    lo = min([objective.threshold, *(b.low for b in known if b.low is not None)])
    hi = max([objective.threshold, *(b.high for b in known if b.high is not None)])
    if hi - lo < 1e-12:
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    else:
        pad = (hi - lo) * 0.08
        lo, hi = lo - pad, hi + pad
    top, bottom = PLOT_TOP, PLOT_TOP + PLOT_HEIGHT
    burn_height = 46 if burn is not None else 0
    strip_y = bottom + 6
    axis_y = strip_y + STRIP + 14
    height = axis_y + 8 + (burn_height + 18 if burn else 0)

    def y(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * PLOT_HEIGHT

    out = [
        f'<svg class="chart" data-sli="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(name)} over the run">',
        f'<rect class="plot" x="{PLOT_LEFT}" y="{top}" width="{COLUMNS}" height="{PLOT_HEIGHT}"/>',
    ]
    for phase, p0, _p1 in phases:
        x0 = _x(p0, start, end)
        out.append(
            f'<line class="phase-edge" x1="{x0:.1f}" x2="{x0:.1f}" y1="{top}" y2="{bottom}"/>'
            f'<text class="phase-label" x="{x0 + 3:.1f}" y="{top + 10}">'
            f"{_PHASE_NAMES[phase]}</text>"
        )
    for w0, w1 in windows:
        x0, x1 = _x(w0, start, end), _x(w1, start, end)
        out.append(
            f'<rect class="fault" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{PLOT_HEIGHT}"><title>fault active</title></rect>'
        )
    # y axis: the objective and the range ends
    for v in (lo + pad, hi - pad):
        out.append(
            f'<text class="axis" x="{PLOT_LEFT - 4}" y="{y(v) + 3:.1f}" text-anchor="end">'
            f"{escape(format_value(v, unit, objective))}</text>"
        )
    ty = y(objective.threshold)
    out.append(
        f'<line class="objective" x1="{PLOT_LEFT}" x2="{PLOT_LEFT + COLUMNS}" '
        f'y1="{ty:.1f}" y2="{ty:.1f}"><title>objective {escape(objective.text)}</title></line>'
        f'<text class="objective-label" x="{PLOT_LEFT + 4}" y="{ty - 4:.1f}">'
        f"objective {escape(objective.text)}</text>"
    )
    max_gap = max(1.0, 2.5 * interval * COLUMNS / max(end - start, 1e-9))
    out.append(f'<path class="series" d="{_path(buckets, y, max_gap)}"/>')
    for m in markers:
        x0 = _x(m.at, start, end)
        out.append(
            f'<line class="marker {m.kind}" x1="{x0:.1f}" x2="{x0:.1f}" y1="{top}" y2="{bottom}"/>'
            f'<text class="marker-label {m.kind}" x="{x0 + 3:.1f}" y="{bottom - 4}">'
            f"{escape(m.label)}</text>"
        )
    out.append(_strip(buckets, strip_y))
    out.append(
        f'<text class="axis" x="{PLOT_LEFT - 4}" y="{strip_y + 8}" text-anchor="end">ticks</text>'
    )
    out.append(_time_axis(start, end, axis_y))
    if burn is not None:
        out.append(_burn_panel(burn, start, end, axis_y + 12, burn_height))
    out.append("</svg>")
    return "".join(out)


_PHASE_NAMES = {Phase.BASELINE: "baseline", Phase.OBSERVE: "blast", Phase.RECOVERY: "recovery"}


def _path(buckets: Sequence[Bucket], y: Callable[[float], float], max_gap: float) -> str:
    """A polyline through each column's min and max. It breaks at a column with no value (a
    tick without evidence) and across more than ``max_gap`` empty columns (no tick was taken
    there, e.g. between the baseline and the blast window), so nothing unseen is drawn."""
    parts: list[str] = []
    prev: int | None = None
    segment = 0
    for b in buckets:
        if b.low is None or b.high is None:
            prev = None
            continue
        x = PLOT_LEFT + b.column + 0.5
        joined = prev is not None and b.column - prev <= max_gap
        if not joined:
            if segment == 1:
                parts.append("h2")  # a lone point: a short dash so it can be seen
            segment = 0
        y_lo, y_hi = y(b.low), y(b.high)
        parts.append(f"{'L' if joined else 'M'}{x:.1f} {y_lo:.1f}")
        if abs(y_hi - y_lo) >= 0.1:
            parts.append(f"L{x:.1f} {y_hi:.1f}")
        segment += 1
        prev = b.column
    if segment == 1:
        parts.append("h2")
    return "".join(parts) or "M0 0"  # nothing known to draw: the strip says why


def _strip(buckets: Sequence[Bucket], y0: float) -> str:
    out = [f'<rect class="strip" x="{PLOT_LEFT}" y="{y0}" width="{COLUMNS}" height="{STRIP}"/>']
    run_mark: str | None = None
    run_start = run_end = 0
    for b in [*buckets, Bucket(-10, None, None, None)]:
        if b.mark == run_mark and b.column == run_end + 1 and run_mark is not None:
            run_end = b.column
            continue
        if run_mark is not None:
            out.append(
                f'<rect class="tick-{run_mark}" x="{PLOT_LEFT + run_start}" y="{y0}" '
                f'width="{run_end - run_start + 1}" height="{STRIP}">'
                f"<title>{MARK_LABELS[run_mark]}</title></rect>"
            )
        run_mark, run_start, run_end = b.mark, b.column, b.column
    return "".join(out)


def _time_axis(start: float, end: float, y0: float) -> str:
    span = end - start
    step = _nice_step(span / 6)
    out = []
    k = 0
    while k * step <= span + 1e-9:
        x = _x(start + k * step, start, end)
        anchor = "end" if x > PLOT_LEFT + COLUMNS - 20 else "middle"
        out.append(
            f'<text class="axis" x="{x:.1f}" y="{y0}" text-anchor="{anchor}">'
            f"+{_offset(k * step)}</text>"
        )
        k += 1
    return "".join(out)


def _nice_step(raw: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600):
        if step >= raw:
            return float(step)
    return 43200.0


def _offset(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s" if s % 60 else f"{s // 60}m"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _burn_panel(burn: Burn, start: float, end: float, y0: float, height: int) -> str:
    out = [
        f'<text class="axis" x="{PLOT_LEFT - 4}" y="{y0 + 10}" text-anchor="end">budget</text>',
        f'<rect class="plot" x="{PLOT_LEFT}" y="{y0}" width="{COLUMNS}" height="{height}"/>',
    ]
    if burn.times:
        peak = max(*burn.consumed, 1e-09)
        pts = []
        prev_col = -1
        for t, c in zip(burn.times, burn.consumed, strict=True):
            col = int(_x(t, start, end))
            if col == prev_col:
                continue
            prev_col = col
            pts.append(f"{col:.0f} {y0 + height - c / peak * height:.1f}")
        out.append(f'<path class="burn" d="M{"L".join(pts)}"/>')
        out.append(
            f'<text class="axis" x="{PLOT_LEFT + 4}" y="{y0 + 10}">'
            f"{peak * 100:.2f} % of the error budget consumed</text>"
        )
    return "".join(out)


def cumulative_burn(times: Sequence[float], errors: Sequence[float | None], budget: float) -> Burn:
    """The share of the budget consumed so far, tick by tick (unknown ticks add nothing)."""
    total = 0.0
    out = []
    for i, e in enumerate(errors):
        nxt = times[i + 1] if i + 1 < len(times) else times[i]
        if e is not None and not math.isnan(e):
            total += min(1.0, max(0.0, e)) * (nxt - times[i])
        out.append(total / budget if budget else 0.0)
    return Burn(tuple(times), tuple(out))


@dataclass(frozen=True)
class Lane:
    label: str
    start: float
    end: float
    kind: str
    title: str


def timeline(journal: Journal, start: float, end: float) -> str:
    """The run's phases on one lane, each fault's injection and removal per target below."""
    lanes: list[Lane] = []
    for p in journal.phases:
        p_end = p.ended_at if p.ended_at is not None else end
        lanes.append(Lane("phases", p.started_at, p_end, f"phase-{p.phase.value}", p.phase.value))
    for r in journal.injections:
        for t in r.targets or ():
            t0 = t.injected_at or r.confirmed_at or r.created_at
            if t0 is None:
                continue
            t1 = t.recovered_at or r.removed_at or end
            lanes.append(
                Lane(f"{r.fault} → {t.id}", t0, max(t0, t1), "injection", f"{r.fault} on {t.id}")
            )
        if not r.targets and (r.confirmed_at or r.created_at):
            t0 = float(r.confirmed_at or r.created_at or start)
            lanes.append(Lane(r.fault, t0, r.removed_at or end, "injection", r.fault))
    names = list(dict.fromkeys(lane.label for lane in lanes))
    row_h = 22
    height = 24 + row_h * len(names) + 20
    out = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        'width="100%" role="img" aria-label="run timeline">'
    ]
    for i, label in enumerate(names):
        y0 = 12 + i * row_h
        short = label if len(label) <= 12 else label[:11] + "…"
        out.append(
            f'<text class="axis" x="{PLOT_LEFT - 4}" y="{y0 + 13}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        for lane in lanes:
            if lane.label != label:
                continue
            x0, x1 = _x(lane.start, start, end), _x(lane.end, start, end)
            out.append(
                f'<rect class="{lane.kind}" x="{x0:.1f}" y="{y0}" width="{max(x1 - x0, 2):.1f}" '
                f'height="{row_h - 6}"><title>{escape(lane.title)}: +{_offset(lane.start - start)} '
                f"to +{_offset(lane.end - start)}</title></rect>"
            )
            if lane.kind.startswith("phase-"):
                out.append(
                    f'<text class="lane-label" x="{x0 + 4:.1f}" y="{y0 + 12}">'
                    f"{escape(lane.title)}</text>"
                )
    for ev in journal.guardrail_events:
        if ev.breached:
            x0 = _x(ev.at, start, end)
            out.append(
                f'<line class="marker impact" x1="{x0:.1f}" x2="{x0:.1f}" y1="8" '
                f'y2="{height - 20}"><title>guardrail {escape(ev.guardrail)}</title></line>'
            )
    if journal.abort is not None:
        x0 = _x(journal.abort.at, start, end)
        out.append(
            f'<line class="marker impact" x1="{x0:.1f}" x2="{x0:.1f}" y1="8" y2="{height - 20}">'
            f"<title>aborted: {escape(journal.abort.detail)}</title></line>"
        )
    out.append(_time_axis(start, end, height - 6))
    out.append("</svg>")
    return "".join(out)
