"""Validation: every problem located as FILE:LINE:COLUMN: field.path, saying what was expected."""

from __future__ import annotations

import textwrap

import pytest

from chaosrunner.core import validate
from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.model import DriverKind, JudgeRule, NoDataPolicy, SliKind
from tests.support import BASE, experiment


def problems(
    text: str, env: str | None = None, environ: dict[str, str] | None = None, **cli_vars: str
) -> list[str]:
    found = validate.check(
        textwrap.dedent(text), "exp.yaml", env=env, cli_vars=cli_vars, environ=environ or {}
    )
    return [str(p) for p in found]


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new)


def test_the_base_experiment_is_valid() -> None:
    assert problems(BASE) == []
    exp = experiment()
    assert exp.env.driver is DriverKind.LOCAL
    assert [s.kind for s in exp.slis] == [SliKind.RATIO, SliKind.QUERY]
    assert exp.slis[0].query == "(sum(rate(ok[5s]))) / (sum(rate(all[5s])))"
    assert exp.slis[0].objective.threshold == pytest.approx(0.99)
    assert exp.slis[1].objective.threshold == pytest.approx(0.2)
    assert exp.slis[0].judge.rule is JudgeRule.EVERY_TICK
    assert exp.slis[0].no_data is NoDataPolicy.INCONCLUSIVE
    assert exp.schedule.probe_interval == 1.0 and exp.schedule.expiry_margin == 30.0


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "  owner: sre\n",
            "  owner: sre\n  team: x\n",
            "exp.yaml:7:3: metadata.team: unknown key 'team'; expected one of: description, name, owner, tags",
            id="unknown-key",
        ),
        pytest.param(
            '        objective: ">= 99%"\n',
            '        objective: ">= 99%"\n        judgee: mean\n',
            "exp.yaml:22:9: spec.steadyState.slis[0].judgee: unknown key 'judgee' (did you mean 'judge'?);",
            id="unknown-key-suggestion",
        ),
        pytest.param(
            "probeInterval: 1s}",
            "probeInterval: 1}",
            "exp.yaml:33:68: spec.schedule.probeInterval: expected a string, got an integer 1",
            id="wrong-type",
        ),
        pytest.param(
            "blast: 5s",
            "blast: 5 seconds",
            "exp.yaml:33:35: spec.schedule.blast: '5 seconds' is not valid; expected a duration such as 500ms, 30s, 1m30s",
            id="bad-duration",
        ),
        pytest.param(
            'objective: ">= 99%"',
            'objective: ">= 99 percent"',
            "exp.yaml:21:20: spec.steadyState.slis[0].objective: '>= 99 percent' is not valid; expected a comparator",
            id="bad-objective",
        ),
        pytest.param(
            '        objective: ">= 99%"\n',
            '        objective: ">= 99%"\n        judge: {rule: ticks-ratio, min: 95}\n',
            "exp.yaml:22:41: spec.steadyState.slis[0].judge.min: expected a string, got an integer 95",
            id="bad-percentage-type",
        ),
        pytest.param(
            '        objective: ">= 99%"\n',
            '        objective: ">= 99%"\n        judge: {rule: ticks-ratio, min: 95.5}\n',
            "spec.steadyState.slis[0].judge.min: expected a string, got a number 95.5",
            id="bad-percentage",
        ),
        pytest.param(
            "      target: backend\n",
            "      target: frontend\n",
            "exp.yaml:32:15: spec.faults[0].target: target 'frontend' is not declared under spec.targets; declared: backend",
            id="undeclared-target",
        ),
        pytest.param(
            "      type: process-pause\n",
            "      type: process-freeze\n",
            "exp.yaml:31:13: spec.faults[0].type: 'process-freeze' is not allowed; expected one of: ",
            id="unknown-fault-type",
        ),
        pytest.param(
            "apiVersion: chaosrunner.io/v1alpha1",
            "apiVersion: chaosrunner.io/v2",
            "exp.yaml:1:13: apiVersion: expected 'chaosrunner.io/v1alpha1', got 'chaosrunner.io/v2'",
            id="api-version",
        ),
        pytest.param(
            "  name: unit-exp",
            "  name: Unit_Exp",
            "exp.yaml:4:9: metadata.name: 'Unit_Exp' is not valid; expected a lower-case DNS label",
            id="name-not-a-label",
        ),
        pytest.param(
            "      driver: local",
            "      driver: docker",
            "exp.yaml:11:15: spec.environments.lab.driver: 'docker' is not allowed; expected one of: local, chaos-mesh",
            id="unknown-driver",
        ),
        pytest.param(
            "        lab: {process: {pidFile: /tmp/none.pid}}",
            "        lab: {process: {pidFile: /tmp/none.pid, match: x}}",
            "exp.yaml:16:24: spec.targets.backend.bindings.lab.process: expected exactly one of pidFile, match, labService",
            id="process-binding-both",
        ),
        pytest.param(
            "        lab: {process: {pidFile: /tmp/none.pid}}",
            "        lab: {pods: {namespace: demo}}",
            "exp.yaml:16:15: spec.targets.backend.bindings.lab.pods: 'pods' does not apply to the local driver",
            id="binding-part-wrong-driver",
        ),
        pytest.param(
            "      target: backend\n",
            "      target: backend\n      duration: 9s\n",
            "exp.yaml:33:17: spec.faults[0].duration: the fault would run from 0s to 9s; expected it to fit the blast window of 5s",
            id="fault-longer-than-blast",
        ),
        pytest.param(
            "probeInterval: 1s}",
            "probeInterval: 10s}",
            "exp.yaml:33:35: spec.schedule.blast: the blast window (5s) must hold at least one probe interval (10s)",
            id="tick-longer-than-blast",
        ),
        pytest.param(
            "      - name: latency\n",
            "      - name: availability\n",
            "exp.yaml:22:15: spec.steadyState.slis[1].name: duplicate name 'availability'; names must be unique",
            id="duplicate-sli",
        ),
        pytest.param(
            "        query: 'latency_seconds'\n",
            "        query: 'latency_seconds'\n        ratio: {good: a, total: b}\n",
            "exp.yaml:22:9: spec.steadyState.slis[1]: expected exactly one of query, ratio, quantile, burnRate, growth, preset; found query, ratio",
            id="two-sli-forms",
        ),
        pytest.param(
            "  defaultEnv: lab",
            "  defaultEnv: prod",
            "exp.yaml:8:15: spec.defaultEnv: environment 'prod' is not declared; expected one of: lab",
            id="unknown-default-env",
        ),
        pytest.param(
            "  schedule:",
            "  schedule: {}\n  schedul:",
            "unknown key 'schedul' (did you mean 'schedule'?)",
            id="duplicate-and-typo",
        ),
    ],
)
def test_one_precise_message(old: str, new: str, expected: str) -> None:
    found = problems(edit(old, new))
    assert any(expected in p for p in found), "\n".join(found)


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = edit("blast: 5s", "blast: 5x").replace("  owner: sre\n", "  owner: sre\n  team: x\n")
    found = problems(text)
    assert len(found) >= 2
    assert any("metadata.team" in p for p in found) and any(
        "spec.schedule.blast" in p for p in found
    )


