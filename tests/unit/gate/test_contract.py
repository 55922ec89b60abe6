from __future__ import annotations

import pytest

from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.gate import CoverageRequirement
from chaosrunner.core.model import SliKind
from chaosrunner.core.slo_contract import parse_contract

GOOD = """\
apiVersion: chaosrunner.io/v1alpha1
kind: SLOContract
metadata: {name: demo-slos}
spec:
  dependencies: [redis, postgres]
  steadyState:
   slis:
    - name: availability
      ratio:
        good: sum(rate(ok[1m]))
        total: sum(rate(all[1m]))
      objective: ">= 99.5%"
    - name: p95-latency
      quantile: {q: 0.95, histogram: lat_bucket, window: 10s}
      objective: "<= 200ms"
  coverage:
    required:
      - {class: network-latency, targets: all-dependencies}
      - {class: pod-kill}
      - {class: goroutine-leak, targets: [demo]}
"""


def test_the_contract_form_gives_slis_and_coverage_with_dependencies_expanded() -> None:
    contract = parse_contract(GOOD, "slo.yaml")
    assert contract.name == "demo-slos"
    assert [(s.name, s.kind) for s in contract.slis] == [
        ("availability", SliKind.RATIO),
        ("p95-latency", SliKind.QUANTILE),
    ]
    assert contract.coverage == (
        CoverageRequirement("network-latency", ("redis", "postgres")),
        CoverageRequirement("pod-kill"),
        CoverageRequirement("goroutine-leak", ("demo",)),
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('objective: ">= 99.5%"', "", "spec.steadyState.slis[0]: missing objective"),
        ("class: pod-kill", "class: pod-kil", "spec.coverage.required[1].class: 'pod-kil' is not"),
        ('objective: ">= 99.5%"', "objectiv: 1", "spec.steadyState.slis[0].objectiv: unknown key"),
        ("  dependencies: [redis, postgres]\n", "", "spec.coverage.required[0].targets: "),
        (
            "name: p95-latency",
            "name: availability",
            "spec.steadyState.slis[1].name: duplicate name 'availability'",
        ),
    ],
)
def test_what_cannot_be_read_is_an_error_at_its_line_and_field(
    old: str, new: str, expected: str
) -> None:
    text = GOOD.replace(old, new)
    with pytest.raises(ExperimentError) as info:
        parse_contract(text, "slo.yaml")
    messages = [str(p) for p in info.value.problems]
    assert any(expected in m and m.startswith("slo.yaml:") for m in messages), messages
