"""The lab's Prometheus loads the demo's burn-rate alerts (issue #11: the game day tests its alert)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from chaosrunner import lab
from chaosrunner.lab import components
from chaosrunner.lab.layout import Layout


def test_prometheus_config_loads_the_alert_rule_file(tmp_path: Path) -> None:
    ports = lab.LabPorts.from_base(20000)
    layout = Layout(tmp_path)
    components.write_configs(layout, ports)
    config = (layout.dir / "prometheus.yml").read_text()
    rules = layout.dir / "alerts.yml"
    assert f"rule_files: ['{rules}']" in config
    text = rules.read_text()
    assert "alert: DemoAvailabilityFastBurn" in text
    assert "alert: DemoAvailabilitySlowBurn" in text
    # multiwindow: a long and a short window at the same burn rate, scaled for a short lab run
    assert "[1m]" in text and "[10s]" in text and "(14.4 * 0.005)" in text
    assert "[2m]" in text and "[20s]" in text and "(6 * 0.005)" in text


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_the_alert_rules_are_valid_for_prometheus(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yml"
    rules.write_text(components.alert_rules())
    done = subprocess.run(
        ["promtool", "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 rules found" in done.stdout
