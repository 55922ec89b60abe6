"""Turn experiment text into a validated :class:`Experiment`, or into every problem it has.

Two passes: the JSON Schema (the same one editors use) catches shape errors, and the semantic
checks here catch what a schema says badly: a fault naming an undeclared target, a fault kind the
environment's driver cannot inject, bindings that do not fit the driver, windows that do not fit.
Every problem carries file, line, column and field path, and says what was expected. Nothing
here touches the outside world; the caller reads the file and passes the environment in.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import jsonschema

from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.faults import REGISTRY, _cluster, _kube, raw_manifest
from chaosrunner.core.model import (
    Binding,
    BlastRadius,
    DriverKind,
    Environment,
    Experiment,
    Fault,
    FaultOrder,
    Guardrail,
    GuardrailNoData,
    Judge,
    JudgeRule,
    KubernetesSettings,
    Metadata,
    NoDataPolicy,
    PrometheusConfig,
    Schedule,
    Sli,
    SliKind,
    Target,
    tick_span,
)
from chaosrunner.core.plan import ScheduleError, observing_tick, schedule_faults
from chaosrunner.core.promql import SLI_FORMS, compile_sli, default_unit
from chaosrunner.core.schema import experiment_schema
from chaosrunner.core.source import Document, Path, format_path, is_secret_name, load_document
from chaosrunner.core.units import parse_duration, parse_objective, parse_percent

DEFAULT_EXPIRY_MARGIN = 30.0
#: What stands in a message for a secret variable's value.
MASK = "***"
#: The leak hook (demo/leakhook) refuses a leak that would outlive this by default.
LEAK_HOOK_MAX_EXPIRY = 3600.0
_URL = re.compile(r"^https?://[^/\s]+")
_PARTS_BY_DRIVER = {
    DriverKind.LOCAL: ("process", "proxy", "hook"),
    DriverKind.CHAOS_MESH: ("pods", "hook"),
}
_validator: jsonschema.protocols.Validator | None = None


def _schema_validator() -> jsonschema.protocols.Validator:
    global _validator  # noqa: PLW0603 - the compiled schema is immutable; build it once
    if _validator is None:
        schema = experiment_schema()
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


def check(
    text: str,
    file: str,
    *,
    env: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every problem in ``text``; with ``env`` only those that matter for that environment."""
    try:
        load(text, file, env=env, cli_vars=cli_vars, environ=environ, all_envs=env is None)
    except ExperimentError as exc:
        return exc.problems
    return []


def load(
    text: str,
    file: str,
    *,
    env: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    all_envs: bool = False,
) -> Experiment:
    """The experiment resolved for ``env`` (or the file's default); raises ExperimentError."""
    doc = load_document(text, file, cli_vars=cli_vars, environ=environ)
    if doc.data is None:
        raise ExperimentError(doc.problems)
    _check_cli_vars(doc, cli_vars or {})
    _schema_problems(doc)
    builder = _Builder(doc)
    chosen = builder.choose_env(env)
    checked = builder.declared_envs() if all_envs else ([chosen] if chosen else [])
    for name, problem in doc.unresolved:
        if _concerns(name, checked, builder.declared_envs()):
            doc.problems.append(problem)
    for env_name in checked:
        builder.check_env(env_name)
    experiment = builder.build(chosen) if chosen and not doc.problems else None
    if doc.problems or experiment is None:
        raise ExperimentError(_masked(_unique(doc.problems), doc))
    return experiment


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(set(problems))


def _check_cli_vars(doc: Document, cli_vars: Mapping[str, str]) -> None:
    """A ``--var`` the file neither declares nor uses would be ignored: a misspelt override
    that never happens. Its problem stands at ``spec.variables`` (the command line has no
    position in the file), or at ``spec`` when the file declares no variables."""
    declared = _get(doc.data, "spec", "variables")
    names = sorted(set(declared if isinstance(declared, Mapping) else ()) | set(doc.variables))
    for name in sorted(set(cli_vars) - set(names)):
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        known = f"expected one of: {', '.join(names)}" if names else "expected no --var"
        doc.problem(
            ("spec", "variables"),
            f"--var {name}: the file declares no variable {name!r} and uses none, so it would "
            f"be ignored; {hint}{known}",
            key=True,
        )


