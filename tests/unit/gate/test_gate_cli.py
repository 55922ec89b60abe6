from __future__ import annotations

from pathlib import Path

import pytest

from chaosrunner.cli import main

ROOT = Path(__file__).resolve().parents[3]


def test_a_contract_that_cannot_be_read_is_exit_4_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "slo.yaml"
    bad.write_text(
        "apiVersion: chaosrunner.io/v1alpha1\nkind: SLOContract\nmetadata: {name: x}\n"
        "spec: {steadyState: {slis: []}}\n"
    )
    code = main(
        ["gate", "--contract", str(bad), str(ROOT / "experiments/redis-timeout.yaml"),
         "--output-dir", str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 4
    assert "slo.yaml:4:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_schedule_refuses_a_bad_cron_with_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["schedule", str(ROOT / "experiments/redis-timeout.yaml"), "--cron", "0 10"])
    assert code == 4
    assert "--cron: '0 10' has 2 field(s)" in capsys.readouterr().err
