"""The semantic checks: what the schema says badly, each problem placed and worded.

A fault naming an undeclared target, a fault kind the environment's driver cannot inject,
bindings that do not fit the driver, windows that do not fit, rules that could never fail. The
data is read defensively: it has been through the schema, but a file with schema errors is
checked too, so that one run reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chaosrunner.core.build import DEFAULT_EXPIRY_MARGIN
from chaosrunner.core.build import seconds as _seconds
from chaosrunner.core.faults import REGISTRY, _cluster, _kube, raw_manifest
from chaosrunner.core.model import DriverKind, FaultOrder, Judge, JudgeRule, tick_span
from chaosrunner.core.plan import ScheduleError, observing_tick, schedule_faults
from chaosrunner.core.promql import SLI_FORMS
from chaosrunner.core.source import Document, Path
from chaosrunner.core.timeslices import judgeable
from chaosrunner.core.units import parse_percent

#: The leak hook (demo/leakhook) refuses a leak that would outlive this by default.
LEAK_HOOK_MAX_EXPIRY = 3600.0
_URL = re.compile(r"^https?://[^/\s]+")
_PARTS_BY_DRIVER = {
    DriverKind.LOCAL: ("process", "proxy", "hook", "pprof"),
    DriverKind.CHAOS_MESH: ("pods", "hook", "pprof"),
}


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else nothing (the schema reports the wrong type)."""
    return value if isinstance(value, list) else []


def get(data: Any, *keys: str | int) -> Any:
    """The value at ``keys`` in ill-shaped data, or None where the path breaks off."""
    for key in keys:
        if isinstance(data, Mapping) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