def _masked(problems: list[Problem], doc: Document) -> list[Problem]:
    """Problems with every secret variable's value replaced by ``***``.

    A message may quote the value it found (``'...' is not valid``), and that value may have
    come from a secret variable. Values of four characters or more are masked in every
    message; shorter ones only in messages about a field built from a secret (masking ``ab``
    everywhere would garble the text)."""
    secrets = set(doc.secrets)
    paths = {format_path(p) for p in doc.secret_paths}
    declared = _get(doc.data, "spec", "variables")
    for name, decl in declared.items() if isinstance(declared, Mapping) else ():
        if is_secret_name(str(name)) or (isinstance(decl, Mapping) and decl.get("secret") is True):
            paths.add(f"spec.variables.{name}")
            default = decl.get("default") if isinstance(decl, Mapping) else None
            if default is not None and str(default):
                secrets.add(str(default))
    if not secrets:
        return problems
    ordered = sorted(secrets, key=len, reverse=True)
    out = []
    for problem in problems:
        about_secret = any(_related(problem.path, p) for p in paths)
        message = problem.message
        for secret in ordered:
            if len(secret) >= 4 or about_secret:
                for form in {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}:
                    message = message.replace(form, MASK)
        out.append(dataclasses.replace(problem, message=message))
    return out


def _related(path: str, secret_path: str) -> bool:
    """Whether a problem at ``path`` may quote the value at ``secret_path`` (same, or above)."""
    return secret_path == path or secret_path.startswith((f"{path}.", f"{path}[")) or not path


def _concerns(path: Path, envs: list[str], declared: list[str]) -> bool:
    """Whether an unresolved variable at ``path`` matters for the environments checked."""
    scoped = (len(path) >= 3 and path[:2] == ("spec", "environments")) or (
        len(path) >= 5 and path[:2] == ("spec", "targets") and path[3] == "bindings"
    )
    if not scoped:
        return True
    env_name = path[2] if path[1] == "environments" else path[4]
    return env_name in envs or env_name not in declared


def _schema_problems(doc: Document) -> None:
    for error in _schema_validator().iter_errors(doc.data):
        for path, message, on_key in _describe(error):
            doc.problem(path, message, key=on_key)


def _describe(error: jsonschema.ValidationError) -> list[tuple[Path, str, bool]]:
    path: Path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value: Any = error.instance
    expected: Any = error.validator_value
    match error.validator:
        case "additionalProperties":
            allowed = sorted(schema.get("properties", {}))
            extra = [k for k in value if k not in allowed] if isinstance(value, Mapping) else []
            return [((*path, key), _unknown_key(key, allowed), True) for key in extra]
        case "required":
            missing = [k for k in expected if k not in value]
            return [(path, f"missing required key {k!r}", False) for k in missing]
        case "type":
            names = " or ".join(expected) if isinstance(expected, list) else str(expected)
            got = "null" if value is None else f"{_kind(value)} {value!r}"
            return [(path, f"expected {_article(names)}, got {got}", False)]
        case "enum":
            options = ", ".join(str(v) for v in expected)
            return [(path, f"{value!r} is not allowed; expected one of: {options}", False)]
        case "const":
            return [(path, f"expected {expected!r}, got {value!r}", False)]
        case "pattern":
            phrase = schema.get("x-expected", f"text matching {expected}")
            return [(path, f"{value!r} is not valid; expected {phrase}", False)]
        case "propertyNames":
            return [(path, f"{error.message}; names must be lower-case DNS labels", False)]
        case "minItems":
            return [(path, f"expected at least {expected} item(s), got {len(value)}", False)]
        case "oneOf":
            branch = _matching_branch(error)
            if branch:
                return [d for sub in branch for d in _describe(sub)]
            return [(path, f"{value!r} is not valid; expected {_one_of_phrase(schema)}", False)]
        case "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum":
            return [(path, f"{value!r} is out of range; {error.message}", False)]
        case _:
            return [(path, error.message, False)]


