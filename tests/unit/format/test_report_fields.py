"""Issue #11's experiment fields: slo, timeslices, severity, alerts, pprof and presets.

Each is built into the model when valid, and each bad value is one located message.
"""

from __future__ import annotations

import textwrap

import pytest

from chaosrunner.core import validate
from chaosrunner.core.model import JudgeRule, SliKind
from chaosrunner.core.presets import compile_preset
from chaosrunner.core.resilience import Severity
from tests.support import BASE, experiment

OBJ = '        objective: ">= 99%"\n'
LATENCY = (
    "      - name: latency\n        query: 'latency_seconds'\n        objective: \"<= 200ms\"\n"
)
RAIL = "      query: 'errors_ratio'\n      abortIf: \"> 0.5\"\n"
BINDING = "lab: {process: {pidFile: /tmp/none.pid}}"


def problems(text: str) -> list[str]:
    found = validate.check(textwrap.dedent(text), "exp.yaml", env=None, cli_vars={}, environ={})
    return [str(p) for p in found]


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new)


def alerts(entries: str) -> str:
    return edit("  faults:", f"  alerts:\n{entries}  faults:")


def test_new_fields_build_into_the_model() -> None:
    text = edit(
        OBJ,
        OBJ
        + "        slo: {target: 99.9%, window: 30d}\n"
        + "        judge: {rule: timeslices, window: 1s, target: 95%}\n"
        + "        severity: warning\n",
    )
    text = text.replace(
        LATENCY,
        "      - name: latency\n        preset: {name: go-goroutines, job: demo, max: 500}\n",
    )
    text = text.replace(
        BINDING, BINDING[:-1] + ", pprof: {url: 'http://127.0.0.1:8080/debug/pprof/'}}"
    )
    text = text.replace(RAIL, "      preset: {name: open-connections, job: demo, max: 200}\n")
    text = text.replace(
        "  faults:",
        "  alerts:\n    - {name: DemoAvailabilityFastBurn, within: 2m, required: true}\n    - {name: Other}\n  faults:",
    )
    assert problems(text) == []
    exp = experiment(text)
    availability, goroutines = exp.slis
    assert availability.judge.rule is JudgeRule.TIMESLICES
    assert availability.judge.slice_window == 1.0
    assert availability.judge.slice_target == pytest.approx(0.95)
    assert availability.severity is Severity.WARNING
    assert availability.slo is not None
    assert availability.slo.target == pytest.approx(0.999)
    assert availability.slo.window_seconds == 30 * 86400
    assert goroutines.kind is SliKind.PRESET
    assert goroutines.query == 'sum(go_goroutines{job="demo"})'
    assert goroutines.objective.text == "<= 500" and goroutines.unit == "count"
    assert goroutines.severity is Severity.CRITICAL  # the default
    assert exp.guardrails[0].query == 'sum(process_open_fds{job="demo"})'
    assert exp.guardrails[0].abort_if.text == "> 200"
    first, second = exp.alerts
    assert (first.name, first.within, first.required) == ("DemoAvailabilityFastBurn", 120.0, True)
    assert (second.within, second.required) == (None, False)
    pprof = exp.binding("backend").pprof
    assert pprof is not None and pprof.url == "http://127.0.0.1:8080/debug/pprof"
    assert "pprof" not in exp.binding("backend").part_names  # read only: claims no resource


@pytest.mark.parametrize(
    ("raw", "query"),
    [
        ({"name": "go-goroutines", "job": "demo"}, 'sum(go_goroutines{job="demo"})'),
        ({"name": "open-connections", "job": "api"}, 'sum(process_open_fds{job="api"})'),
        (
            {"name": "go-rss-vs-limit", "job": "demo", "limitBytes": 536870912},
            'sum(process_resident_memory_bytes{job="demo"}) / 536870912',
        ),
        (
            {"name": "go-rss-vs-limit", "job": "demo"},
            'sum(process_resident_memory_bytes{job="demo"}) / '
            'sum(container_spec_memory_limit_bytes{container="demo"})',
        ),
        (
            {"name": "go-goroutines", "job": 'a"b\\c'},
            'sum(go_goroutines{job="a\\"b\\\\c"})',
        ),
    ],
)
def test_presets_compile_to_promql(raw: dict[str, object], query: str) -> None:
    assert compile_preset(raw).query == query