def test_malformed_yaml_is_a_located_message() -> None:
    found = problems("apiVersion: x\nmetadata: {name: [a,\n")
    assert found == ["exp.yaml:3:1: malformed YAML: did not find expected node content"]


def test_two_documents_are_refused() -> None:
    assert problems(BASE + "---\nkind: Other\n") == [
        "exp.yaml:35:1: expected one YAML document, found more"
    ]


def test_empty_file() -> None:
    assert problems("") == ["exp.yaml:1:1: the file is empty; expected an Experiment"]


def test_duplicate_keys_are_reported() -> None:
    found = problems(edit("  owner: sre\n", "  owner: sre\n  owner: ops\n"))
    assert "exp.yaml:7:3: metadata.owner: duplicate key 'owner'; each key may appear once" in found


class TestVariables:
    TEXT = BASE.replace(
        'url: "http://127.0.0.1:9"', 'url: "http://127.0.0.1:${prom_port}"'
    ).replace("probeInterval: 1s", "probeInterval: '${tick}'")

    def test_unresolved_variable_is_located(self) -> None:
        found = problems(self.TEXT, tick="1s")
        assert found == [
            "exp.yaml:12:25: spec.environments.lab.prometheus.url: variable 'prom_port' is not set; "
            "pass --var prom_port=VALUE, set the environment variable prom_port, or declare a "
            "default under spec.variables"
        ]

    def test_cli_beats_environment_beats_default(self) -> None:
        text = self.TEXT.replace(
            "spec:\n", "spec:\n  variables:\n    prom_port: {default: '7'}\n", 1
        )
        assert experiment(text, tick="1s").env.prometheus.url == "http://127.0.0.1:7"
        exp = validate.load(
            textwrap.dedent(text), "e.yaml", cli_vars={"tick": "1s"}, environ={"prom_port": "8"}
        )
        assert exp.env.prometheus.url == "http://127.0.0.1:8"
        exp = validate.load(
            textwrap.dedent(text),
            "e.yaml",
            cli_vars={"tick": "1s", "prom_port": "9"},
            environ={"prom_port": "8"},
        )
        assert exp.env.prometheus.url == "http://127.0.0.1:9"

    def test_whole_plain_scalar_is_retyped(self) -> None:
        text = BASE.replace("maxTargets", "x").replace(
            "  schedule:", "  blastRadius:\n    maxTargets: ${n}\n  schedule:"
        )
        assert experiment(text, n="3").blast_radius.max_targets == 3
        found = problems(text, n="three")
        assert any(
            "spec.blastRadius.maxTargets: expected an integer, got a string 'three'" in p
            for p in found
        )

    def test_escape_and_bad_names(self) -> None:
        text = BASE.replace(
            "description: a unit-test experiment", "description: 'costs $${dollars}'"
        )
        assert experiment(text).metadata.description == "costs ${dollars}"
        found = problems(BASE.replace("owner: sre", "owner: ${not-a-name}"))
        assert any("bad variable name 'not-a-name'" in p for p in found)
        found = problems(BASE.replace("owner: sre", "owner: ${oops"))
        assert any("unterminated '${'" in p for p in found)

    def test_secret_values_are_collected(self) -> None:
        text = BASE.replace(
            'url: "http://127.0.0.1:9"', 'url: "http://127.0.0.1:9", bearerToken: "${PROM_TOKEN}"'
        )
        exp = experiment(text, PROM_TOKEN="s3cr3t-value")
        assert exp.secrets == frozenset({"s3cr3t-value"})
        assert exp.env.prometheus.bearer_token == "s3cr3t-value"


