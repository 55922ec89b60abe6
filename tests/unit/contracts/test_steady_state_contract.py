"""``steadyState.contract``: an experiment's hypothesis taken from the SLO file a team keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosrunner.core import validate
from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.model import JudgeRule
from chaosrunner.runner.contracts import read_sources, reader_for
from tests.support import BASE

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OWN_SLIS = """\
    slis:
      - name: availability
        ratio: {good: 'sum(rate(ok[5s]))', total: 'sum(rate(all[5s]))'}
        objective: ">= 99%"
      - name: latency
        query: 'latency_seconds'
        objective: "<= 200ms"
"""


def write(tmp_path: Path, steady: str, *, extra: str = "") -> Path:
    text = BASE.replace("  steadyState:\n" + OWN_SLIS, "  steadyState:\n" + steady) + extra
    assert steady in text
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


def load(path: Path) -> validate.Experiment:  # type: ignore[name-defined]
    return validate.load(path.read_text(), str(path), environ={}, contract_files=reader_for(path))


def problems(path: Path) -> list[str]:
    with pytest.raises(ExperimentError) as caught:
        load(path)
    return [str(p) for p in caught.value.problems]


def test_the_contract_alone_is_the_hypothesis_with_the_rate_window_of_the_experiment(
    tmp_path: Path,
) -> None:
    (tmp_path / "slo.yaml").write_text((FIXTURES / "sloth.yaml").read_text())
    path = write(tmp_path, "    contract: slo.yaml\n    rateWindow: 10s\n")
    experiment = load(path)
    assert [s.name for s in experiment.slis] == ["requests-availability", "requests-latency"]
    assert "[10s]" in experiment.slis[0].query
    assert experiment.slis[0].description.startswith(f"contract {tmp_path / 'slo.yaml'}:8: SLO")
    assert [(a.name, a.required) for a in experiment.alerts] == [
        ("K8sApiserverAvailabilityAlert", False)
    ]


def test_own_slis_add_to_a_contract_folder_and_declared_alerts_keep_their_settings(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "slos"
    folder.mkdir()
    (folder / "a.yaml").write_text((FIXTURES / "openslo-occurrences.yaml").read_text())
    (folder / "b.yml").write_text((FIXTURES / "openslo-threshold.yaml").read_text())
    (folder / "c.yaml").write_text((FIXTURES / "sloth.yaml").read_text())
    (folder / "README.md").write_text("not read")
    alerts = "  alerts:\n    - {name: K8sApiserverAvailabilityAlert, within: 20s, required: true}\n"
    path = write(tmp_path, "    contract: slos\n" + OWN_SLIS, extra=alerts)
    experiment = load(path)
    assert [s.name for s in experiment.slis] == [
        "requests-availability",
        "requests-latency",
        "ping-availability",
        "search-slo",
        "availability",
        "latency",
    ]
    assert experiment.slis[2].judge.rule is JudgeRule.EVERY_TICK
    assert "[30s]" in experiment.slis[2].query  # the default rate window
    assert [(a.name, a.within, a.required) for a in experiment.alerts] == [
        ("K8sApiserverAvailabilityAlert", 20.0, True),
        ("ping-availability-burn", None, False),
    ]


def test_a_name_in_both_is_an_error_at_the_experiments_sli(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(
        (FIXTURES / "openslo-threshold.yaml").read_text().replace("search-slo", "latency")
    )
    path = write(tmp_path, "    contract: slo.yaml\n" + OWN_SLIS)
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:23:15: spec.steadyState.slis[1].name: SLI 'latency' is ")
    assert "expected names unique across both" in problem


def test_a_missing_contract_is_an_error_at_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "    contract: nowhere.yaml\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:18:15: spec.steadyState.contract: cannot read ")
    assert "there is no file or folder" in problem


def test_the_contracts_own_problems_name_the_contract_file(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text((FIXTURES / "errors" / "datadog.yaml").read_text())
    path = write(tmp_path, "    contract: slo.yaml\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{tmp_path / 'slo.yaml'}:15:19: ")


def test_a_contract_slice_longer_than_the_blast_window_cannot_be_judged(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text((FIXTURES / "openslo-timeslices.yaml").read_text())
    path = write(tmp_path, "    contract: slo.yaml\n")
    found = problems(path)
    assert len(found) == 2
    assert found[0].startswith(
        f"{tmp_path / 'slo.yaml'}:33:7: spec.objectives[0].timeSliceWindow: in the "
        "experiment's baseline: no full 60s slice fits"
    )


def test_neither_slis_nor_contract_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "    rateWindow: 10s\n")
    assert problems(path) == [
        f"{path}:18:5: spec.steadyState: missing slis; expected slis, or contract: <an SLO "
        "file> (or both)"
    ]


def test_a_file_naming_a_contract_without_a_reader_is_an_error_not_a_silent_drop() -> None:
    text = BASE.replace("  steadyState:\n", "  steadyState:\n    contract: slo.yaml\n")
    problems = validate.check(text, "exp.yaml", environ={})
    assert [p.path for p in problems] == ["spec.steadyState.contract"]


def test_a_folder_without_yaml_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"holds no \.yaml or \.yml file"):
        read_sources(tmp_path)
