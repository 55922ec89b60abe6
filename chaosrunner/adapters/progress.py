"""The terminal view of a run: one renderer per output style, and nothing else prints.

``LiveProgress`` redraws a panel on a terminal (phase, time left, each SLI's current value
against its objective with a sparkline of its last ticks, the latest events); the panel goes
when the run ends, and the verdict's own table takes its place, so the last thing on screen is
each SLI's baseline, worst in the blast window, recovery and outcome, never the last tick (which
comes after recovery and reads "ok" for a run that failed). ``PlainProgress`` writes one line
per event and per tick for CI logs and pipes. ``NullProgress`` is for ``--log-format json``,
where structured logs carry everything. Each also prints the closing result, so the CLI never
prints a run itself. Every number is formatted in its objective's unit (``core/display.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from chaosrunner.core.display import format_objective, format_value
from chaosrunner.core.journal import CheckRecord, SampleStatus
from chaosrunner.core.ports import SliTick
from chaosrunner.core.units import Objective, parse_objective
from chaosrunner.core.verdict import Decision, SliAssessment

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

Values = Mapping[str, SliTick]
_WHY_WIDTH = 60


def _short(why: str) -> str:
    line = why.strip().splitlines()[0] if why.strip() else ""
    return line if len(line) <= _WHY_WIDTH else line[: _WHY_WIDTH - 1] + "…"


def _objective(text: str) -> Objective | None:
    try:
        return parse_objective(text)
    except ValueError:
        return None


def _value(value: float | None, unit: str, objective: str) -> str:
    return format_value(value, unit, _objective(objective))


def _goal(objective: str, unit: str) -> str:
    parsed = _objective(objective)
    return objective if parsed is None else format_objective(parsed, unit)


_BARS = "▁▂▃▄▅▆▇█"
TREND_TICKS = 10


def sparkline(values: Sequence[float | None]) -> str:
    """A short trend: one bar per tick scaled between the window's min and max; ``·`` for a
    tick without a value."""
    known = [v for v in values if v is not None]
    if not known:
        return "·" * len(values)
    low, high = min(known), max(known)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append("·")
        else:
            level = 0 if span <= 0 else round((v - low) / span * (len(_BARS) - 1))
            out.append(_BARS[level])
    return "".join(out)


def _fmt(v: SliTick) -> str:
    """What this tick saw: the value, or what happened instead (never a bare "no data" for
    a probe that failed: an unreachable Prometheus is not an SLI without data)."""
    if v.status is SampleStatus.OK and v.value is not None:
        return _value(v.value, v.unit, v.objective)
    if v.status is SampleStatus.ERROR:
        return f"probe error: {_short(v.why) or 'unknown error'}"
    missing = v.status in (SampleStatus.NO_DATA, SampleStatus.OK)
    what = "no data" if missing else v.status.name.lower().replace("_", " ")
    return what + (f": {_short(v.why)}" if v.why.strip() and not missing else "")


def _mark(v: SliTick) -> str:
    if v.holds:
        return "ok"
    return "MISS" if v.status is SampleStatus.OK and v.value is not None else "unknown"


class PlainProgress:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._phase = ""
        self._ends: float | None = None

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def phase(self, name: str, started_at: float, ends_at: float | None) -> None:
        self._phase, self._ends = name, ends_at
        span = f" ({ends_at - started_at:.0f}s)" if ends_at else ""
        self._line(f"== {name}{span}")

    def checks(self, checks: Sequence[CheckRecord]) -> None:
        for c in checks:
            self._line(f"   {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")

    def plan(self, lines: Sequence[str]) -> None:
        for line in lines:
            self._line(f"   will inject {line}")

    def tick(self, t: float, values: Values) -> None:
        left = f" {max(0.0, self._ends - t):.0f}s left" if self._ends else ""
        cells = " | ".join(
            f"{name}={_fmt(v)} ({_goal(v.objective, v.unit)}) {_mark(v)}"
            for name, v in values.items()
        )
        self._line(f"   [{self._phase}{left}] {cells}")

    def event(self, message: str) -> None:
        self._line(f"-- {message}")

    def result(self, decision: Decision, outputs: Sequence[str]) -> None:
        for line in verdict_table(decision.slis):
            self._line(line)
        score = "" if decision.score is None else f", resilience score {decision.score:g}/100"
        self._line(f"verdict: {decision.verdict.value} (exit {decision.verdict.exit_code}){score}")
        for reason in decision.reasons:
            self._line(f"  - {reason}")
        for path in outputs:
            self._line(f"  report: {path}")

    def message(self, text: str) -> None:
        self._line(text)

    def close(self) -> None:
        self.out.flush()


_COLUMNS = ("SLI", "objective", "baseline", "worst in blast", "recovery", "outcome")


def _recovery(a: SliAssessment) -> str:
    r = a.recovery
    if r.recovered and r.seconds is not None:
        return f"{r.seconds:.1f} s"
    return r.outcome.value


def _outcome(a: SliAssessment) -> str:
    outcomes = (a.baseline.outcome, a.observe.outcome, a.recovery.outcome)
    if all(o.value == "held" for o in outcomes):
        return "held"
    bad = [
        f"{label} {o.value}"
        for label, o in zip(("baseline", "blast", "recovery"), outcomes, strict=True)
        if o.value != "held"
    ]
    return ", ".join(bad)


def verdict_rows(slis: Sequence[SliAssessment]) -> list[tuple[str, ...]]:
    """The verdict's table: each SLI's baseline (mean), worst in the blast window, recovery and
    outcome, every number in its objective's unit."""
    return [
        (
            a.name,
            _goal(a.objective, a.unit),
            _value(a.baseline.mean, a.unit, a.objective),
            _value(a.observe.worst, a.unit, a.objective),
            _recovery(a),
            _outcome(a),
        )
        for a in slis
    ]


