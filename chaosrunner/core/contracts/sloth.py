"""Sloth's SLO specs read into :class:`SloIntent` values.

Two spellings of the same spec: the CLI's ``version: prometheus/v1`` file (snake_case keys:
``error_query``, ``total_query``, ``error_ratio_query``, ``page_alert``, ``ticket_alert``) and the
Kubernetes ``PrometheusServiceLevel`` (``apiVersion: sloth.slok.dev/v1``, camelCase under
``spec``). Each ``slos[]`` item is one SLO: ``objective`` is the percentage of good events
(``99.9``), its SLI counts bad events (``events``: errors over total, or ``raw``: a ready error
ratio), and its queries use ``{{.window}}``, which becomes the contract's rate window. A Sloth
SLO is budgeted by occurrences over Sloth's default 30-day period. ``alerting.name`` is the
``alertname`` of both the page and the ticket alert Sloth generates: it is expected to fire
unless both are disabled. An SLI ``plugin`` is code chaosrunner does not run: an error.
"""

from __future__ import annotations

from chaosrunner.core.contracts.documents import Fields
from chaosrunner.core.contracts.mapping import (
    Budgeting,
    Ratio,
    RatioSide,
    Raw,
    SloIntent,
    sli_name,
)
from chaosrunner.core.source import Path, format_path

VERSION = "prometheus/v1"
K8S_API_VERSION = "sloth.slok.dev/v1"
K8S_KIND = "PrometheusServiceLevel"
#: Sloth's default SLO period.
PERIOD = 30 * 86400.0


def is_sloth(fields: Fields) -> bool:
    version, api = fields.value(("version",)), fields.value(("apiVersion",))
    return bool(version == VERSION or api == K8S_API_VERSION)


class SlothReader:
    """One Sloth document: its SLOs and the alerts they generate."""

    def __init__(self, fields: Fields) -> None:
        self.f = fields
        self.k8s = fields.value(("apiVersion",)) == K8S_API_VERSION
        self.base: Path = ("spec",) if self.k8s else ()

    def _key(self, snake: str) -> str:
        if not self.k8s:
            return snake
        head, *rest = snake.split("_")
        return head + "".join(part.capitalize() for part in rest)

    def intents(self) -> tuple[list[SloIntent], list[str]]:
        f = self.f
        if self.k8s:
            kind = f.text(("kind",), K8S_KIND)
            if kind is not None and kind != K8S_KIND:
                f.problem(("kind",), f"kind {kind!r} is not Sloth's; expected {K8S_KIND}")
                return [], []
        f.text((*self.base, "service"), "the service's name")
        count = f.items((*self.base, "slos"), "at least one SLO under slos")
        intents: list[SloIntent] = []
        alerts: list[str] = []
        seen: set[str] = set()
        for i in range(count):
            path: Path = (*self.base, "slos", i)
            if not f.mapping(path, "an SLO: {name, objective, sli}"):
                continue
            name = f.text((*path, "name"), "the SLO's name")
            if name is not None and name in seen:
                f.problem((*path, "name"), f"a second SLO named {name!r}; names must be unique")
                continue
            if name is not None:
                seen.add(name)
            intent = self._slo(path, name)
            if intent is not None:
                intents.append(intent)
            alert = self._alert((*path, "alerting"))
            if alert is not None:
                alerts.append(alert)
        return intents, alerts

    def _slo(self, path: Path, name: str | None) -> SloIntent | None:
        f = self.f
        objective = f.number((*path, "objective"), "the percentage of good events, e.g. 99.9")
        if objective is not None and not 0 < objective < 100:
            f.problem((*path, "objective"), f"got {objective:g}; expected a number in (0, 100)")
            objective = None
        metric = self._metric((*path, "sli"))
        if name is None or objective is None or metric is None:
            return None
        line, column = f.where(path)
        description = f.value((*path, "description"))
        return SloIntent(
            slo=name,
            sli_name=sli_name(name),
            metric=metric,
            target=objective / 100.0,
            budgeting=Budgeting.OCCURRENCES,
            period=PERIOD,
            file=f.file,
            line=line,
            column=column,
            field=format_path(path),
            description=description if isinstance(description, str) else "",
            templated=True,
        )

    def _metric(self, path: Path) -> Ratio | Raw | None:
        f = self.f
        if not f.mapping(path, "sli: {events: {error_query, total_query}} or sli: {raw: ...}"):
            return None
        if f.has((*path, "plugin")):
            f.problem(
                (*path, "plugin"),
                "an SLI plugin is Go code chaosrunner does not run; expected "
                "sli.events or sli.raw with the PromQL written out",
            )
            return None
        events, raw = f.has((*path, "events")), f.has((*path, "raw"))
        if events == raw:
            found = "both" if events else "neither"
            f.problem(path, f"{found} of events and raw; expected exactly one")
            return None
        if raw:
            query = f.text(
                (*path, "raw", self._key("error_ratio_query")),
                "PromQL: the error ratio over {{.window}}",
            )
            return None if query is None else Raw(query.strip(), RatioSide.BAD)
        errors = f.text(
            (*path, "events", self._key("error_query")),
            "PromQL: bad events per second over {{.window}}",
        )
        total = f.text(
            (*path, "events", self._key("total_query")),
            "PromQL: all events per second over {{.window}}",
        )
        if errors is None or total is None:
            return None
        return Ratio(RatioSide.BAD, errors.strip(), total.strip())

    def _alert(self, path: Path) -> str | None:
        f = self.f
        if not f.mapping(path, "alerting: {name, page_alert, ticket_alert}", required=False):
            return None
        name = f.text((*path, "name"), "the alert name Sloth generates", required=False)
        pages = [self._key("page_alert"), self._key("ticket_alert")]
        disabled = all(f.value((*path, key, "disable")) is True for key in pages)
        return None if name is None or disabled else name
