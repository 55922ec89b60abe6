"""The JSON Schema of the experiment format (``chaosrunner schema`` prints it).

It serves two readers: editors (yaml-language-server completes and checks files with it) and
our validator, which turns each schema error into one precise message. ``x-expected`` holds
the human phrase used when a pattern does not match. Rules a schema says badly (exactly one SLI
form, a fault naming a declared target, bindings allowed per driver) live in ``validate``.
"""

from __future__ import annotations

import copy
from typing import Any

from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import API_VERSION, KIND, DriverKind, JudgeRule
from chaosrunner.core.notify import NOTIFY_SCHEMA
from chaosrunner.core.units import DURATION_RE, MAX_LENGTH, OBJECTIVE_RE, PERCENT_RE

SCHEMA_ID = "https://chaosrunner.io/schemas/experiment-v1alpha1.json"
NAME_RE = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
VARIABLE_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _str(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _duration(description: str) -> dict[str, Any]:
    return _str(
        description,
        pattern=DURATION_RE,
        maxLength=MAX_LENGTH,
        **{"x-expected": "a duration such as 500ms, 30s, 1m30s (no spaces or line breaks)"},
    )


def _objective(description: str) -> dict[str, Any]:
    return _str(
        description,
        pattern=OBJECTIVE_RE,
        **{"x-expected": "a comparator and a number, e.g. '>= 99.5%', '<= 200ms', '< 0.7%'"},
    )


def _percent(description: str) -> dict[str, Any]:
    return _str(
        description,
        pattern=PERCENT_RE,
        maxLength=MAX_LENGTH,
        **{"x-expected": "a percentage such as 95% (no spaces or line breaks)"},
    )


def _name(description: str) -> dict[str, Any]:
    return _str(
        description,
        pattern=NAME_RE,
        **{"x-expected": "a lower-case DNS label: a-z, 0-9 and '-', at most 63 characters"},
    )


def _object(
    properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": list(required),
        **extra,
    }


def _map_of(value: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": NAME_RE, "x-expected": "a lower-case DNS label"},
        "additionalProperties": value,
    }


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

_PROCESS = _object(
    {
        "pidFile": _str("A file holding the pid of the process."),
        "match": _str("A regular expression matched against each process's command line."),
        "labService": {
            "enum": ["redis", "toxiproxy", "demo", "loadgen", "prometheus"],
            "description": "A component of the embedded lab (its pid file, kept across restarts).",
        },
    },
    description="Local: the processes that make up the target (one of pidFile, match, labService).",
)
_PROXY = _object(
    {
        "name": _str("The Toxiproxy proxy the target's traffic goes through."),
        "api": _str("Toxiproxy's HTTP API, e.g. http://127.0.0.1:8474."),
    },
    ("name",),
    description="Local: the Toxiproxy proxy in front of the target.",
)
_HOOK = _object(
    {
        "url": _str("Local: the goroutine-leak hook's URL."),
        "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "Cluster: pod port",
        },
        "path": _str("Cluster: the hook's path on the pod."),
        "scheme": {"enum": ["http", "https"]},
        "tokenSecret": _str("A variable name holding the hook's bearer token."),
    },
    description="The goroutine-leak hook a Go service links (see demo/leakhook).",
)
_PODS = _object(
    {
        "namespace": _str("The namespace of the pods."),
        "namespaces": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "labelSelector": {**_STRING_MAP, "description": "Labels every selected pod carries."},
        "fieldSelector": {**_STRING_MAP, "description": "Fields every selected pod matches."},
        "mode": {"enum": ["one", "all", "fixed", "fixed-percent", "random-max-percent"]},
        "value": {
            "type": ["string", "integer"],
            "description": "Count or percent for fixed modes.",
        },
    },
    description="Chaos Mesh: the pods that make up the target.",
)
_PPROF = _object(
    {
        "url": _str(
            "Local: the base URL of Go's pprof handlers, e.g. http://127.0.0.1:8080/debug/pprof."
        ),
        "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "Cluster: the pod port serving pprof (read through the pod proxy).",
        },
        "path": _str("Cluster: the pprof path on the pod; default /debug/pprof."),
        "scheme": {"enum": ["http", "https"]},
    },
    description="Where goroutine profiles are captured (baseline end, blast window, recovery).",
)
_BINDING = _object(
    {"process": _PROCESS, "proxy": _PROXY, "hook": _HOOK, "pods": _PODS, "pprof": _PPROF},
    description="How a logical target is found in one environment.",
)