class Checks:
    """The semantic checks of one document; the general ones run at once, per environment on
    request (:meth:`check_env`). Problems go to ``doc.problems``."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.spec = get(doc.data, "spec") or {}
        self.envs = self.spec.get("environments") if isinstance(self.spec, Mapping) else None
        self._check_general()

    def declared_envs(self) -> list[str]:
        return list(self.envs) if isinstance(self.envs, Mapping) else []

    def choose_env(self, requested: str | None) -> str | None:
        declared = self.declared_envs()
        default = get(self.spec, "defaultEnv")
        if isinstance(default, str) and declared and default not in declared:
            self.doc.problem(
                ("spec", "defaultEnv"),
                f"environment {default!r} is not declared; expected one of: {', '.join(declared)}",
            )
        name = requested or (default if isinstance(default, str) else None)
        if name is None and len(declared) == 1:
            name = declared[0]
        if name is None:
            if declared:
                self.doc.problem(
                    ("spec", "environments"),
                    f"no environment chosen; pass --env (one of: {', '.join(declared)}) "
                    "or set spec.defaultEnv",
                )
            return None
        if declared and name not in declared:
            self.doc.problem(
                ("spec", "environments"),
                f"environment {name!r} is not declared; expected one of: {', '.join(declared)}",
            )
            return None
        return name if declared else None

    # -- checks that do not depend on the environment -------------------------------------

    def _check_general(self) -> None:
        self._check_slis()
        self._check_unique("guardrails")
        self._check_guardrails()
        self._check_unique("alerts")
        self._check_unique("faults")
        self._check_schedule()
        faults = [f for f in _list(get(self.spec, "faults")) if isinstance(f, Mapping)]
        for i, fault in enumerate(faults):
            self._check_fault(i, fault)
        self._check_fault_schedule(faults)

    def _check_unique(self, key: str, items: list[Any] | None = None) -> None:
        seen: set[str] = set()
        owner = ("spec", key) if items is None else ("spec", "steadyState", "slis")
        for i, item in enumerate(items if items is not None else _list(get(self.spec, key))):
            name = get(item, "name")
            if isinstance(name, str):
                if name in seen:
                    self.doc.problem(
                        (*owner, i, "name"), f"duplicate name {name!r}; names must be unique"
                    )
                seen.add(name)

    def _check_slis(self) -> None:
        slis = get(self.spec, "steadyState", "slis")
        if not isinstance(slis, list):
            return
        self._check_unique("slis", slis)
        for i, sli in enumerate(slis):
            if not isinstance(sli, Mapping):
                continue
            path: Path = ("spec", "steadyState", "slis", i)
            forms = [f for f in SLI_FORMS if f in sli]
            if len(forms) != 1:
                found = f"found {', '.join(forms)}" if forms else "found none"
                self.doc.problem(path, f"expected exactly one of {', '.join(SLI_FORMS)}; {found}")
            judge = sli.get("judge")
            if isinstance(judge, Mapping):
                rule = judge.get("rule")
                if rule == JudgeRule.TICKS_RATIO and "min" not in judge:
                    self.doc.problem(
                        (*path, "judge"), "rule ticks-ratio needs 'min', e.g. min: 95%"
                    )
                if rule == JudgeRule.SUSTAINED and "for" not in judge:
                    self.doc.problem((*path, "judge"), "rule sustained needs 'for', e.g. for: 30s")
                if rule == JudgeRule.SUSTAINED and "for" in judge:
                    self._check_judgeable((*path, "judge", "for"), judge["for"])
                if rule == JudgeRule.TIMESLICES:
                    self._check_timeslices((*path, "judge"), judge)
                for key in ("window", "target"):
                    if key in judge and rule != JudgeRule.TIMESLICES:
                        self.doc.problem(
                            (*path, "judge", key),
                            f"{key!r} belongs to rule timeslices, not {rule!r}; expected e.g. "
                            "{rule: timeslices, window: 10s, target: 95%}",
                            key=True,
                        )
            preset = sli.get("preset")
            if isinstance(preset, Mapping):
                self._check_preset((*path, "preset"), preset)
            if "objective" not in sli and not (isinstance(preset, Mapping) and "max" in preset):
                self.doc.problem(
                    path,
                    "missing objective; expected e.g. objective: '>= 99.5%' (a preset "
                    "with max gets '<= max')",
                )
            slo = sli.get("slo")
            if isinstance(slo, Mapping) and isinstance(slo.get("target"), str):
                try:
                    if not parse_percent(slo["target"]) < 1.0:
                        raise ValueError
                except ValueError:
                    self.doc.problem(
                        (*path, "slo", "target"),
                        f"an SLO target must be below 100%, got {slo['target']!r}; "
                        "expected e.g. 99.9%",
                    )

    def _check_guardrails(self) -> None:
        for i, rail in enumerate(_list(get(self.spec, "guardrails"))):
            if not isinstance(rail, Mapping):
                continue
            path: Path = ("spec", "guardrails", i)
            preset = rail.get("preset")
            if ("query" in rail) == (preset is not None):
                self.doc.problem(path, "expected exactly one of query, preset")
            if isinstance(preset, Mapping):
                self._check_preset((*path, "preset"), preset)
            if "abortIf" not in rail and not (isinstance(preset, Mapping) and "max" in preset):
                self.doc.problem(
                    path,
                    "missing abortIf; expected e.g. abortIf: '> 0.5' (a preset with max "
                    "gets '> max')",
                )

    def _check_preset(self, path: Path, preset: Mapping[str, Any]) -> None:
        limit = preset.get("max")
        if limit is None:
            return
        wants_percent = preset.get("name") == "go-rss-vs-limit"
        ok = isinstance(limit, (int, float)) and not isinstance(limit, bool) and limit >= 0
        if wants_percent:
            ok = isinstance(limit, str) and _is_percent(limit)
        if not ok:
            expected = "a percentage such as 80%" if wants_percent else "a number such as 500"
            self.doc.problem((*path, "max"), f"bad limit {limit!r}; expected {expected}")

    def _check_timeslices(self, path: Path, judge: Mapping[str, Any]) -> None:
        """A timeslice rule needs its window and target, and a full slice in each judged phase
        with a tick in every slice, or it could never be judged (core/timeslices.judgeable)."""
        missing = [k for k in ("window", "target") if k not in judge]
        if missing:
            self.doc.problem(
                path,
                f"rule timeslices needs {' and '.join(missing)}, e.g. "
                "{rule: timeslices, window: 10s, target: 95%}",
            )
            return
        window = _seconds(judge["window"], -1.0)
        sched = get(self.spec, "schedule")
        if window <= 0 or not isinstance(sched, Mapping):
            if window == 0:
                self.doc.problem((*path, "window"), "expected a window longer than 0s")
            return
        tick = _seconds(sched.get("probeInterval"), -1.0)
        for key, label in (("baseline", "baseline"), ("blast", "blast window")):
            seconds = _seconds(sched.get(key), -1.0)
            if tick <= 0 or seconds < 0:
                continue
            why = judgeable(tick_span(seconds, tick), window, tick)
            if why is not None:
                self.doc.problem((*path, "window"), f"in the {label}: {why}")
                return

    def _check_judgeable(self, path: Path, raw_for: Any) -> None:
        """A rule must be able to fail in each phase it judges (baseline, blast window), given
        the ticks in it (at 0, i, 2i, ... up to the phase's length), or HELD means nothing."""
        sustain = _seconds(raw_for, -1.0)
        sched = get(self.spec, "schedule")
        if sustain <= 0 or not isinstance(sched, Mapping):
            return
        tick = _seconds(sched.get("probeInterval"), -1.0)
        judge = Judge(JudgeRule.SUSTAINED, sustain_seconds=sustain)
        for key, label in (("baseline", "baseline"), ("blast", "blast window")):
            seconds = _seconds(sched.get(key), -1.0)
            span = tick_span(seconds, tick)
            if tick > 0 and seconds >= 0 and not judge.can_fail_within(span):
                self.doc.problem(
                    path,
                    f"a breach must last {raw_for} to count, but the {label}'s ticks "
                    f"({sched[key]} at a probe interval of {sched['probeInterval']}) span only "
                    f"{span:g}s, so this rule could never fail; expected at most {span:g}s, or a "
                    f"longer {label}",
                )
                return

    def _check_schedule(self) -> None:
        sched = get(self.spec, "schedule")
        if not isinstance(sched, Mapping):
            return
        tick = _seconds(sched.get("probeInterval"), -1.0)
        blast = _seconds(sched.get("blast"), -1.0)
        baseline = _seconds(sched.get("baseline"), -1.0)
        if tick == 0:
            self.doc.problem(("spec", "schedule", "probeInterval"), "expected a duration above 0s")
        if tick > 0 and blast >= 0 and blast < tick:
            self.doc.problem(
                ("spec", "schedule", "blast"),
                f"the blast window ({sched['blast']}) must hold at least one probe interval "
                f"({sched['probeInterval']})",
            )
        if tick > 0 and baseline >= 0 and baseline < tick:
            self.doc.problem(
                ("spec", "schedule", "baseline"),
                f"the baseline ({sched['baseline']}) must hold at least one probe interval "
                f"({sched['probeInterval']}); the steady state is checked before injecting",
            )
        radius = get(self.spec, "blastRadius", "maxPercent")
        if isinstance(radius, str):
            try:
                if parse_percent(radius) > 1.0:
                    self.doc.problem(("spec", "blastRadius", "maxPercent"), "expected at most 100%")
            except ValueError:
                pass

    def _check_fault(self, i: int, fault: Mapping[str, Any]) -> None:
        path: Path = ("spec", "faults", i)
        targets = get(self.spec, "targets")
        target = fault.get("target")
        if isinstance(target, str) and isinstance(targets, Mapping) and target not in targets:
            declared = ", ".join(sorted(targets)) or "none"
            self.doc.problem(
                (*path, "target"),
                f"target {target!r} is not declared under spec.targets; declared: {declared}",
            )
        kind = REGISTRY.get(str(fault.get("type")))
        params = fault.get("params", {})
        if kind is not None and isinstance(params, Mapping):
            for sub, message in kind.check(params):
                self.doc.problem((*path, "params", *sub), message)

    def _check_fault_schedule(self, faults: list[Mapping[str, Any]]) -> None:
        blast = _seconds(get(self.spec, "schedule", "blast"), 0.0)
        if not blast:
            return
        order = (
            FaultOrder.SERIAL if get(self.spec, "faultOrder") == "serial" else FaultOrder.PARALLEL
        )
        items = [
            (
                _seconds(f.get("after"), 0.0),
                _seconds(f["duration"], 0.0) if "duration" in f else None,
            )
            for f in faults
        ]
        try:
            spans = schedule_faults(items, blast, order)
        except ScheduleError as exc:
            field = exc.field if exc.field in faults[exc.index] else "name"
            self.doc.problem(("spec", "faults", exc.index, field), str(exc))
            return
        margin = _seconds(get(self.spec, "schedule", "expiryMargin"), DEFAULT_EXPIRY_MARGIN)
        for i, (fault, (start, end)) in enumerate(zip(faults, spans, strict=True)):
            self._check_expiry(i, fault, (end - start) + margin)
            self._check_observed(i, fault, start, end, blast)

    def _check_observed(
        self, i: int, fault: Mapping[str, Any], start: float, end: float, blast: float
    ) -> None:
        """A fault no probe tick falls under is never judged: a pass would say nothing of it."""
        interval = _seconds(get(self.spec, "schedule", "probeInterval"), -1.0)
        if interval <= 0 or observing_tick(start, end, blast, interval) is not None:
            return
        last = tick_span(blast, interval)
        following = observing_tick(start, blast, blast, interval)
        if following is None:
            field = "after"
            expected = f"expected it to start before {last:g}s, the blast window's last tick"
        else:
            field = "duration"
            expected = f"expected it to last past {following:g}s, the next tick after its start"
        self.doc.problem(
            ("spec", "faults", i, field if field in fault else "name"),
            f"the fault would be active from {start:g}s to {end:g}s, but no probe tick of the "
            f"blast window (every {interval:g}s from 0s to {last:g}s) falls after its start and "
            f"before its end, so the hypotheses would never see the system under this fault; "
            f"{expected}",
        )

    def _check_expiry(self, i: int, fault: Mapping[str, Any], expiry: float) -> None:
        """A fault's own expiry (its duration plus the margin) is Chaos Mesh's spec.duration, a
        Go time.Duration; a raw manifest's written duration must not outlive it; the leak hook
        refuses a leak longer than an hour."""
        path: Path = ("spec", "faults", i)
        kind = fault.get("type")
        field = "duration" if "duration" in fault else "name"
        if not expiry <= _cluster.GO_MAX_SECONDS:
            self.doc.problem(
                (*path, field),
                f"the fault would expire after {expiry:g}s (its duration plus the expiry "
                f"margin); expected at most {_cluster.GO_MAX_TEXT}, the longest Go duration "
                "(Chaos Mesh's spec.duration)",
            )
        elif kind == "goroutine-leak" and expiry > LEAK_HOOK_MAX_EXPIRY:
            self.doc.problem(
                (*path, field),
                f"the leak would expire after {expiry:g}s (its duration plus the expiry margin); "
                "the leak hook refuses more than 1h: expected a shorter fault or margin",
            )
        params = fault.get("params")
        if kind == "raw-manifest" and isinstance(params, Mapping):
            written = raw_manifest.written_duration(params)
            timed = not raw_manifest.one_shot(params)
            if written is not None and timed and written > expiry + 1e-9:
                self.doc.problem(
                    (*path, "params", "manifest", "spec", "duration"),
                    f"{params['manifest']['spec']['duration']!r} outlives the fault's expiry of "
                    f"{expiry:g}s (its duration plus the expiry margin); expected at most that, "
                    "or no spec.duration (the fault's expiry is then used)",
                )

    # -- checks for one environment -------------------------------------------------------

    def _driver(self, env: str) -> DriverKind | None:
        driver = get(self.envs, env, "driver")
        try:
            return DriverKind(driver)
        except ValueError:
            return None

    def check_env(self, env: str) -> None:
        driver = self._driver(env)
        self._check_url(("spec", "environments", env, "prometheus", "url"))
        age = get(self.envs, env, "prometheus", "maxSampleAge")
        if isinstance(age, str) and _seconds(age, 1.0) <= 0:
            self.doc.problem(
                ("spec", "environments", env, "prometheus", "maxSampleAge"),
                f"{age!r} would make every reading stale; expected a duration above 0s",
            )
        if driver is DriverKind.CHAOS_MESH:
            self._check_kubernetes(("spec", "environments", env, "kubernetes"))
        targets = get(self.spec, "targets")
        if driver is None or not isinstance(targets, Mapping):
            return
        for name, target in targets.items():
            bindings = get(target, "bindings")
            if not isinstance(bindings, Mapping):
                continue
            for env_name in bindings:
                if env_name not in self.declared_envs():
                    self.doc.problem(
                        ("spec", "targets", name, "bindings", env_name),
                        f"environment {env_name!r} is not declared under spec.environments; "
                        f"declared: {', '.join(self.declared_envs())}",
                        key=True,
                    )
            binding = bindings.get(env)
            if isinstance(binding, Mapping):
                self._check_binding(("spec", "targets", name, "bindings", env), binding, driver)
        self._check_fault_bindings(env, driver, targets)

    def _check_url(self, path: Path) -> None:
        url = get(self.doc.data, *path)
        if isinstance(url, str) and not _URL.match(url):
            self.doc.problem(
                path, f"{url!r} is not a URL; expected http://host:port or https://host:port"
            )

    def _check_kubernetes(self, path: Path) -> None:
        """Namespaces the run checks against or keeps its Leases in: DNS-1123 labels."""
        allowed = get(self.doc.data, *path, "allowNamespaces")
        for i, name in enumerate(allowed if isinstance(allowed, list) else []):
            if isinstance(name, str) and not _kube.dns_label(name):
                self.doc.problem(
                    (*path, "allowNamespaces", i),
                    f"{name!r} is not valid; expected {_kube.DNS_LABEL}",
                )
        lease = get(self.doc.data, *path, "leaseNamespace")
        if isinstance(lease, str) and not _kube.dns_label(lease):
            self.doc.problem(
                (*path, "leaseNamespace"), f"{lease!r} is not valid; expected {_kube.DNS_LABEL}"
            )

    def _check_binding(self, path: Path, binding: Mapping[str, Any], driver: DriverKind) -> None:
        allowed = _PARTS_BY_DRIVER[driver]
        for part in binding:
            if part not in allowed:
                self.doc.problem(
                    (*path, part),
                    f"{part!r} does not apply to the {driver.value} driver; "
                    f"expected one of: {', '.join(allowed)}",
                    key=True,
                )
        process = binding.get("process")
        if isinstance(process, Mapping):
            given = [k for k in ("pidFile", "match", "labService") if k in process]
            if len(given) != 1:
                self.doc.problem(
                    (*path, "process"), "expected exactly one of pidFile, match, labService"
                )
            pattern = process.get("match")
            if isinstance(pattern, str):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.doc.problem((*path, "process", "match"), f"bad regular expression: {exc}")
        hook = binding.get("hook")
        if isinstance(hook, Mapping):
            needed = "url" if driver is DriverKind.LOCAL else "port"
            if needed not in hook:
                self.doc.problem((*path, "hook"), f"the {driver.value} driver needs hook.{needed}")
        pprof = binding.get("pprof")
        if isinstance(pprof, Mapping):
            needed = "url" if driver is DriverKind.LOCAL else "port"
            if needed not in pprof:
                where = (*path, "pprof")
                self.doc.problem(where, f"the {driver.value} driver needs pprof.{needed}")
            if driver is DriverKind.CHAOS_MESH and "pods" not in binding:
                self.doc.problem(
                    (*path, "pprof"),
                    "pprof in a cluster is read through the pods part; "
                    "expected a pods selection beside it",
                )
        if driver is DriverKind.LOCAL:
            self._check_url((*path, "hook", "url"))
            self._check_url((*path, "proxy", "api"))
            self._check_url((*path, "pprof", "url"))
        pods = binding.get("pods")
        if isinstance(pods, Mapping) and driver is DriverKind.CHAOS_MESH:
            found = _cluster.selection_problems(pods, default_mode="one", needs_namespace=True)
            for at, message in found:
                self.doc.problem((*path, "pods", *at), message)

    def _check_fault_bindings(
        self, env: str, driver: DriverKind, targets: Mapping[str, Any]
    ) -> None:
        for i, fault in enumerate(_list(get(self.spec, "faults"))):
            kind = REGISTRY.get(str(get(fault, "type")))
            target = get(fault, "target")
            if kind is None or not isinstance(target, str) or target not in targets:
                continue
            path: Path = ("spec", "faults", i)
            if not kind.supports(driver):
                drivers = ", ".join(d.value for d in kind.requires)
                self.doc.problem(
                    (*path, "type"),
                    f"fault type {kind.name!r} cannot run in environment {env!r} "
                    f"(driver {driver.value}); it needs driver: {drivers}",
                )
                continue
            params = get(fault, "params")
            driver_check = kind.driver_checks.get(driver)
            if driver_check is not None and isinstance(params, Mapping):
                for sub, message in driver_check(params):
                    self.doc.problem((*path, "params", *sub), f"{message} (environment {env!r})")
            binding = get(targets, target, "bindings", env)
            required = kind.requires[driver]
            needs = (required,) if isinstance(required, str) else required
            if not isinstance(binding, Mapping):
                self.doc.problem(
                    (*path, "target"),
                    f"target {target!r} has no binding for environment {env!r}; "
                    f"expected spec.targets.{target}.bindings.{env}.{needs[0]}",
                )
                continue
            for need in needs:
                if need not in binding:
                    self.doc.problem(
                        (*path, "target"),
                        f"fault type {kind.name!r} needs target {target!r} bound with {need!r} "
                        f"in environment {env!r}; it has: {', '.join(binding) or 'nothing'}",
                    )


def _is_percent(text: str) -> bool:
    try:
        parse_percent(text)
    except ValueError:
        return False
    return True
