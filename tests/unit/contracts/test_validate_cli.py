"""``chaosrunner validate`` on contracts: a line per SLO, placed errors, exit 0 or 4."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chaosrunner.cli import main
from tests.support import BASE

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_contract_file_shows_each_slo_as_the_sli_it_becomes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "slo.yaml"
    shutil.copy(FIXTURES / "openslo-occurrences.yaml", path)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"contract {path}: SLO 'ping-availability' → SLI 'ping-availability': "
        '(sum(rate(fixture_requests_total{code="200"}[30s]))) / '
        "(sum(rate(fixture_requests_total[30s]))) >= 0.99, judged by every-tick",
        "contract: alert 'ping-availability-burn' expected (time to detect)",
        f"{path}: valid",
    ]


def test_a_folder_and_an_unmappable_file_exit_4_with_the_placed_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    shutil.copy(FIXTURES / "errors" / "ratio-timeslices-threshold.yaml", bad)
    assert main(["validate", str(FIXTURES / "folder"), str(bad)]) == 4
    out = capsys.readouterr().out
    assert f"{FIXTURES / 'folder'}: valid" in out
    assert f"{bad}:18:7: spec.objectives[0]: RatioTimeslices averages" in out
    assert "1 problem(s) in 2 file(s)" in out


def test_an_experiment_with_a_contract_shows_the_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(FIXTURES / "sloth.yaml", tmp_path / "slo.yaml")
    exp = tmp_path / "exp.yaml"
    exp.write_text(BASE.replace("  steadyState:\n", "  steadyState:\n    contract: slo.yaml\n"))
    assert main(["validate", str(exp)]) == 0
    out = capsys.readouterr().out
    assert f"contract {tmp_path / 'slo.yaml'}: SLO 'requests-availability' → SLI" in out
    assert out.endswith(f"{exp}: valid\n")


def test_probing_a_contract_needs_a_prometheus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "slo.yaml"
    shutil.copy(FIXTURES / "sloth.yaml", path)
    assert main(["validate", "--probe", str(path)]) == 4
    assert f"{path}: --probe needs --prometheus URL" in capsys.readouterr().out


def test_probing_an_unreachable_prometheus_is_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "slo.yaml"
    shutil.copy(FIXTURES / "sloth.yaml", path)
    assert main(["validate", "--probe", "--prometheus", "http://127.0.0.1:9", str(path)]) == 4
    assert "Prometheus at http://127.0.0.1:9 is unreachable" in capsys.readouterr().err