_OBJECT_RULES = (JudgeRule.TICKS_RATIO, JudgeRule.SUSTAINED, JudgeRule.TIMESLICES)
_JUDGE = {
    "description": "a rule name (every-tick, mean, max, min, final), or an object "
    "such as {rule: ticks-ratio, min: 95%}, {rule: sustained, for: 30s} or "
    "{rule: timeslices, window: 10s, target: 95%}",
    "oneOf": [
        {"enum": [r.value for r in JudgeRule if r not in _OBJECT_RULES]},
        _object(
            {
                "rule": {"enum": [r.value for r in JudgeRule]},
                "min": _percent("ticks-ratio: the share of ticks that must meet the objective."),
                "for": _duration("sustained: how long a breach must last to count."),
                "window": _duration("timeslices: the slice length (OpenSLO timeSliceWindow)."),
                "target": _percent(
                    "timeslices: the share of slices that must be good (timeSliceTarget)."
                ),
            },
            ("rule",),
        ),
    ],
}

_PRESET = _object(
    {
        "name": {
            "enum": ["go-goroutines", "go-rss-vs-limit", "open-connections"],
            "description": "The saturation preset (see the README).",
        },
        "job": _str("The Prometheus job label of the Go service."),
        "max": {
            "type": ["number", "string"],
            "description": "The limit: a count, or a percentage for go-rss-vs-limit.",
        },
        "limitBytes": {
            "type": "integer",
            "minimum": 1,
            "description": "go-rss-vs-limit: the memory limit in bytes (else the container's).",
        },
        "container": _str("go-rss-vs-limit: the container name; default the job."),
    },
    ("name", "job"),
    description="A saturation preset compiled to PromQL, e.g. {name: go-goroutines, job: demo}.",
)

_SLI = _object(
    {
        "name": _name("The SLI's name, used in reports."),
        "description": _str("What the SLI measures, for the report."),
        "query": _str("PromQL evaluated as an instant value at every tick."),
        "ratio": _object(
            {"good": _str("PromQL: good events per second."), "total": _str("PromQL: all events.")},
            ("good", "total"),
            description="good / total, e.g. non-5xx over all requests.",
        ),
        "quantile": _object(
            {
                "q": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "histogram": _str("The histogram's _bucket series (with label matchers)."),
                "window": _duration("The rate() window."),
                "by": {"type": "array", "items": {"type": "string"}},
            },
            ("q", "histogram"),
            description="histogram_quantile over a rate of buckets.",
        ),
        "burnRate": _object(
            {
                "errorRatio": _str("PromQL: the share of bad events over the window."),
                "slo": _percent("The SLO target, e.g. 99.9%."),
            },
            ("errorRatio", "slo"),
            description="Error-budget burn: error ratio / (1 - SLO).",
        ),
        "growth": _object(
            {
                "query": _str("PromQL of the quantity that grows, e.g. sum(go_goroutines)."),
                "window": _duration("The window the growth is measured over."),
            },
            ("query",),
            description="Growth per hour as a fraction: deriv(x)*3600/x.",
        ),
        "preset": _PRESET,
        "objective": _objective("What the SLI must meet; a preset's default is '<= max'."),
        "judge": _JUDGE,
        "severity": {
            "enum": ["critical", "warning"],
            "description": "The hypothesis' weight in the resilience score; default critical.",
        },
        "slo": _object(
            {
                "target": _percent("The SLO target, e.g. 99.9% (below 100%)."),
                "window": _duration("The SLO window, e.g. 30d or 28d."),
            },
            ("target", "window"),
            description="The SLO this SLI's error-budget burn is measured against.",
        ),
        "noData": {
            "enum": ["inconclusive", "fail"],
            "description": "What a tick with no data means; default inconclusive.",
        },
        "unit": {"enum": ["", "ratio", "seconds", "count", "per-hour"]},
    },
    ("name",),
)

_GUARDRAIL = _object(
    {
        "name": _name("The guardrail's name."),
        "description": _str("Why this limit exists."),
        "query": _str("PromQL evaluated at every tick."),
        "preset": _PRESET,
        "abortIf": _objective("The breach condition, e.g. '> 0.5'; a preset's default '> max'."),
        "onNoData": {
            "enum": ["ignore", "abort"],
            "description": (
                "What to do while the guardrail is blind: its query returns no data, the probe "
                "errors, or its data is stale. ignore (default): keep going while it is blind "
                "(it cannot fire then), and say so on the console and in the outputs; abort: "
                "stop the run on the first blind tick."
            ),
        },
    },
    ("name",),
)

_ALERT = _object(
    {
        "name": _str(
            "The alert's name (ALERTS{alertname=...}).",
            pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$",
            **{"x-expected": "a Prometheus alert name: letters, digits, '_' and ':'"},
        ),
        "within": _duration("How soon after the first fault started it must fire."),
        "required": {
            "type": "boolean",
            "description": "A required alert that did not fire fails the run; default false.",
        },
    },
    ("name",),
)


