"""Interrupting ``chaosrunner gate`` (in process, on fakes and virtual time, a real SIGTERM):
the running experiment rolls back and is ABORTED, the rest are recorded as not run
(INCONCLUSIVE, as in a game day), the gate is exit 2, and nothing is left injected."""

from __future__ import annotations

import os
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosrunner.cli import main
from chaosrunner.core.plan import PlannedFault
from chaosrunner.core.ports import Handle, RunInfo
from chaosrunner.core.verdict import Verdict
from tests.support import BASE
from tests.unit.cli.conftest import Fakes

CONTRACT = """\
apiVersion: chaosrunner.io/v1alpha1
kind: SLOContract
metadata: {name: blue}
spec:
  steadyState:
    slis:
      - name: latency
        query: 'latency_seconds'
        objective: "<= 200ms"
"""


@pytest.fixture
def signals_restored() -> Iterator[None]:
    """handle_signals leaves SIGINT/SIGTERM ignored after a handled stop: give pytest its own."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_a_signal_aborts_the_running_experiment_and_the_rest_are_not_run(
    fakes: Fakes, tmp_path: Path, signals_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for name in ("red-one", "red-two", "red-three"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(BASE.replace("unit-exp", name))
        files.append(str(path))
    contract = tmp_path / "slo.yaml"
    contract.write_text(CONTRACT)
    inject = fakes.driver.inject

    def inject_then_signal(fault: PlannedFault, run: RunInfo) -> Handle:
        handle = inject(fault, run)
        os.kill(os.getpid(), signal.SIGTERM)  # Ctrl-C from CI, mid-blast
        return handle

    fakes.driver.inject = inject_then_signal  # type: ignore[method-assign]
    out = tmp_path / "gate"
    code = main(["gate", "--contract", str(contract), *files, "--output-dir", str(out)])
    printed = capsys.readouterr().out
    assert code == Verdict.ABORTED.exit_code == 2, printed
    assert "red-one: ABORTED" in printed
    assert "red-two: INCONCLUSIVE: not run" in printed and "red-three: INCONCLUSIVE" in printed
    assert "gate ABORTED (exit 2)" in printed
    assert fakes.driver.active == set()  # rolled back: nothing left injected
    assert fakes.driver.calls.count("inject:pause-backend") == 1  # the rest never started
    assert [p.name for p in sorted(out.iterdir()) if p.is_dir()] == ["01-red-one"]
    cases = ET.parse(out / "junit.xml").getroot().iter("testcase")
    status = {c.get("classname", "") + "/" + c.get("name", ""): [x.tag for x in c] for c in cases}
    assert len(status) == 3 and all(tags for tags in status.values()), status