class TestEnvironments:
    TWO = BASE.replace(
        "  targets:",
        "    cluster:\n      driver: chaos-mesh\n      prometheus: {url: '${CLUSTER_PROM}'}\n  targets:",
    )

    def test_variables_of_another_environment_do_not_block_a_run(self) -> None:
        assert experiment(self.TWO, env="lab").env.name == "lab"

    def test_validate_without_env_checks_every_environment(self) -> None:
        found = problems(self.TWO)
        assert any("CLUSTER_PROM" in p for p in found)
        assert any(
            "fault type 'process-pause' cannot run in environment 'cluster'" in p for p in found
        )

    def test_undeclared_env(self) -> None:
        with pytest.raises(ExperimentError) as err:
            experiment(env="staging")
        assert "environment 'staging' is not declared; expected one of: lab" in str(err.value)

    def test_missing_binding_for_env(self) -> None:
        text = self.TWO.replace("'${CLUSTER_PROM}'", "'http://127.0.0.1:1'")
        found = problems(text, env="cluster")
        assert any(
            "fault type 'process-pause' cannot run in environment 'cluster'" in p for p in found
        )


def test_sli_forms_compile_to_promql() -> None:
    text = BASE.replace(
        "        query: 'latency_seconds'\n",
        "        quantile: {q: 0.95, histogram: 'req_bucket{job=\"d\"}', window: 10s}\n",
    ).replace(
        "  guardrails:",
        "      - name: burn\n        burnRate: {errorRatio: 'err', slo: 99.9%}\n        objective: '<= 14.4'\n"
        "      - name: leak\n        growth: {query: 'sum(go_goroutines)', window: 1m}\n        objective: '<= 0.7%'\n"
        "        judge: {rule: sustained, for: 3s}\n  guardrails:",
    )
    exp = experiment(text)
    queries = {s.name: s.query for s in exp.slis}
    assert (
        queries["latency"]
        == 'histogram_quantile(0.95, sum by (le) (rate(req_bucket{job="d"}[10s])))'
    )
    assert queries["burn"] == "(err) / 0.001"
    assert queries["leak"] == "(deriv((sum(go_goroutines))[1m:]) * 3600) / (sum(go_goroutines))"
    assert exp.slis[3].judge.sustain_seconds == 3.0
