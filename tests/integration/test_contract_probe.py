"""``chaosrunner validate --probe`` against a real Prometheus: a contract's SLI queries must
return data now (a pre-commit hook or CI step), else exit 4 naming each SLI that does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from promlab import PromLab

from chaosrunner.cli import main
from tests.support import BASE

CONTRACTS = Path(__file__).resolve().parents[1] / "unit" / "contracts" / "fixtures"
SLOTH = """\
version: "prometheus/v1"
service: "fixture"
slos:
  - name: "pings"
    objective: 99
    sli:
      events:
        error_query: sum(rate(fixture_requests_total{code="503"}[{{.window}}]))
        total_query: sum(rate(fixture_requests_total[{{.window}}]))
  - name: "missing"
    objective: 99
    sli:
      events:
        error_query: sum(rate(no_such_metric_total{code="503"}[{{.window}}]))
        total_query: sum(rate(no_such_metric_total[{{.window}}]))
"""


def test_a_contract_folder_whose_queries_return_data_passes(
    prom_lab_fresh: PromLab, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = CONTRACTS / "folder"
    assert (
        main(["validate", "--probe", "--prometheus", prom_lab_fresh.prometheus_url, str(folder)])
        == 0
    )
    out = capsys.readouterr().out
    assert f"{folder}: all 1 SLI queries return data at {prom_lab_fresh.prometheus_url}" in out


def test_an_sli_without_data_is_exit_4_naming_it(
    prom_lab_fresh: PromLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(SLOTH)
    url = prom_lab_fresh.prometheus_url
    assert main(["validate", "--probe", "--prometheus", url, str(path)]) == 4
    out = capsys.readouterr().out
    assert f"{path}: SLI 'missing' returns no data" in out
    assert f"{path}: SLI 'pings'" not in out


def test_an_experiment_is_probed_at_its_environments_prometheus(
    prom_lab_fresh: PromLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(CONTRACTS / "folder", tmp_path / "slos")
    text = BASE.replace("http://127.0.0.1:9", prom_lab_fresh.prometheus_url)
    steady = text[text.index("  steadyState:\n") : text.index("  guardrails:\n")]
    text = text.replace(steady, "  steadyState:\n    contract: slos\n    rateWindow: 10s\n")
    exp = tmp_path / "exp.yaml"
    exp.write_text(text)
    assert main(["validate", "--probe", str(exp)]) == 0
    out = capsys.readouterr().out
    assert "SLO 'availability' → SLI 'availability'" in out
    assert f"{exp}: all 1 SLI queries return data at {prom_lab_fresh.prometheus_url}" in out
