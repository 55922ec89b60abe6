"""OpenSLO v1 and Sloth files, written the way their specs show them, become checked hypotheses.

Each fixture under ``fixtures/`` is one shape from a spec (a budgeting method, good/total or
bad/total, a threshold, a referenced SLI, a Sloth service); the tests pin the PromQL, objective
and judge rule each becomes, and that what cannot be mapped is a placed error, never dropped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosrunner.core.contracts import Contract, looks_like_contract, read_contract
from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.model import JudgeRule, SliKind
from chaosrunner.core.units import Comparator

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read(*names: str, rate_window: float = 30.0) -> Contract:
    sources = [(name, (FIXTURES / name).read_text()) for name in names]
    return read_contract(sources, rate_window=rate_window)


def problems(name: str) -> list[str]:
    with pytest.raises(ExperimentError) as caught:
        read(name)
    return [str(p) for p in caught.value.problems]


def test_occurrences_with_a_referenced_sli_counters_and_a_data_source() -> None:
    contract = read("openslo-occurrences.yaml", rate_window=20.0)
    (hyp,) = contract.hypotheses
    sli = hyp.sli
    assert (hyp.slo, sli.name, sli.kind) == (
        "ping-availability",
        "ping-availability",
        SliKind.RATIO,
    )
    assert sli.query == (
        '(sum(rate(fixture_requests_total{code="200"}[20s]))) / '
        "(sum(rate(fixture_requests_total[20s])))"
    )
    assert (sli.objective.comparator, sli.objective.threshold) == (Comparator.GE, 0.99)
    assert sli.judge.rule is JudgeRule.EVERY_TICK
    assert sli.slo is not None and (sli.slo.target, sli.slo.window_seconds) == (0.99, 28 * 86400)
    assert [a.name for a in contract.alerts] == ["ping-availability-burn"]
    assert contract.lines()[0] == (
        "contract openslo-occurrences.yaml: SLO 'ping-availability' → SLI 'ping-availability': "
        '(sum(rate(fixture_requests_total{code="200"}[20s]))) / '
        "(sum(rate(fixture_requests_total[20s]))) >= 0.99, judged by every-tick"
    )
    assert (hyp.line, hyp.column) == (47, 7)


def test_bad_over_total_is_one_minus_the_error_ratio_and_target_percent_a_fraction() -> None:
    (hyp,) = read("openslo-bad-total.yaml").hypotheses
    assert hyp.sli.query == (
        '1 - ((sum(rate(http_requests_total{code=~"5.."}[1m]))) / '
        "(sum(rate(http_requests_total[1m]))))"
    )
    assert hyp.sli.objective.threshold == pytest.approx(0.995)
    assert hyp.sli.slo is not None and hyp.sli.slo.window_seconds == 30 * 86400


def test_a_threshold_budgeted_by_occurrences_is_judged_on_the_share_of_ticks() -> None:
    (hyp,) = read("openslo-threshold.yaml").hypotheses
    sli = hyp.sli
    assert sli.kind is SliKind.QUERY
    assert sli.query.startswith("histogram_quantile(0.95")
    assert (sli.objective.comparator, sli.objective.threshold) == (Comparator.LT, 0.5)
    assert (sli.judge.rule, sli.judge.min_ratio) == (JudgeRule.TICKS_RATIO, 0.99)
    assert sli.slo is None  # a budget burn needs an error ratio


def test_timeslices_each_objective_is_an_sli_with_the_slice_rule() -> None:
    first, second = read("openslo-timeslices.yaml").hypotheses
    assert (first.sli.name, second.sli.name) == (
        "service-availability-1",
        "service-availability-2",
    )
    assert (first.sli.objective.comparator, first.sli.objective.threshold) == (Comparator.GT, 0.99)
    assert second.sli.objective.comparator is Comparator.GE
    for hyp, target in ((first, 0.995), (second, 0.99)):
        judge = hyp.sli.judge
        assert (judge.rule, judge.slice_window, judge.slice_target) == (
            JudgeRule.TIMESLICES,
            60.0,
            target,
        )


def test_timeslices_on_a_threshold_compare_each_tick_with_the_value() -> None:
    (hyp,) = read("openslo-threshold-timeslices.yaml").hypotheses
    assert (hyp.sli.objective.comparator, hyp.sli.objective.threshold) == (Comparator.LE, 0.2)
    assert (hyp.sli.judge.rule, hyp.sli.judge.slice_window) == (JudgeRule.TIMESLICES, 10.0)
    assert hyp.sli.judge.slice_target == 0.95


def test_ratio_timeslices_read_the_ratio_over_the_slice_and_judge_its_mean() -> None:
    (hyp,) = read("openslo-ratio-timeslices.yaml").hypotheses
    assert hyp.sli.query == (
        '(sum(rate(http_requests_total{path="/",code=~"2.."}[1m]))) / '
        '(sum(rate(http_requests_total{path="/"}[1m])))'
    )
    assert hyp.sli.judge.rule is JudgeRule.MEAN
    assert (hyp.sli.objective.comparator, hyp.sli.objective.threshold) == (Comparator.GT, 0.99)


def test_sloth_windows_become_the_rate_window_and_enabled_alerts_are_expected() -> None:
    contract = read("sloth.yaml", rate_window=15.0)
    availability, latency = contract.hypotheses
    assert availability.sli.query == (
        '1 - ((sum(rate(apiserver_request_total{code=~"(5..|429)"}[15s]))) / '
        "(sum(rate(apiserver_request_total[15s]))))"
    )
    assert availability.sli.objective.threshold == pytest.approx(0.999)
    assert availability.sli.judge.rule is JudgeRule.EVERY_TICK
    assert availability.sli.slo is not None and availability.sli.slo.window_seconds == 30 * 86400
    assert "{{" not in latency.sli.query and "[15s]" in latency.sli.query
    # the latency SLO's page and ticket alerts are both disabled: nothing to expect
    assert [a.name for a in contract.alerts] == ["K8sApiserverAvailabilityAlert"]
    assert "\n" not in contract.lines()[1]


def test_sloth_kubernetes_resource_with_a_raw_error_ratio() -> None:
    contract = read("sloth-k8s.yaml")
    (hyp,) = contract.hypotheses
    assert hyp.sli.query.startswith("1 - (sum_over_time(count_over_time(")
    assert "[30s]" in hyp.sli.query
    assert hyp.sli.objective.threshold == pytest.approx(0.95)
    assert [a.name for a in contract.alerts] == ["GoodWifiClientSatisfaction"]


def test_a_folder_of_files_resolves_references_across_them() -> None:
    names = sorted(f"folder/{p.name}" for p in (FIXTURES / "folder").glob("*.y*ml"))
    (hyp,) = read(*names).hypotheses
    assert hyp.file == "folder/one.yaml"
    assert hyp.sli.query == (
        '(sum(rate(fixture_requests_total{code="200"}[5s]))) / '
        "(sum(rate(fixture_requests_total[5s])))"
    )


def test_contract_files_are_told_from_experiments() -> None:
    assert looks_like_contract((FIXTURES / "sloth.yaml").read_text())
    assert looks_like_contract((FIXTURES / "sloth-k8s.yaml").read_text())
    assert looks_like_contract((FIXTURES / "openslo-threshold.yaml").read_text())
    assert not looks_like_contract("apiVersion: chaosrunner.io/v1alpha1\nkind: Experiment\n")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "datadog.yaml",
            "errors/datadog.yaml:15:19: spec.indicator.spec.ratioMetric.good.metricSource.type: "
            "data source type 'Datadog' cannot be queried by chaosrunner; expected Prometheus",
            id="non-prometheus-inline",
        ),
        pytest.param(
            "datasource-ref.yaml",
            "errors/datasource-ref.yaml:6:9: spec.type: data source type 'CloudWatch' cannot be "
            "queried by chaosrunner; expected Prometheus",
            id="non-prometheus-data-source",
        ),
        pytest.param(
            "ratio-timeslices-threshold.yaml",
            "errors/ratio-timeslices-threshold.yaml:18:7: spec.objectives[0]: RatioTimeslices "
            "averages the ratio of good to total events in each slice, so it needs a "
            "ratioMetric; a thresholdMetric cannot be mapped (expected Occurrences or Timeslices)",
            id="ratio-timeslices-on-a-threshold",
        ),
        pytest.param(
            "missing-objective.yaml",
            "errors/missing-objective.yaml:24:7: spec.objectives[0]: missing objective target; "
            "expected target: 0.99 or targetPercent: 99",
            id="missing-objective-target",
        ),
        pytest.param(
            "unknown-ref.yaml",
            "errors/unknown-ref.yaml:7:17: spec.indicatorRef: no SLI named 'nowhere' in the "
            "contract; expected an object of kind SLI in the contract",
            id="unknown-indicator-ref",
        ),
        pytest.param(
            "counter-expression.yaml",
            "errors/counter-expression.yaml:17:22: "
            "spec.indicator.spec.ratioMetric.good.metricSource.spec.query: counter: true needs "
            'a plain counter selector such as http_requests_total{code!~"5.."} (read as '
            "sum(rate(...[W]))); got 'sum(localhost_server_requests{code=~\"2xx|3xx\"})'",
            id="counter-on-an-expression",
        ),
        pytest.param(
            "not-slo.yaml",
            "errors/not-slo.yaml:1:13: apiVersion: OpenSLO 'openslo/v1alpha' is not supported; "
            "expected openslo/v1",
            id="old-openslo-version",
        ),
    ],
)
def test_what_cannot_be_mapped_is_one_placed_error(name: str, expected: str) -> None:
    assert problems(f"errors/{name}") == [expected]


def test_sloth_plugin_and_missing_objective_are_both_reported() -> None:
    assert problems("errors/sloth-plugin.yaml") == [
        "errors/sloth-plugin.yaml:8:9: slos[0].sli.plugin: an SLI plugin is Go code chaosrunner "
        "does not run; expected sli.events or sli.raw with the PromQL written out",
        "errors/sloth-plugin.yaml:9:5: slos[1].objective: missing; expected the percentage of "
        "good events, e.g. 99.9",
    ]


def test_thresholds_with_a_partial_slice_target_cannot_be_mapped() -> None:
    text = (FIXTURES / "openslo-threshold-timeslices.yaml").read_text()
    text = text.replace("timeSliceTarget: 1", "timeSliceTarget: 0.9")
    with pytest.raises(ExperimentError) as caught:
        read_contract([("t.yaml", text)])
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (19, "spec.objectives[0]")
    assert "timeSliceTarget 0.9 on a thresholdMetric cannot be mapped" in problem.message


def test_duplicate_sli_names_across_files_are_an_error_not_a_silent_overwrite() -> None:
    text = (FIXTURES / "openslo-threshold.yaml").read_text()
    with pytest.raises(ExperimentError) as caught:
        read_contract([("a.yaml", text), ("b.yaml", text)])
    assert [str(p) for p in caught.value.problems] == [
        "b.yaml:5:9: metadata.name: a second SLO named 'search-slo'; names must be unique"
    ]
    sloth = (FIXTURES / "sloth.yaml").read_text()
    with pytest.raises(ExperimentError) as caught:
        read_contract([("a.yaml", sloth), ("b.yaml", sloth)])
    first, second = caught.value.problems
    assert (first.file, first.line, first.path) == ("b.yaml", 8, "slos[0]")
    assert "as SLO 'requests-availability' at a.yaml:8 does; expected unique" in first.message
    assert second.path == "slos[1]"


def test_an_unknown_document_and_an_empty_contract_are_errors() -> None:
    with pytest.raises(ExperimentError) as caught:
        read_contract([("x.yaml", "apiVersion: v1\nkind: ConfigMap\n")])
    assert "x.yaml:1:13: apiVersion: not an SLO document" in str(caught.value)
    with pytest.raises(ExperimentError) as caught:
        read_contract([("empty.yaml", "# nothing\n---\n")])
    assert str(caught.value).startswith("empty.yaml:1:1: no SLO found")


def test_malformed_yaml_in_a_later_document_keeps_its_line() -> None:
    text = (FIXTURES / "openslo-threshold.yaml").read_text() + "---\nkind: [unclosed\n"
    with pytest.raises(ExperimentError) as caught:
        read_contract([("m.yaml", text)])
    (problem,) = caught.value.problems
    assert problem.line == 30 and "malformed YAML" in problem.message  # where libyaml stops


def test_chaosrunners_own_form_joins_a_contract_with_openslo_files() -> None:
    contract = read("own.yaml", "openslo-threshold.yaml")
    own, openslo = contract.hypotheses
    assert (own.slo, own.sli.name, own.line, own.field) == (
        "availability",
        "availability",
        9,
        "spec.steadyState.slis[0]",
    )
    assert (own.sli.judge.rule, own.sli.judge.min_ratio) == (JudgeRule.TICKS_RATIO, 0.9)
    assert openslo.sli.name == "search-slo"
    assert contract.lines()[0].startswith("contract own.yaml: SLO 'availability' → SLI")
    assert looks_like_contract((FIXTURES / "own.yaml").read_text())


def test_chaosrunners_own_form_keeps_its_own_checks() -> None:
    text = (FIXTURES / "own.yaml").read_text().replace("min: 90%", "for: 5s")
    with pytest.raises(ExperimentError) as caught:
        read_contract([("own.yaml", text)])
    assert [p.path for p in caught.value.problems] == ["spec.steadyState.slis[0].judge"]


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        pytest.param('demo_http_requests_total{route="/items/{id}",code!~"5.."}', True, id="brace"),
        pytest.param("up", True, id="bare-name"),
        pytest.param('{__name__="x", job="a}"}', True, id="no-name"),
        pytest.param("rate(x[1m])", False, id="function"),
        pytest.param("x[1m]", False, id="range"),
        pytest.param('x{a="1"} + y', False, id="expression"),
    ],
)
def test_counter_selectors_with_any_label_value(query: str, ok: bool) -> None:
    from chaosrunner.core.contracts.mapping import MappingError, counter_rate

    if ok:
        assert counter_rate(query, 10.0) == f"sum(rate({query}[10s]))"
    else:
        with pytest.raises(MappingError):
            counter_rate(query, 10.0)


def test_the_shipped_example_contracts_are_valid() -> None:
    examples = Path(__file__).resolve().parents[3] / "experiments" / "contracts"
    sources = [(p.name, p.read_text()) for p in sorted(examples.glob("*.yaml"))]
    contract = read_contract(sources)
    assert [h.slo for h in contract.hypotheses] == ["items-without-5xx", "item-availability"]
    assert [a.name for a in contract.alerts] == ["DemoAvailabilityFastBurn"]


def test_a_file_of_too_many_documents_is_one_error() -> None:
    from chaosrunner.core.contracts.documents import MAX_DOCUMENTS

    text = "\n---\n".join(["a: 1"] * (MAX_DOCUMENTS + 1))
    with pytest.raises(ExperimentError) as caught:
        read_contract([("many.yaml", text)])
    (problem,) = caught.value.problems
    assert f"more than {MAX_DOCUMENTS} documents" in problem.message
