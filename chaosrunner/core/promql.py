"""Each SLI form compiles to one PromQL expression evaluated as an instant query per tick.

Keeping the compiled text in the journal means a reader can paste exactly what we asked
Prometheus into its UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaosrunner.core.model import SliKind
from chaosrunner.core.units import parse_duration, parse_percent

SLI_FORMS = tuple(kind.value for kind in SliKind)


def _num(value: float) -> str:
    return repr(round(value, 12))


def compile_sli(kind: SliKind, spec: Mapping[str, Any]) -> str:
    match kind:
        case SliKind.QUERY:
            return str(spec["query"])
        case SliKind.RATIO:
            form = spec["ratio"]
            return f"({form['good']}) / ({form['total']})"
        case SliKind.QUANTILE:
            form = spec["quantile"]
            by = ", ".join(["le", *form.get("by", [])])
            window = form.get("window", "30s")
            return (
                f"histogram_quantile({_num(float(form['q']))}, "
                f"sum by ({by}) (rate({form['histogram']}[{window}])))"
            )
        case SliKind.BURN_RATE:
            form = spec["burnRate"]
            budget = 1.0 - parse_percent(str(form["slo"]))
            return f"({form['errorRatio']}) / {_num(budget)}"
        case SliKind.GROWTH:
            form = spec["growth"]
            window = form.get("window", "5m")
            parse_duration(window)
            return f"(deriv(({form['query']})[{window}:]) * 3600) / ({form['query']})"


def default_unit(kind: SliKind) -> str:
    return {
        SliKind.RATIO: "ratio",
        SliKind.QUANTILE: "seconds",
        SliKind.GROWTH: "per-hour",
    }.get(kind, "")
