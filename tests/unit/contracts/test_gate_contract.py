"""The gate's ``--contract`` takes OpenSLO and Sloth files too, not only ``kind: SLOContract``."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosrunner.core.errors import ExperimentError
from chaosrunner.runner.gate import load_contract

FIXTURES = Path(__file__).resolve().parent / "fixtures"
E2E_CONTRACT = Path(__file__).resolve().parents[2] / "e2e" / "contracts" / "demo-slos.yaml"


def test_an_openslo_file_is_a_gate_contract_of_its_slos() -> None:
    contract = load_contract(FIXTURES / "openslo-occurrences.yaml")
    assert (contract.name, contract.coverage) == ("openslo-occurrences", ())
    assert [s.name for s in contract.slis] == ["ping-availability"]


def test_a_sloth_folder_is_a_gate_contract() -> None:
    contract = load_contract(FIXTURES / "folder")
    assert [s.name for s in contract.slis] == ["availability"]


def test_the_own_form_keeps_its_coverage() -> None:
    contract = load_contract(E2E_CONTRACT)
    assert contract.name == "demo-slos"
    assert [r.fault_class for r in contract.coverage] == ["network-latency"]


def test_an_unmappable_contract_is_exit_4_material() -> None:
    with pytest.raises(ExperimentError) as caught:
        load_contract(FIXTURES / "errors" / "datadog.yaml")
    assert "cannot be queried by chaosrunner" in str(caught.value)
    with pytest.raises(ExperimentError, match="there is no file or folder"):
        load_contract(FIXTURES / "nowhere.yaml")