def _matching_branch(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors of the oneOf branch whose type fits the value (e.g. the object form)."""
    if not isinstance(error.instance, Mapping) or not isinstance(error.schema, Mapping):
        return []
    branches = error.schema.get("oneOf", [])
    wanted = {
        i for i, b in enumerate(branches) if isinstance(b, Mapping) and b.get("type") == "object"
    }
    return [
        e
        for e in error.context or []
        if e.relative_schema_path and e.relative_schema_path[0] in wanted
    ]


def _one_of_phrase(schema: Mapping[str, Any]) -> str:
    desc = str(schema.get("description", "")).rstrip(".")
    return desc[0].lower() + desc[1:] if desc else "one of the allowed forms"


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}; expected one of: {', '.join(allowed)}"


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _article(name: str) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "a boolean",
    }
    return names.get(name, name)


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else nothing (the schema reports the wrong type)."""
    return value if isinstance(value, list) else []


def _get(data: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(data, Mapping) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def _seconds(value: Any, default: float) -> float:
    try:
        return parse_duration(value) if isinstance(value, str) else default
    except ValueError:
        return default


class _Builder:
    """Semantic checks and construction; reads ``doc.data`` defensively (it may be ill-shaped)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.spec = _get(doc.data, "spec") or {}
        self.envs = self.spec.get("environments") if isinstance(self.spec, Mapping) else None
        self._check_general()

    def declared_envs(self) -> list[str]:
        return list(self.envs) if isinstance(self.envs, Mapping) else []

    def choose_env(self, requested: str | None) -> str | None:
        declared = self.declared_envs()
        default = _get(self.spec, "defaultEnv")
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
        self._check_unique("faults")
        self._check_schedule()
        faults = [f for f in _list(_get(self.spec, "faults")) if isinstance(f, Mapping)]
        for i, fault in enumerate(faults):
            self._check_fault(i, fault)
        self._check_fault_schedule(faults)

    def _check_unique(self, key: str, items: list[Any] | None = None) -> None:
        seen: set[str] = set()
        owner = ("spec", key) if items is None else ("spec", "steadyState", "slis")
        for i, item in enumerate(items if items is not None else _list(_get(self.spec, key))):
            name = _get(item, "name")
            if isinstance(name, str):
                if name in seen:
                    self.doc.problem(
                        (*owner, i, "name"), f"duplicate name {name!r}; names must be unique"
                    )
                seen.add(name)

    def _check_slis(self) -> None:
        slis = _get(self.spec, "steadyState", "slis")
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

    def _check_judgeable(self, path: Path, raw_for: Any) -> None:
        """A rule must be able to fail in each phase it judges (baseline, blast window), given
        the ticks in it (at 0, i, 2i, ... up to the phase's length), or HELD means nothing."""
        sustain = _seconds(raw_for, -1.0)
        sched = _get(self.spec, "schedule")
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
        sched = _get(self.spec, "schedule")
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
        radius = _get(self.spec, "blastRadius", "maxPercent")
        if isinstance(radius, str):
            try:
                if parse_percent(radius) > 1.0:
                    self.doc.problem(("spec", "blastRadius", "maxPercent"), "expected at most 100%")
            except ValueError:
                pass

    def _check_fault(self, i: int, fault: Mapping[str, Any]) -> None:
        path: Path = ("spec", "faults", i)
        targets = _get(self.spec, "targets")
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
        blast = _seconds(_get(self.spec, "schedule", "blast"), 0.0)
        if not blast:
            return
        order = (
            FaultOrder.SERIAL if _get(self.spec, "faultOrder") == "serial" else FaultOrder.PARALLEL
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
        margin = _seconds(_get(self.spec, "schedule", "expiryMargin"), DEFAULT_EXPIRY_MARGIN)
        for i, (fault, (start, end)) in enumerate(zip(faults, spans, strict=True)):
            self._check_expiry(i, fault, (end - start) + margin)
            self._check_observed(i, fault, start, end, blast)

    def _check_observed(
        self, i: int, fault: Mapping[str, Any], start: float, end: float, blast: float
    ) -> None:
        """A fault no probe tick falls under is never judged: a pass would say nothing of it."""
        interval = _seconds(_get(self.spec, "schedule", "probeInterval"), -1.0)
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
        driver = _get(self.envs, env, "driver")
        try:
            return DriverKind(driver)
        except ValueError:
            return None

    def check_env(self, env: str) -> None:
        driver = self._driver(env)
        self._check_url(("spec", "environments", env, "prometheus", "url"))
        age = _get(self.envs, env, "prometheus", "maxSampleAge")
        if isinstance(age, str) and _seconds(age, 1.0) <= 0:
            self.doc.problem(
                ("spec", "environments", env, "prometheus", "maxSampleAge"),
                f"{age!r} would make every reading stale; expected a duration above 0s",
            )
        if driver is DriverKind.CHAOS_MESH:
            self._check_kubernetes(("spec", "environments", env, "kubernetes"))
        targets = _get(self.spec, "targets")
        if driver is None or not isinstance(targets, Mapping):
            return
        for name, target in targets.items():
            bindings = _get(target, "bindings")
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
        url = _get(self.doc.data, *path)
        if isinstance(url, str) and not _URL.match(url):
            self.doc.problem(
                path, f"{url!r} is not a URL; expected http://host:port or https://host:port"
            )

    def _check_kubernetes(self, path: Path) -> None:
        """Namespaces the run checks against or keeps its Leases in: DNS-1123 labels."""
        allowed = _get(self.doc.data, *path, "allowNamespaces")
        for i, name in enumerate(allowed if isinstance(allowed, list) else []):
            if isinstance(name, str) and not _kube.dns_label(name):
                self.doc.problem(
                    (*path, "allowNamespaces", i),
                    f"{name!r} is not valid; expected {_kube.DNS_LABEL}",
                )
        lease = _get(self.doc.data, *path, "leaseNamespace")
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
        if driver is DriverKind.LOCAL:
            self._check_url((*path, "hook", "url"))
            self._check_url((*path, "proxy", "api"))
        pods = binding.get("pods")
        if isinstance(pods, Mapping) and driver is DriverKind.CHAOS_MESH:
            found = _cluster.selection_problems(pods, default_mode="one", needs_namespace=True)
            for at, message in found:
                self.doc.problem((*path, "pods", *at), message)

    def _check_fault_bindings(
        self, env: str, driver: DriverKind, targets: Mapping[str, Any]
    ) -> None:
        for i, fault in enumerate(_list(_get(self.spec, "faults"))):
            kind = REGISTRY.get(str(_get(fault, "type")))
            target = _get(fault, "target")
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
            params = _get(fault, "params")
            driver_check = kind.driver_checks.get(driver)
            if driver_check is not None and isinstance(params, Mapping):
                for sub, message in driver_check(params):
                    self.doc.problem(
                        (*path, "params", *sub), f"{message} (environment {env!r})"
                    )
            binding = _get(targets, target, "bindings", env)
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

    # -- construction ---------------------------------------------------------------------

    def build(self, env_name: str) -> Experiment:
        data = self.doc.data
        meta = data["metadata"]
        spec = self.spec
        sched = spec["schedule"]
        radius = spec.get("blastRadius", {})
        return Experiment(
            source=self.doc.file,
            metadata=Metadata(
                name=meta["name"],
                description=meta.get("description", ""),
                owner=meta.get("owner", ""),
                tags=tuple(meta.get("tags", ())),
            ),
            env=self._environment(env_name),
            targets=MappingProxyType({n: self._target(n, t) for n, t in spec["targets"].items()}),
            slis=tuple(self._sli(s) for s in spec["steadyState"]["slis"]),
            guardrails=tuple(self._guardrail(g) for g in spec.get("guardrails", [])),
            faults=tuple(self._fault(f) for f in spec["faults"]),
            fault_order=FaultOrder(spec.get("faultOrder", FaultOrder.PARALLEL)),
            schedule=Schedule(
                baseline=parse_duration(sched["baseline"]),
                blast=parse_duration(sched["blast"]),
                recovery=parse_duration(sched["recovery"]),
                probe_interval=parse_duration(sched["probeInterval"]),
                expiry_margin=_seconds(sched.get("expiryMargin"), DEFAULT_EXPIRY_MARGIN),
            ),
            blast_radius=BlastRadius(
                max_targets=radius.get("maxTargets"),
                max_percent=parse_percent(radius["maxPercent"]) if "maxPercent" in radius else None,
            ),
            secrets=frozenset(self.doc.secrets),
        )

    def _environment(self, name: str) -> Environment:
        assert isinstance(self.envs, Mapping)
        raw = self.envs[name]
        prom = raw["prometheus"]
        kube = raw.get("kubernetes") or {}
        return Environment(
            name=name,
            driver=DriverKind(raw["driver"]),
            prometheus=PrometheusConfig(
                url=prom["url"].rstrip("/"),
                bearer_token=prom.get("bearerToken") or None,
                timeout=_seconds(prom.get("timeout"), 5.0),
                max_sample_age=_seconds(prom.get("maxSampleAge"), 0.0) or None,
            ),
            kubernetes=KubernetesSettings(
                context=kube.get("context") or None,
                allow_namespaces=tuple(str(n) for n in kube.get("allowNamespaces", ())),
                lease_namespace=kube.get("leaseNamespace") or None,
            ),
        )

    def _target(self, name: str, raw: Mapping[str, Any]) -> Target:
        bindings = {
            env: Binding(name, env, MappingProxyType(dict(parts)))
            for env, parts in raw["bindings"].items()
        }
        return Target(name, raw.get("description", ""), MappingProxyType(bindings))

    def _sli(self, raw: Mapping[str, Any]) -> Sli:
        kind = next(SliKind(f) for f in SLI_FORMS if f in raw)
        judge_raw = raw.get("judge", JudgeRule.EVERY_TICK.value)
        if isinstance(judge_raw, str):
            judge = Judge(JudgeRule(judge_raw))
        else:
            judge = Judge(
                JudgeRule(judge_raw["rule"]),
                min_ratio=parse_percent(judge_raw["min"]) if "min" in judge_raw else 1.0,
                sustain_seconds=_seconds(judge_raw.get("for"), 0.0),
            )
        return Sli(
            name=raw["name"],
            kind=kind,
            query=compile_sli(kind, raw),
            objective=parse_objective(raw["objective"]),
            judge=judge,
            no_data=NoDataPolicy(raw.get("noData", NoDataPolicy.INCONCLUSIVE)),
            description=raw.get("description", ""),
            unit=raw.get("unit") or default_unit(kind),
        )

    def _guardrail(self, raw: Mapping[str, Any]) -> Guardrail:
        return Guardrail(
            name=raw["name"],
            query=raw["query"],
            abort_if=parse_objective(raw["abortIf"]),
            on_no_data=GuardrailNoData(raw.get("onNoData", GuardrailNoData.IGNORE)),
            description=raw.get("description", ""),
        )

    def _fault(self, raw: Mapping[str, Any]) -> Fault:
        return Fault(
            name=raw["name"],
            type=raw["type"],
            target=raw["target"],
            params=MappingProxyType(dict(raw.get("params", {}))),
            start_after=_seconds(raw.get("after"), 0.0),
            duration=_seconds(raw["duration"], 0.0) if "duration" in raw else None,
        )


__all__ = ["check", "format_path", "load"]
