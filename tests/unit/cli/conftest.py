"""Fixtures for the CLI tests: a `run` whose Prometheus, driver and clock are our own fakes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chaosrunner.core.plan import Plan
from chaosrunner.core.ports import RunInfo
from chaosrunner.runner import session
from chaosrunner.runner.stop import StopFlag
from tests.support import BASE, FakeClock, FakeDriver, ScriptedMetrics, steady

HEALTHY = {"ok": 1.0, "latency": 0.05, "errors_ratio": 0.0}


@dataclass
class Fakes:
    driver: FakeDriver
    metrics: ScriptedMetrics
    pings: list[str]
    file: Path

    @property
    def touched(self) -> bool:
        """Did the run reach preflight (or further)?"""
        return bool(self.pings or self.metrics.asked or self.driver.calls)


class _PingingMetrics(ScriptedMetrics):
    def __init__(self, pings: list[str]) -> None:
        super().__init__(steady(HEALTHY))
        self.pings = pings

    def ping(self) -> str:
        self.pings.append("ping")
        return super().ping()


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    """`chaosrunner run` in process, on virtual time, against fakes of our own ports."""
    pings: list[str] = []
    metrics = _PingingMetrics(pings)
    driver = FakeDriver()
    monkeypatch.setattr(session, "PrometheusSource", lambda _cfg, **_kw: metrics)
    monkeypatch.setattr(session, "make_driver", lambda _exp, _cluster=None: driver)

    def clock(stop: StopFlag) -> FakeClock:
        driver.clock = FakeClock(stop)
        return driver.clock

    monkeypatch.setattr(session, "SystemClock", clock)
    file = tmp_path / "exp.yaml"
    file.write_text(BASE)
    yield Fakes(driver, metrics, pings, file)


def crashing_preflight(driver: FakeDriver) -> None:
    """Make ``driver.preflight`` raise something that is not a ChaosRunnerError (a bug)."""

    def preflight(plan: Plan, run: RunInfo) -> list[object]:
        driver.calls.append("preflight")
        raise KeyError("selector")

    driver.preflight = preflight  # type: ignore[method-assign,assignment]
