"""The lab's configurable ports and restart delay, and how a run finds a running lab."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from chaosrunner import lab
from chaosrunner.adapters.local import procs
from chaosrunner.core.errors import LabError
from chaosrunner.lab.supervisor import restart_delay
from chaosrunner.runner import session


def test_a_port_base_gives_six_consecutive_ports() -> None:
    ports = lab.LabPorts.from_base(20000)
    assert [p for p, _ in ports.owners()] == [20000, 20001, 20002, 20003, 20004, 20005]
    assert ports.prometheus_url == "http://127.0.0.1:20005"
    with pytest.raises(LabError, match="port base 65531 out of range"):
        lab.LabPorts.from_base(65531)


@pytest.mark.parametrize(
    ("state", "failures", "expected"),
    [
        pytest.param(None, 0, 5.0, id="default-like-a-replaced-pod"),
        pytest.param({}, 1, 10.0, id="doubles"),
        pytest.param({"restartDelay": 2}, 0, 2.0, id="configured"),
        pytest.param({"restartDelay": 2}, 3, 16.0, id="configured-doubles"),
        pytest.param({"restartDelay": 5}, 10, 60.0, id="capped"),
        pytest.param({"restartDelay": 0}, 4, 0.0, id="zero-is-immediate"),
        pytest.param({"restartDelay": "x"}, 0, 5.0, id="unreadable"),
    ],
)
def test_a_dead_part_is_restarted_after_a_kubernetes_like_delay(
    state: dict[str, object] | None, failures: int, expected: float
) -> None:
    assert restart_delay(state, failures) == expected


def write_running_lab(root: Path, ports: lab.LabPorts, *, alive: bool = True) -> None:
    me = procs.lookup(os.getpid())
    assert me is not None
    supervisor = {"pid": me.pid, "starttime": me.starttime if alive else me.starttime + 1}
    (root / "lab").mkdir(parents=True)
    state = {"version": 1, "ports": ports.to_json(), "supervisor": supervisor}
    (root / "lab" / "lab.json").write_text(json.dumps(state))


def test_a_running_lab_publishes_its_addresses(tmp_path: Path) -> None:
    write_running_lab(tmp_path, lab.LabPorts.from_base(21000))
    assert lab.variables(tmp_path) == {
        "LAB_DEMO_URL": "http://127.0.0.1:21003",
        "LAB_LOADGEN_URL": "http://127.0.0.1:21004",
        "LAB_PROMETHEUS_URL": "http://127.0.0.1:21005",
        "LAB_PROXY_ADDRESS": "127.0.0.1:21001",
        "LAB_REDIS_ADDRESS": "127.0.0.1:21000",
        "LAB_TOXIPROXY_URL": "http://127.0.0.1:21002",
    }


def test_a_lab_that_is_down_or_unreadable_publishes_nothing(tmp_path: Path) -> None:
    write_running_lab(tmp_path / "down", lab.LabPorts.from_base(21000), alive=False)
    assert lab.variables(tmp_path / "down") == {}
    assert lab.variables(tmp_path / "none") == {}
    (tmp_path / "torn" / "lab").mkdir(parents=True)
    (tmp_path / "torn" / "lab" / "lab.json").write_text("{")
    assert lab.variables(tmp_path / "torn") == {}


EXPERIMENT = textwrap.dedent("""\
    apiVersion: chaosrunner.io/v1alpha1
    kind: Experiment
    metadata: {name: finds-the-lab}
    spec:
      defaultEnv: lab
      variables:
        LAB_PROMETHEUS_URL: {default: "http://127.0.0.1:19090"}
        LAB_TOXIPROXY_URL: {default: "http://127.0.0.1:18474"}
      environments:
        lab: {driver: local, prometheus: {url: "${LAB_PROMETHEUS_URL}"}}
      targets:
        redis:
          bindings: {lab: {proxy: {name: redis, api: "${LAB_TOXIPROXY_URL}"}}}
      steadyState:
        slis: [{name: x, query: "vector(1)", objective: ">= 1"}]
      faults:
        - {name: slow, type: network-delay, target: redis, params: {latency: 10ms}}
      schedule: {baseline: 1s, blast: 10s, recovery: 1s, probeInterval: 1s}
    """)


@pytest.fixture
def lab_on_21000(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_running_lab(tmp_path, lab.LabPorts.from_base(21000))
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path))
    for name in lab.LabPorts().variables():
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT)
    return path


def test_a_run_finds_the_running_lab_without_being_told(lab_on_21000: Path) -> None:
    exp = session.load_experiment(lab_on_21000, "lab", {})
    assert exp.env.prometheus.url == "http://127.0.0.1:21005"
    assert exp.binding("redis").proxy.api == "http://127.0.0.1:21002"


def test_var_and_the_environment_override_the_running_lab(
    lab_on_21000: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAB_TOXIPROXY_URL", "http://127.0.0.1:30002")
    exp = session.load_experiment(
        lab_on_21000, "lab", {"LAB_PROMETHEUS_URL": "http://127.0.0.1:30005"}
    )
    assert exp.env.prometheus.url == "http://127.0.0.1:30005"
    assert exp.binding("redis").proxy.api == "http://127.0.0.1:30002"


def test_without_a_running_lab_the_file_defaults_hold(
    lab_on_21000: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path / "elsewhere"))
    exp = session.load_experiment(lab_on_21000, "lab", {})
    assert exp.env.prometheus.url == "http://127.0.0.1:19090"