def _fault_schema() -> dict[str, Any]:
    kinds = sorted(REGISTRY)
    return _object(
        {
            "name": _name("The fault's name."),
            "type": {"enum": kinds, "description": "The fault kind."},
            "target": _str("A target declared under spec.targets."),
            "params": {"type": "object", "description": "Parameters of the fault kind."},
            "after": _duration("Start offset within the blast window; default 0s."),
            "duration": _duration("How long the fault lasts; default: to the window's end."),
        },
        ("name", "type", "target"),
        allOf=[
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": {
                    "properties": {"params": dict(REGISTRY[name].params)},
                    # a kind with required parameters needs ``params`` itself (else the
                    # renderer finds no latency for network-delay)
                    "required": ["params"] if REGISTRY[name].params.get("required") else [],
                },
            }
            for name in kinds
        ],
    )


_ENVIRONMENT = _object(
    {
        "driver": {"enum": [d.value for d in DriverKind], "description": "What injects faults."},
        "prometheus": _object(
            {
                "url": _str("Prometheus' base URL."),
                "bearerToken": _str("A token for Prometheus; use a secret variable."),
                "timeout": _duration("Per-query timeout; default 5s."),
                "maxSampleAge": _duration(
                    "The freshness bound: a reading whose newest sample is older than this at "
                    "the tick, or whose target is down, is stale (unknown). Default: 2 × the "
                    "job's scrape interval + 1s, discovered from Prometheus' targets."
                ),
            },
            ("url",),
        ),
        "kubernetes": _object(
            {
                "context": _str("The kubeconfig context; default the current one."),
                "allowNamespaces": {"type": "array", "items": {"type": "string"}},
                "leaseNamespace": _str("Where run Leases are kept; default the target's."),
            }
        ),
        "lab": _object({"stateDir": _str("The lab's state directory.")}),
    },
    ("driver", "prometheus"),
)


def experiment_schema() -> dict[str, Any]:
    """The whole schema, freshly built (callers may mutate their copy)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "chaosrunner Experiment",
        **_object(
            {
                "apiVersion": {"const": API_VERSION},
                "kind": {"const": KIND},
                "metadata": _object(
                    {
                        "name": _name("The experiment's name."),
                        "description": _str("What it tests and which verdict it expects."),
                        "owner": _str("The owning team."),
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    ("name",),
                ),
                "spec": _object(
                    {
                        "defaultEnv": _str("The environment used when --env is not given."),
                        "variables": {
                            "type": "object",
                            "description": "Variables used as ${name}.",
                            "propertyNames": {
                                "pattern": VARIABLE_RE,
                                "x-expected": "letters, digits and '_', not starting with a digit",
                            },
                            "additionalProperties": _object(
                                {
                                    "default": {"type": ["string", "number", "boolean"]},
                                    "description": _str("What the variable is for."),
                                    "secret": {"type": "boolean"},
                                }
                            ),
                        },
                        "environments": _map_of(_ENVIRONMENT, "Where the experiment can run."),
                        "targets": _map_of(
                            _object(
                                {
                                    "description": _str("What the target is."),
                                    "bindings": _map_of(_BINDING, "Per environment."),
                                },
                                ("bindings",),
                            ),
                            "Logical targets, bound per environment.",
                        ),
                        "steadyState": _object(
                            {
                                "slis": {"type": "array", "items": _SLI, "minItems": 1},
                                "contract": _str(
                                    "An SLO contract (OpenSLO v1 or Sloth file, or a folder of "
                                    "them) relative to this file: its SLOs are hypotheses too.",
                                    minLength=1,
                                ),
                                "rateWindow": _duration(
                                    "The window the contract's counters are read as rates "
                                    "over (Sloth's {{.window}}); default 30s."
                                ),
                            }
                        ),
                        "guardrails": {"type": "array", "items": _GUARDRAIL},
                        "alerts": {
                            "type": "array",
                            "items": _ALERT,
                            "description": "Alerts expected to fire during the run.",
                        },
                        "faults": {"type": "array", "items": _fault_schema(), "minItems": 1},
                        "faultOrder": {"enum": ["parallel", "serial"]},
                        "schedule": _object(
                            {
                                "baseline": _duration("Steady-state sampling before injection."),
                                "blast": _duration("The blast window."),
                                "recovery": _duration("The recovery limit after rollback."),
                                "probeInterval": _duration("The tick of the probe loop."),
                                "expiryMargin": _duration("Added to each fault's own expiry."),
                            },
                            ("baseline", "blast", "recovery", "probeInterval"),
                        ),
                        "blastRadius": _object(
                            {
                                "maxTargets": {"type": "integer", "minimum": 1},
                                "maxPercent": _percent(
                                    "At most this share of a target's instances."
                                ),
                            }
                        ),
                        "notify": copy.deepcopy(NOTIFY_SCHEMA),
                    },
                    ("environments", "targets", "steadyState", "faults", "schedule"),
                ),
            },
            ("apiVersion", "kind", "metadata", "spec"),
        ),
    }