def test_a_preset_percentage_limit_becomes_the_objective() -> None:
    text = edit(
        LATENCY, "      - name: rss\n        preset: {name: go-rss-vs-limit, job: demo, max: 80%}\n"
    )
    sli = experiment(text).slis[1]
    assert sli.objective.threshold == pytest.approx(0.8) and sli.unit == "ratio"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            edit(OBJ, OBJ + "        slo: {target: 100%, window: 30d}\n"),
            "exp.yaml:22:23: spec.steadyState.slis[0].slo.target: an SLO target must be below "
            "100%, got '100%'; expected e.g. 99.9%",
            id="slo-target-100",
        ),
        pytest.param(
            edit(OBJ, OBJ + "        slo: {target: 99.9%, window: 30days}\n"),
            "exp.yaml:22:38: spec.steadyState.slis[0].slo.window: '30days' is not valid; "
            "expected a duration",
            id="slo-window",
        ),
        pytest.param(
            edit(OBJ, OBJ + "        slo: {target: 99.9%}\n"),
            "exp.yaml:22:14: spec.steadyState.slis[0].slo: missing required key 'window'",
            id="slo-missing-window",
        ),
        pytest.param(
            edit(OBJ, OBJ + "        judge: {rule: timeslices, window: 1s}\n"),
            "exp.yaml:22:16: spec.steadyState.slis[0].judge: rule timeslices needs target",
            id="timeslices-missing-target",
        ),
        pytest.param(
            edit(OBJ, OBJ + "        judge: {rule: timeslices, window: 4s, target: 95%}\n"),
            "exp.yaml:22:43: spec.steadyState.slis[0].judge.window: in the baseline: no full 4s "
            "slice fits",
            id="timeslices-not-judgeable",
        ),
        pytest.param(
            edit(OBJ, OBJ + "        judge: {rule: timeslices, window: 1s, target: 95}\n"),
            "exp.yaml:22:55: spec.steadyState.slis[0].judge.target: expected a string, got an "
            "integer 95",
            id="timeslices-target-not-percent",
        ),
        pytest.param(
            edit(OBJ, OBJ + "        judge: {rule: ticks-ratio, min: 95%, window: 10s}\n"),
            "spec.steadyState.slis[0].judge.window: 'window' belongs to rule timeslices, not "
            "'ticks-ratio'",
            id="timeslice-key-on-another-rule",
        ),
        pytest.param(
            edit(OBJ, OBJ + "        severity: high\n"),
            "exp.yaml:22:19: spec.steadyState.slis[0].severity: 'high' is not allowed; expected "
            "one of: critical, warning",
            id="severity",
        ),
        pytest.param(
            alerts("    - {name: 'demo burn'}\n"),
            "exp.yaml:30:14: spec.alerts[0].name: 'demo burn' is not valid; expected a "
            "Prometheus alert name",
            id="alert-name",
        ),
        pytest.param(
            alerts("    - {name: X, within: soon}\n"),
            "exp.yaml:30:25: spec.alerts[0].within: 'soon' is not valid; expected a duration",
            id="alert-within",
        ),
        pytest.param(
            alerts("    - {name: X, required: yes please}\n"),
            "exp.yaml:30:27: spec.alerts[0].required: expected a boolean",
            id="alert-required",
        ),
        pytest.param(
            alerts("    - {name: X}\n    - {name: X}\n"),
            "exp.yaml:31:14: spec.alerts[1].name: duplicate name 'X'; names must be unique",
            id="alert-duplicate",
        ),
        pytest.param(
            edit(BINDING, BINDING[:-1] + ", pprof: {port: 8080}}"),
            "exp.yaml:16:57: spec.targets.backend.bindings.lab.pprof: the local driver needs "
            "pprof.url",
            id="pprof-local-needs-url",
        ),
        pytest.param(
            edit(BINDING, BINDING[:-1] + ", pprof: {url: 'localhost'}}"),
            "exp.yaml:16:63: spec.targets.backend.bindings.lab.pprof.url: 'localhost' is not a URL",
            id="pprof-url",
        ),
        pytest.param(
            edit(
                LATENCY, "      - name: latency\n        preset: {name: go-goroutines, job: demo}\n"
            ),
            "exp.yaml:22:9: spec.steadyState.slis[1]: missing objective",
            id="preset-without-max-or-objective",
        ),
        pytest.param(
            edit(
                LATENCY,
                "      - name: latency\n        preset: {name: go-threads, job: demo, max: 5}\n",
            ),
            "exp.yaml:23:24: spec.steadyState.slis[1].preset.name: 'go-threads' is not allowed",
            id="preset-name",
        ),
        pytest.param(
            edit(
                LATENCY,
                "      - name: latency\n        preset: {name: go-rss-vs-limit, job: demo, max: 80}\n",
            ),
            "exp.yaml:23:57: spec.steadyState.slis[1].preset.max: bad limit 80; expected a "
            "percentage such as 80%",
            id="preset-rss-max-not-percent",
        ),
        pytest.param(
            edit(LATENCY, "      - name: latency\n        preset: {job: demo, max: 5}\n"),
            "spec.steadyState.slis[1].preset: missing required key 'name'",
            id="preset-missing-name",
        ),
        pytest.param(
            edit(RAIL, RAIL + "      preset: {name: open-connections, job: demo, max: 200}\n"),
            "exp.yaml:26:7: spec.guardrails[0]: expected exactly one of query, preset",
            id="guardrail-query-and-preset",
        ),
        pytest.param(
            edit(RAIL, "      preset: {name: open-connections, job: demo}\n"),
            "exp.yaml:26:7: spec.guardrails[0]: missing abortIf",
            id="guardrail-preset-without-max",
        ),
    ],
)
def test_each_bad_value_is_one_located_message(text: str, expected: str) -> None:
    found = problems(text)
    assert len(found) == 1, found
    assert expected in found[0], found
