"""A run whose hypothesis is an OpenSLO contract: the real CLI, Prometheus and process fault.

The contract's counters become rates over the experiment's ``rateWindow``; pausing the backend
breaks the SLO, so the run FAILS on the contract's SLI, and the journal says where it came from.
"""

from __future__ import annotations

from pathlib import Path

from promlab import PromLab

from tests.integration.runs import EXPERIMENTS, run

CONTRACT = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: ping-availability
spec:
  service: backend
  indicator:
    metadata:
      name: pings
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: fixture_requests_total{code="200"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: fixture_requests_total
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.95
"""


def test_a_contract_slo_fails_the_run_when_the_backend_is_paused(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    text = (EXPERIMENTS / "fixture-pause.yaml").read_text()
    steady = text[text.index("  steadyState:\n") : text.index("  faults:\n")]
    text = text.replace(steady, "  steadyState:\n    contract: slo.yaml\n    rateWindow: 3s\n")
    (tmp_path / "slo.yaml").write_text(CONTRACT)
    experiment = tmp_path / "exp.yaml"
    experiment.write_text(text)
    code, journal, out = run(
        str(experiment),
        tmp_path,
        "--var",
        f"prom_url={lab.prometheus_url}",
        "--var",
        f"victim_pidfile={lab.backend_pidfile}",
    )
    assert code == 1, out
    (record,) = journal["slis"]
    assert record["name"] == "ping-availability"
    assert record["query"] == (
        '(sum(rate(fixture_requests_total{code="200"}[3s]))) / '
        "(sum(rate(fixture_requests_total[3s])))"
    )
    assert record["description"].startswith(f"contract {tmp_path / 'slo.yaml'}:")
    (outcome,) = journal["outcome"]["slis"]
    assert outcome["name"] == "ping-availability"
    assert (outcome["baseline"], outcome["observe"]) == ("held", "violated")
