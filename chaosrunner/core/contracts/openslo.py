"""OpenSLO v1 (``apiVersion: openslo/v1``) read into :class:`SloIntent` values.

What is read: ``SLO`` objects with an inline ``indicator`` or an ``indicatorRef`` to an ``SLI``
object; the SLI's ``ratioMetric`` (``good``/``total``, ``bad``/``total``, or ``raw`` with
``rawType``; ``counter``) or ``thresholdMetric``; each ``metricSource`` of type Prometheus, given
inline (``type``) or through ``metricSourceRef`` to a ``DataSource``; ``objectives`` with
``target``/``targetPercent``, ``op``/``value``, ``timeSliceTarget``/``timeSliceWindow``;
``budgetingMethod``; ``timeWindow``; ``alertPolicies`` (inline or ``alertPolicyRef``), whose
names are the alerts a run expects. ``Service``, ``AlertCondition`` and
``AlertNotificationTarget`` objects say nothing an experiment checks and are accepted as they
are. Anything else, or a field that cannot be read, is a Problem at its place.

Durations are OpenSLO's shorthand (``2w``, ``28d``, ``1M``, ``1Q``, ``1Y``; a bare number of a
``timeSliceWindow`` is minutes); ``s`` is accepted too, since experiment phases are short.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chaosrunner.core.contracts.documents import Fields
from chaosrunner.core.contracts.mapping import (
    Budgeting,
    MappingError,
    Ratio,
    RatioSide,
    Raw,
    Slices,
    SloIntent,
    Threshold,
    counter_rate,
    sli_name,
)
from chaosrunner.core.source import Path, format_path
from chaosrunner.core.units import Comparator

API_VERSION = "openslo/v1"
_IGNORED = ("Service", "AlertCondition", "AlertNotificationTarget")
_KINDS = ("SLO", "SLI", "DataSource", "AlertPolicy", *_IGNORED)
_SHORTHAND = re.compile(r"([0-9]+)(s|m|h|d|w|M|Q|Y)")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "Q": 7776000}
_UNIT["Y"] = 31536000
_OPS = {"lt": Comparator.LT, "lte": Comparator.LE, "gt": Comparator.GT, "gte": Comparator.GE}


def shorthand_seconds(value: object, *, bare_minutes: bool = False) -> float | None:
    """Seconds in an OpenSLO duration shorthand (``4w``, ``1M``); None when it is not one."""
    if bare_minutes and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * 60 if value > 0 else None
    if isinstance(value, str):
        match = _SHORTHAND.fullmatch(value)
        if match and int(match.group(1)) > 0:
            return int(match.group(1)) * float(_UNIT[match.group(2)])
    return None


class _Bad:
    """A field that could not be read (its problem is recorded)."""


_BAD = _Bad()


@dataclass
class _Object:
    fields: Fields
    kind: str
    name: str


class OpenSloReader:
    """The OpenSLO documents of one contract (any number of files), read together so that
    references (``indicatorRef``, ``metricSourceRef``, ``alertPolicyRef``) resolve across them."""

    def __init__(self, docs: list[Fields]) -> None:
        self.objects: list[_Object] = []
        self.by_kind: dict[str, dict[str, _Object]] = {k: {} for k in _KINDS}
        for fields in docs:
            kind = fields.text(("kind",), f"an OpenSLO kind: {', '.join(_KINDS)}")
            name = fields.text(("metadata", "name"), "the object's name")
            if kind is None or name is None:
                continue
            if kind not in _KINDS:
                fields.problem(
                    ("kind",),
                    f"kind {kind!r} is not an OpenSLO v1 kind chaosrunner reads; "
                    f"expected one of: {', '.join(_KINDS)}",
                )
                continue
            if name in self.by_kind[kind]:
                fields.problem(
                    ("metadata", "name"), f"a second {kind} named {name!r}; names must be unique"
                )
                continue
            obj = _Object(fields, kind, name)
            self.by_kind[kind][name] = obj
            self.objects.append(obj)

    def intents(self) -> tuple[list[SloIntent], list[str]]:
        """Every SLO objective, and the names of the alert policies the SLOs reference."""
        intents: list[SloIntent] = []
        alerts: list[str] = []
        for obj in self.objects:
            if obj.kind == "SLO":
                intents.extend(self._slo(obj))
                alerts.extend(self._alerts(obj.fields))
        return intents, alerts

    # -- an SLO ---------------------------------------------------------------------------

    def _slo(self, obj: _Object) -> list[SloIntent]:
        f = obj.fields
        indicator = self._indicator(f)
        method = f.text(("spec", "budgetingMethod"), _expected_methods())
        budgeting = None
        if method is not None:
            if method in Budgeting.__members__.values():
                budgeting = Budgeting(method)
            else:
                f.problem(
                    ("spec", "budgetingMethod"),
                    f"unknown method {method!r}; expected {_expected_methods()}",
                )
        period = self._period(f)
        count = f.items(
            ("spec", "objectives"),
            "at least one objective, e.g. objectives: [{target: 0.99}]",
        )
        metric = self._metric(*indicator) if indicator else None
        if metric is None or budgeting is None:
            return []
        if isinstance(metric, Threshold) and count > 1:
            f.problem(
                ("spec", "objectives"),
                "a thresholdMetric takes exactly one objective; expected one",
            )
        description = f.value(("spec", "description"))
        out: list[SloIntent] = []
        for i in range(count):
            intent = self._objective(obj, i, count, metric, budgeting, period, description)
            if intent is not None:
                out.append(intent)
        return out

    def _objective(
        self,
        obj: _Object,
        i: int,
        count: int,
        metric: Ratio | Threshold | Raw,
        budgeting: Budgeting,
        period: float | None,
        description: object,
    ) -> SloIntent | None:
        f = obj.fields
        path: Path = ("spec", "objectives", i)
        if not f.mapping(path, "an objective, e.g. {target: 0.99}"):
            return None
        target = self._target(f, path)
        threshold = self._threshold(f, path, metric)
        slices = self._slices(f, path, budgeting, metric)
        if target is None or threshold is None or isinstance(slices, _Bad):
            return None
        comparator = Comparator.GE
        if not isinstance(metric, Threshold) and f.has((*path, "op")):
            comparator = threshold[0] if threshold else Comparator.GE
        if isinstance(metric, Threshold) and threshold:
            metric = Threshold(metric.query, threshold[0], threshold[1])
        line, column = f.where(path)
        name = sli_name(obj.name) + (f"-{i + 1}" if count > 1 else "")
        return SloIntent(
            slo=obj.name,
            sli_name=name,
            metric=metric,
            target=target,
            budgeting=budgeting,
            period=period,
            file=f.file,
            line=line,
            column=column,
            field=format_path(path),
            comparator=comparator,
            slices=slices,
            description=description if isinstance(description, str) else "",
        )

    def _target(self, f: Fields, path: Path) -> float | None:
        has_target, has_percent = f.has((*path, "target")), f.has((*path, "targetPercent"))
        if has_target and has_percent:
            f.problem(path, "both target and targetPercent; expected one of them")
            return None
        if not (has_target or has_percent):
            f.problem(path, "missing objective target; expected target: 0.99 or targetPercent: 99")
            return None
        key = "target" if has_target else "targetPercent"
        scale = 1.0 if has_target else 100.0
        value = f.number((*path, key), f"a number in [0, {scale:g})")
        if value is None:
            return None
        if not 0 <= value < scale:
            f.problem((*path, key), f"got {value:g}; expected a number in [0, {scale:g})")
            return None
        return value / scale

    def _threshold(
        self, f: Fields, path: Path, metric: Ratio | Threshold | Raw
    ) -> tuple[Comparator, float] | tuple[()] | None:
        """``(op, value)``: required for a threshold metric, ``op`` optional on a ratio."""
        is_threshold = isinstance(metric, Threshold)
        op_text = f.text((*path, "op"), "one of lt, lte, gt, gte", required=is_threshold)
        if is_threshold:
            value = f.number((*path, "value"), "the number the SLI is compared with")
        elif f.has((*path, "value")):
            f.problem(
                (*path, "value"),
                "value applies to a thresholdMetric; expected no value on a "
                "ratioMetric (its objective is target)",
            )
            return None
        else:
            value = 0.0
        if op_text is None:
            return None if is_threshold else ()
        if op_text not in _OPS:
            f.problem((*path, "op"), f"unknown op {op_text!r}; expected one of lt, lte, gt, gte")
            return None
        return None if value is None else (_OPS[op_text], value)

    def _slices(
        self, f: Fields, path: Path, budgeting: Budgeting, metric: Ratio | Threshold | Raw
    ) -> Slices | _Bad | None:
        """The slices of a Timeslices objective; None for Occurrences; BAD on a problem."""
        if budgeting is Budgeting.OCCURRENCES:
            for key in ("timeSliceTarget", "timeSliceWindow"):
                if f.has((*path, key)):
                    f.problem(
                        (*path, key),
                        f"{key} applies to Timeslices budgeting; expected none with Occurrences",
                    )
                    return _BAD
            return None
        raw_window = f.value((*path, "timeSliceWindow"))
        if raw_window is None:
            f.problem(
                path,
                f"missing timeSliceWindow; {budgeting.value} needs it, e.g. timeSliceWindow: 1m",
            )
            return _BAD
        window = shorthand_seconds(raw_window, bare_minutes=True)
        if window is None:
            f.problem(
                (*path, "timeSliceWindow"),
                f"got {raw_window!r}; expected a duration shorthand such as 1m, 5m, 1h "
                "(a bare number is minutes)",
            )
            return _BAD
        if budgeting is Budgeting.RATIO_TIMESLICES:
            return Slices(window)
        tick_target = f.number(
            (*path, "timeSliceTarget"), "a number in (0, 1], e.g. timeSliceTarget: 0.95"
        )
        if tick_target is None:
            return _BAD
        if not 0 < tick_target <= 1:
            f.problem(
                (*path, "timeSliceTarget"), f"got {tick_target:g}; expected a number in (0, 1]"
            )
            return _BAD
        return Slices(window, tick_target)

    def _period(self, f: Fields) -> float | None:
        count = f.items(("spec", "timeWindow"), "one time window", required=False)
        if count == 0:
            return None
        if count > 1:
            f.problem(("spec", "timeWindow"), f"{count} time windows; expected exactly one")
            return None
        raw = f.value(("spec", "timeWindow", 0, "duration"))
        seconds = shorthand_seconds(raw)
        if seconds is None:
            f.problem(
                ("spec", "timeWindow", 0, "duration"),
                f"got {raw!r}; expected a duration shorthand such as 28d, 4w, 1M",
            )
        return seconds

    # -- its indicator and metric sources -------------------------------------------------

    def _indicator(self, f: Fields) -> tuple[Fields, Path] | None:
        inline, ref = f.has(("spec", "indicator")), f.has(("spec", "indicatorRef"))
        if inline and ref:
            f.problem(("spec",), "both indicator and indicatorRef; expected one of them")
            return None
        if inline:
            if f.mapping(
                ("spec", "indicator", "spec"), "the SLI's spec (ratioMetric or thresholdMetric)"
            ):
                return f, ("spec", "indicator", "spec")
            return None
        if ref:
            name = f.text(("spec", "indicatorRef"), "the name of an SLI object")
            if name is None:
                return None
            sli = self.by_kind["SLI"].get(name)
            if sli is None:
                f.problem(("spec", "indicatorRef"), _missing("SLI", name, self.by_kind["SLI"]))
                return None
            if sli.fields.mapping(("spec",), "ratioMetric or thresholdMetric"):
                return sli.fields, ("spec",)
            return None
        f.problem(
            ("spec",),
            "missing indicator; expected indicator (an inline SLI) or indicatorRef "
            "(the name of an SLI object)",
        )
        return None

    def _metric(self, g: Fields, path: Path) -> Ratio | Threshold | Raw | None:
        ratio, threshold = g.has((*path, "ratioMetric")), g.has((*path, "thresholdMetric"))
        if ratio == threshold:
            found = "both" if ratio else "neither"
            g.problem(path, f"{found} of ratioMetric and thresholdMetric; expected exactly one")
            return None
        if threshold:
            query = self._query(g, (*path, "thresholdMetric", "metricSource"))
            return None if query is None else Threshold(query, Comparator.LE, 0.0)
        base: Path = (*path, "ratioMetric")
        if not g.mapping(base, "good/total, bad/total or raw"):
            return None
        counter = g.value((*base, "counter"))
        if counter is not None and not isinstance(counter, bool):
            g.problem((*base, "counter"), f"got {counter!r}; expected true or false")
            return None
        if g.has((*base, "raw")):
            return self._raw(g, base)
        good, bad = g.has((*base, "good")), g.has((*base, "bad"))
        if good == bad:
            found = "both" if good else "neither"
            g.problem(base, f"{found} of good and bad; expected exactly one, with total")
            return None
        side = RatioSide.GOOD if good else RatioSide.BAD
        numerator = self._query(g, (*base, side.value, "metricSource"))
        if not g.has((*base, "total")):
            g.problem(base, "missing total; expected total: {metricSource: ...}")
            return None
        total = self._query(g, (*base, "total", "metricSource"))
        if numerator is None or total is None:
            return None
        if counter:
            for key, query in ((side.value, numerator), ("total", total)):
                try:
                    counter_rate(query, 1.0)
                except MappingError as exc:
                    g.problem((*base, key, "metricSource", "spec", "query"), str(exc))
                    return None
        return Ratio(side, numerator, total, counter=bool(counter))

    def _raw(self, g: Fields, base: Path) -> Raw | None:
        raw_type = g.text((*base, "rawType"), "success or failure")
        query = self._query(g, (*base, "raw", "metricSource"))
        if raw_type not in (None, "success", "failure"):
            g.problem((*base, "rawType"), f"got {raw_type!r}; expected success or failure")
            return None
        if raw_type is None or query is None:
            return None
        return Raw(query, RatioSide.GOOD if raw_type == "success" else RatioSide.BAD)

    def _query(self, g: Fields, path: Path) -> str | None:
        """The PromQL of a ``metricSource``; a Problem unless its data source is Prometheus."""
        if not g.mapping(path, "metricSource: {type: Prometheus, spec: {query: ...}}"):
            return None
        kind = g.text((*path, "type"), "a data source type", required=False)
        where: tuple[Fields, Path] = (g, (*path, "type"))
        ref = g.text((*path, "metricSourceRef"), "a DataSource name", required=False)
        if ref is not None:
            source = self.by_kind["DataSource"].get(ref)
            if source is None:
                g.problem(
                    (*path, "metricSourceRef"),
                    _missing("DataSource", ref, self.by_kind["DataSource"]),
                )
                return None
            if kind is None:
                kind = source.fields.text(("spec", "type"), "the data source type, Prometheus")
                where = (source.fields, ("spec", "type"))
        if kind is None:
            if ref is None:
                g.problem(
                    path,
                    "missing type; expected type: Prometheus, or metricSourceRef naming a "
                    "DataSource of type Prometheus",
                )
            return None
        if kind.lower() != "prometheus":
            where[0].problem(
                where[1],
                f"data source type {kind!r} cannot be queried by chaosrunner; expected Prometheus",
            )
            return None
        spec = g.value((*path, "spec"))
        key = "promql" if isinstance(spec, Mapping) and "promql" in spec else "query"
        query = g.text((*path, "spec", key), "the PromQL query, spec.query: ...")
        return None if query is None else query.strip()

    def _alerts(self, f: Fields) -> list[str]:
        names: list[str] = []
        count = f.items(("spec", "alertPolicies"), "alert policies", required=False)
        for i in range(count):
            path: Path = ("spec", "alertPolicies", i)
            if f.has((*path, "alertPolicyRef")):
                name = f.text((*path, "alertPolicyRef"), "the name of an AlertPolicy")
                if name is not None and name not in self.by_kind["AlertPolicy"]:
                    f.problem(
                        (*path, "alertPolicyRef"),
                        _missing("AlertPolicy", name, self.by_kind["AlertPolicy"]),
                    )
                    continue
            else:
                name = f.text(
                    (*path, "metadata", "name"),
                    "an inline AlertPolicy's name (or alertPolicyRef)",
                )
            if name is not None:
                names.append(name)
        return names


def _missing(kind: str, name: str, known: Mapping[str, object]) -> str:
    listed = (
        f"one of: {', '.join(sorted(known))}"
        if known
        else f"an object of kind {kind} in the contract"
    )
    return f"no {kind} named {name!r} in the contract; expected {listed}"


def _expected_methods() -> str:
    return "one of " + ", ".join(m.value for m in Budgeting)
