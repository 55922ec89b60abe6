"""Each SLI form compiles to one PromQL expression evaluated as an instant query per tick.

Keeping the compiled text in the journal means a reader can paste exactly what we asked
Prometheus into its UI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaosrunner.core.model import SliKind
from chaosrunner.core.presets import compile_preset
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
        case SliKind.PRESET:
            return compile_preset(spec["preset"]).query


def default_unit(kind: SliKind) -> str:
    return {
        SliKind.RATIO: "ratio",
        SliKind.QUANTILE: "seconds",
        SliKind.GROWTH: "per-hour",
    }.get(kind, "")


# -- reading the selectors of a query ----------------------------------------------------------
#
# Freshness is judged per metric selector (see ``core/freshness.py``), so the selectors a query
# reads must be known. This is a scanner, not a full PromQL parser: it finds every vector
# selector, its label matchers and how far back it reads (its range, plus the ranges of the
# subqueries around it). It rejects what it cannot read rather than guess.

#: Keywords that take a parenthesised label list, e.g. ``sum by (le) (...)``.
_LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_BARE_KEYWORDS = frozenset({"bool", "and", "or", "unless", "atan2"})
_AGGREGATIONS = frozenset(
    {
        "sum",
        "avg",
        "count",
        "min",
        "max",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
        "limitk",
        "limit_ratio",
    }
)
_MATCH_OPS = ("=~", "!~", "!=", "=")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PROMQL_DURATION = re.compile(r"(?:[0-9]+(?:ms|[smhdwy]))+")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)
  | (?P<bracket>\[[^\]\[]*\])
  | (?P<duration>(?:[0-9]+(?:ms|[smhdwy]))+(?![A-Za-z0-9_:.]))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){},@:])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Matcher:
    """One label matcher; ``value`` is the string literal exactly as written (quotes kept)."""

    label: str
    op: str
    value: str

    def text(self) -> str:
        return f"{self.label}{self.op}{self.value}"


@dataclass(frozen=True)
class Selector:
    """A vector selector as a query reads it.

    ``window`` is how far back before the evaluation time it can read samples, beyond the
    instant lookback: its own range (``x[10s]``) plus the ranges of the subqueries around it.
    Offsets and ``@`` modifiers are not kept: freshness is judged at the tick.
    """

    name: str
    matchers: tuple[Matcher, ...] = ()
    window: float = 0.0

    def text(self) -> str:
        inner = ",".join(m.text() for m in self.matchers)
        if not self.name:
            return "{" + inner + "}"
        return self.name + ("{" + inner + "}" if inner else "")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None:
            raise ValueError(
                f"cannot read the query at character {pos + 1}: {query[pos : pos + 20]!r}"
            )
        kind = m.lastgroup or ""
        if kind != "space":
            out.append(_Token(kind, m.group(), pos))
        pos = m.end()
    return out


def promql_duration(text: str) -> float:
    """Seconds in a PromQL duration (``5m``, ``1h30m``, ``500ms``) or a plain number of seconds."""
    text = text.strip()
    if _PROMQL_DURATION.fullmatch(text):
        return sum(
            float(n) * _DURATION_UNITS[u] for n, u in re.findall(r"([0-9]+)(ms|[smhdwy])", text)
        )
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a PromQL duration") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text!r} is not a PromQL duration")
    return seconds


def _bracket(text: str) -> tuple[float, bool]:
    """``[range]`` or ``[range:step]``: the range in seconds, and whether it is a subquery."""
    inner = text[1:-1]
    range_text, colon, step = inner.partition(":")
    if colon and step.strip():
        promql_duration(step)
    return promql_duration(range_text), bool(colon)


class _Scanner:
    def __init__(self, query: str) -> None:
        self.toks = _tokens(query)
        self.i = 0
        self.found: list[Selector] = []
        #: Selectors from this index on take a ``[range]`` that follows (None: none may).
        self.last: int | None = None
        self.last_is_selector = False

    def peek(self, ahead: int = 0) -> _Token | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def is_op(self, tok: _Token | None, text: str) -> bool:
        return tok is not None and tok.kind == "op" and tok.text == text

    def fail(self, tok: _Token | None, what: str) -> ValueError:
        where = f"at character {tok.pos + 1}" if tok else "at the end"
        return ValueError(f"cannot read the query {where}: {what}")

    def skip_group(self) -> None:
        """Skip a parenthesised label list such as ``(le, job)``."""
        depth = 0
        while (tok := self.peek()) is not None:
            self.i += 1
            if self.is_op(tok, "("):
                depth += 1
            elif self.is_op(tok, ")"):
                depth -= 1
                if depth == 0:
                    return
        raise self.fail(None, "unclosed label list")

    def matchers(self) -> tuple[str, tuple[Matcher, ...]]:
        """``{...}`` (the scanner is on the ``{``): a quoted metric name, if any, and matchers."""
        self.i += 1
        name = ""
        out: list[Matcher] = []
        while True:
            tok = self.peek()
            if self.is_op(tok, "}"):
                self.i += 1
                return name, tuple(out)
            if tok is None or tok.kind not in ("ident", "string"):
                raise self.fail(tok, "expected a label matcher")
            op = self.peek(1)
            if tok.kind == "string" and (
                op is None or op.kind != "op" or op.text not in _MATCH_OPS
            ):
                name = tok.text  # a quoted metric name: {"my.metric", job="x"}
                self.i += 1
            else:
                value = self.peek(2)
                if op is None or op.text not in _MATCH_OPS:
                    raise self.fail(op, "expected =, !=, =~ or !~")
                if value is None or value.kind != "string":
                    raise self.fail(value, "expected a quoted label value")
                out.append(Matcher(tok.text, op.text, value.text))
                self.i += 3
            sep = self.peek()
            if self.is_op(sep, ","):
                self.i += 1
            elif not self.is_op(sep, "}"):
                raise self.fail(sep, "expected , or }")

    def modifiers(self) -> None:
        """Skip ``offset <duration>`` and ``@ <time>`` after a selector or subquery."""
        while True:
            tok = self.peek()
            if tok is not None and tok.kind == "ident" and tok.text.lower() == "offset":
                self.i += 1
                if self.is_op(self.peek(), "-"):
                    self.i += 1
                nxt = self.peek()
                if nxt is None or nxt.kind not in ("duration", "number"):
                    raise self.fail(nxt, "expected a duration after offset")
                self.i += 1
            elif self.is_op(tok, "@"):
                self.i += 1
                if self.is_op(self.peek(), "-"):
                    self.i += 1
                nxt = self.peek()
                if nxt is not None and nxt.kind == "number":
                    self.i += 1
                elif (
                    nxt is not None
                    and nxt.text in ("start", "end")
                    and self.is_op(self.peek(1), "(")
                    and self.is_op(self.peek(2), ")")
                ):
                    self.i += 3
                else:
                    raise self.fail(nxt, "expected a time after @")
            else:
                return

    def widen(self, first: int, seconds: float) -> None:
        for k in range(first, len(self.found)):
            sel = self.found[k]
            self.found[k] = Selector(sel.name, sel.matchers, sel.window + seconds)

    def selector(self, name: str, matchers: tuple[Matcher, ...]) -> None:
        self.found.append(Selector(name, matchers))
        self.last, self.last_is_selector = len(self.found) - 1, True
        self.modifiers()

    def ident(self, tok: _Token) -> None:
        """A keyword, a function or aggregation name, or a metric name (a selector)."""
        low = tok.text.lower()
        nxt = self.peek(1)
        self.i += 1
        self.last = None
        if low in _LABEL_LIST_KEYWORDS:
            if self.is_op(self.peek(), "("):
                self.skip_group()
            return
        if low in _BARE_KEYWORDS or (low in ("inf", "nan") and not self.is_op(nxt, "{")):
            return
        if low == "offset":
            raise self.fail(tok, "offset must follow a selector or a subquery")
        by = nxt is not None and nxt.kind == "ident" and nxt.text.lower() in ("by", "without")
        if self.is_op(nxt, "(") or (low in _AGGREGATIONS and by):
            return  # a function or an aggregation: its "(" comes next
        matchers: tuple[Matcher, ...] = ()
        if self.is_op(self.peek(), "{"):
            quoted, matchers = self.matchers()
            if quoted:
                raise self.fail(tok, "a metric name given twice")
        self.selector(tok.text, matchers)

    def braces(self, tok: _Token) -> None:
        """A selector without a metric name before its braces: ``{__name__="x", job="y"}``."""
        quoted, matchers = self.matchers()
        if quoted:
            matchers = (Matcher("__name__", "=", quoted), *matchers)
        if not matchers:
            raise self.fail(tok, "a selector needs a metric name or a matcher")
        self.selector("", matchers)

    def bracket(self, tok: _Token) -> None:
        """A range (after a selector) or a subquery (after a selector or a parenthesis)."""
        if self.last is None:
            raise self.fail(tok, "a range must follow a selector or a parenthesis")
        seconds, subquery = _bracket(tok.text)
        if not subquery and not self.last_is_selector:
            raise self.fail(tok, "a range of an expression needs a step ([5m:])")
        self.widen(self.last, seconds)
        self.last_is_selector = False
        self.i += 1
        self.modifiers()

    def scan(self) -> tuple[Selector, ...]:
        opened: list[int] = []  # for each open "(": how many selectors had been found before it
        while (tok := self.peek()) is not None:
            if tok.kind == "ident":
                self.ident(tok)
            elif self.is_op(tok, "{"):
                self.braces(tok)
            elif tok.kind == "bracket":
                self.bracket(tok)
            else:
                self.i += 1
                self.last = None
                if self.is_op(tok, "("):
                    opened.append(len(self.found))
                elif self.is_op(tok, ")"):
                    if not opened:
                        raise self.fail(tok, "unbalanced )")
                    self.last, self.last_is_selector = opened.pop(), False
                    self.modifiers()
        if opened:
            raise self.fail(None, "unclosed (")
        return tuple(self.found)


def selectors(query: str) -> tuple[Selector, ...]:
    """Every vector selector ``query`` reads, in order; ValueError for what cannot be read."""
    return _Scanner(query).scan()