def verdict_table(slis: Sequence[SliAssessment]) -> list[str]:
    """:func:`verdict_rows` as aligned text lines (nothing when there is no SLI)."""
    rows = verdict_rows(slis)
    if not rows:
        return []
    table = [_COLUMNS, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]


class NullProgress:
    def phase(self, name: str, started_at: float, ends_at: float | None) -> None: ...
    def checks(self, checks: Sequence[CheckRecord]) -> None: ...
    def plan(self, lines: Sequence[str]) -> None: ...
    def tick(self, t: float, values: Values) -> None: ...
    def event(self, message: str) -> None: ...
    def result(self, decision: Decision, outputs: Sequence[str]) -> None: ...
    def message(self, text: str) -> None: ...
    def close(self) -> None: ...


class LiveProgress(PlainProgress):
    """A redrawn panel on a terminal; phase, time left and SLIs at a glance."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console
        from rich.live import Live

        super().__init__(out)
        self.console: Console = Console(file=out)
        self._values: Values = {}
        self._trends: dict[str, list[float | None]] = {}
        self._events: list[str] = []
        # transient: the panel (the last tick) goes at the end; the verdict's table replaces it
        self._live: Live = Live(
            self._render(), console=self.console, refresh_per_second=4, transient=True
        )
        self._live.start()

    def _render(self) -> RenderableType:
        from rich.markup import escape
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        table = Table(expand=True, show_edge=False)
        for col in ("SLI", "now", "trend", "objective", ""):
            table.add_column(col)
        colour = {"ok": "green", "MISS": "red", "unknown": "yellow"}
        for name, v in self._values.items():
            mark = _mark(v)
            table.add_row(
                escape(name),
                escape(_fmt(v)),
                sparkline(self._trends.get(name, [])),
                escape(_goal(v.objective, v.unit)),
                f"[{colour[mark]}]{mark}[/]",
            )
        left = f" — {max(0.0, self._ends - time.time()):.0f}s left" if self._ends else ""
        events = Text("\n".join(self._events[-5:]))  # plain text: events are not markup
        from rich.console import Group

        return Panel(Group(table, events), title=f"chaosrunner — {self._phase or 'starting'}{left}")

    def _line(self, text: str) -> None:
        self._live.console.print(text, markup=False, highlight=False)

    def phase(self, name: str, started_at: float, ends_at: float | None) -> None:
        self._phase, self._ends = name, ends_at
        self._live.update(self._render())

    def tick(self, t: float, values: Values) -> None:
        self._values = values
        for name, v in values.items():
            fresh = v.value if v.status is SampleStatus.OK else None
            trend = self._trends.setdefault(name, [])
            trend.append(fresh)
            del trend[:-TREND_TICKS]
        self._live.update(self._render())

    def event(self, message: str) -> None:
        self._events.append(message)
        self._live.update(self._render())

    def close(self) -> None:
        self._live.stop()
