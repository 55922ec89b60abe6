"""The terminal view of a run: one renderer per output style, and nothing else prints.

``LiveProgress`` redraws a panel on a terminal (phase, time left, each SLI's current value
against its objective, the latest events). ``PlainProgress`` writes one line per event and per
tick for CI logs and pipes. ``NullProgress`` is for ``--log-format json``, where structured logs
carry everything. Each also prints the closing result, so the CLI never prints a run itself.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from chaosrunner.core.journal import CheckRecord, SampleStatus
from chaosrunner.core.ports import SliTick
from chaosrunner.core.verdict import Decision

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

Values = Mapping[str, SliTick]
_WHY_WIDTH = 60


def _short(why: str) -> str:
    line = why.strip().splitlines()[0] if why.strip() else ""
    return line if len(line) <= _WHY_WIDTH else line[: _WHY_WIDTH - 1] + "…"


def _fmt(v: SliTick) -> str:
    """What this tick saw: the value, or what happened instead (never a bare "no data" for
    a probe that failed: an unreachable Prometheus is not an SLI without data)."""
    if v.status is SampleStatus.OK and v.value is not None:
        return f"{v.value:.4g}"
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
            f"{name}={_fmt(v)} ({v.objective}) {_mark(v)}" for name, v in values.items()
        )
        self._line(f"   [{self._phase}{left}] {cells}")

    def event(self, message: str) -> None:
        self._line(f"-- {message}")

    def result(self, decision: Decision, outputs: Sequence[str]) -> None:
        self._line(f"verdict: {decision.verdict.value} (exit {decision.verdict.exit_code})")
        for reason in decision.reasons:
            self._line(f"  - {reason}")
        for path in outputs:
            self._line(f"  report: {path}")

    def message(self, text: str) -> None:
        self._line(text)

    def close(self) -> None:
        self.out.flush()


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
        self._events: list[str] = []
        self._live: Live = Live(
            self._render(), console=self.console, refresh_per_second=4, transient=False
        )
        self._live.start()

    def _render(self) -> RenderableType:
        from rich.markup import escape
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        table = Table(expand=True, show_edge=False)
        for col in ("SLI", "now", "objective", ""):
            table.add_column(col)
        colour = {"ok": "green", "MISS": "red", "unknown": "yellow"}
        for name, v in self._values.items():
            mark = _mark(v)
            table.add_row(
                escape(name), escape(_fmt(v)), escape(v.objective), f"[{colour[mark]}]{mark}[/]"
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
        self._live.update(self._render())

    def event(self, message: str) -> None:
        self._events.append(message)
        self._live.update(self._render())

    def close(self) -> None:
        self._live.stop()
