"""Proves the integration lab is real: a real Prometheus scraping a real exporter whose
SLIs react to SIGSTOP / SIGKILL of real processes. Queries use plain HTTP GET to
/api/v1/query (promlab.prom_query), not the product's adapter.

Measured durations are printed as `MEASURE name=value` (see them with `-s` or `-rP`).
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request

import pytest
from promlab import (
    AVAILABILITY_QUERY,
    PromLab,
    ensure_running,
    paused,
    process_state,
    prom_query,
    prom_value,
    read_pid,
    wait_for,
    wait_until_healthy,
)


def measure(record_property: pytest.RecordProperty, name: str, seconds: float) -> None:
    record_property(name, round(seconds, 2))
    print(f"MEASURE {name}={seconds:.2f}s")


def test_lab_processes_and_pidfiles(prom_lab_fresh: PromLab) -> None:
    lab = prom_lab_fresh
    for pidfile, pid in (
        (lab.backend_pidfile, lab.backend_pid),
        (lab.exporter_pidfile, lab.exporter_pid),
        (lab.decoy_pidfile, lab.decoy_pid),
    ):
        assert read_pid(pidfile) == pid
        assert process_state(pid) in {"R", "S"}
    assert len({lab.backend_pid, lab.exporter_pid, lab.decoy_pid, os.getpid()}) == 4
    for url in (lab.prometheus_url, lab.exporter_url):
        assert url.startswith("http://127.0.0.1:")
    assert (lab.workdir / "prometheus.yml").is_file()


def test_exporter_serves_prometheus_text_format(prom_lab_fresh: PromLab) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(prom_lab_fresh.exporter_url + "/metrics", timeout=5) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = resp.read().decode()
    assert "# TYPE fixture_requests_total counter" in text
    assert 'fixture_requests_total{code="200"} ' in text
    assert 'fixture_requests_total{code="503"} ' in text
    assert "# TYPE fixture_backend_up gauge" in text
    assert "fixture_backend_up 1" in text
    assert "# TYPE fixture_request_duration_seconds histogram" in text
    for le in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.2", "0.5", "1.0", "+Inf"):
        assert f'fixture_request_duration_seconds_bucket{{le="{le}"}} ' in text
    assert "fixture_request_duration_seconds_sum " in text
    assert "fixture_request_duration_seconds_count " in text


def test_prometheus_scrapes_all_series(prom_lab_fresh: PromLab) -> None:
    url = prom_lab_fresh.prometheus_url
    codes = {r["metric"]["code"] for r in prom_query(url, "fixture_requests_total")}
    assert codes == {"200", "503"}
    assert prom_value(url, 'up{job="fixture"}') == 1.0
    assert prom_value(url, "fixture_backend_up") == 1.0
    p99 = prom_value(
        url,
        "histogram_quantile(0.99, sum by (le) (rate(fixture_request_duration_seconds_bucket[5s])))",
    )
    assert p99 is not None and 0 < p99 <= 0.2


def test_availability_is_one_while_healthy(prom_lab_fresh: PromLab) -> None:
    ratio = prom_value(prom_lab_fresh.prometheus_url, AVAILABILITY_QUERY)
    assert ratio is not None
    assert ratio == pytest.approx(1.0, abs=0.01)


def test_backend_pause_drops_availability_then_recovers(
    prom_lab_fresh: PromLab, record_property: pytest.RecordProperty
) -> None:
    lab = prom_lab_fresh
    url = lab.prometheus_url
    samples: list[tuple[float, float | None]] = []
    dropped_after: float | None = None
    with paused(lab.backend_pid) as stopped_at:
        assert process_state(lab.backend_pid) == "T"
        while time.monotonic() - stopped_at < 4.0:
            ratio = prom_value(url, AVAILABILITY_QUERY)
            elapsed = time.monotonic() - stopped_at
            samples.append((round(elapsed, 2), ratio))
            if dropped_after is None and ratio is not None and ratio < 0.9:
                dropped_after = elapsed
            time.sleep(0.2)
        backend_up_while_paused = prom_value(url, "fixture_backend_up")
    # paused() has sent SIGCONT.
    resumed_at = time.monotonic()
    assert process_state(lab.backend_pid) != "T"
    assert dropped_after is not None, f"availability never dropped below 0.9: {samples}"
    measure(record_property, "availability_below_0.9_after_sigstop", dropped_after)
    min_ratio = min(r for _, r in samples if r is not None)
    print(f"MEASURE min_availability_during_pause={min_ratio:.3f}")
    assert backend_up_while_paused == 0.0

    ratio = wait_until_healthy(lab, timeout=20.0)
    measure(record_property, "availability_recovered_after_sigcont", time.monotonic() - resumed_at)
    assert ratio == pytest.approx(1.0, abs=0.01)


def test_decoy_pause_does_not_affect_availability(prom_lab_fresh: PromLab) -> None:
    lab = prom_lab_fresh
    worst = 1.0
    with paused(lab.decoy_pid) as stopped_at:
        assert process_state(lab.decoy_pid) == "T"
        while time.monotonic() - stopped_at < 3.0:
            ratio = prom_value(lab.prometheus_url, AVAILABILITY_QUERY)
            assert ratio is not None
            worst = min(worst, ratio)
            time.sleep(0.25)
    assert worst >= 0.99


def test_exporter_pause_makes_series_stale(
    prom_lab_fresh: PromLab, record_property: pytest.RecordProperty
) -> None:
    lab = prom_lab_fresh
    url = lab.prometheus_url
    assert prom_value(url, "fixture_backend_up") == 1.0
    with paused(lab.exporter_pid) as stopped_at:

        def gone() -> float | None:
            if prom_query(url, "fixture_backend_up"):
                return None
            return time.monotonic() - stopped_at

        stale_after = wait_for(gone, timeout=15.0, interval=0.1, what="fixture_backend_up stale")
        measure(record_property, "fixture_backend_up_empty_after_exporter_sigstop", stale_after)
        assert prom_value(url, 'up{job="fixture"}') == 0.0
    resumed_at = time.monotonic()
    wait_for(
        lambda: prom_value(url, "fixture_backend_up") == 1.0,
        timeout=15.0,
        what="fixture_backend_up back to 1",
    )
    measure(record_property, "fixture_backend_up_back_after_sigcont", time.monotonic() - resumed_at)
    assert stale_after < 10.0


def test_ensure_running_restarts_killed_processes(
    prom_lab_fresh: PromLab, record_property: pytest.RecordProperty
) -> None:
    lab = prom_lab_fresh
    old = (lab.backend_pid, lab.exporter_pid, lab.decoy_pid)
    # Leave one paused and kill the others, as a careless experiment might.
    os.kill(lab.decoy_pid, signal.SIGSTOP)
    for pid in (lab.backend_pid, lab.exporter_pid):
        os.kill(pid, signal.SIGKILL)
    try:
        # Prometheus notices: the scrape target is down.
        wait_for(
            lambda: prom_value(lab.prometheus_url, 'up{job="fixture"}') == 0.0,
            timeout=10.0,
            what="exporter target down",
        )
        t0 = time.monotonic()
        new_lab = ensure_running(lab)
        healthy_ratio = wait_until_healthy(new_lab, timeout=30.0)
        measure(record_property, "ensure_running_to_healthy", time.monotonic() - t0)
    finally:
        os.kill(lab.decoy_pid, signal.SIGCONT)  # no-op when ensure_running got that far
    assert new_lab.decoy_pid == lab.decoy_pid
    assert process_state(new_lab.decoy_pid) in {"R", "S"}  # ensure_running sent SIGCONT
    assert new_lab.backend_pid not in old and new_lab.exporter_pid not in old
    assert read_pid(new_lab.backend_pidfile) == new_lab.backend_pid
    assert read_pid(new_lab.exporter_pidfile) == new_lab.exporter_pid
    assert new_lab.prometheus_url == lab.prometheus_url
    assert new_lab.exporter_url == lab.exporter_url
    assert healthy_ratio == pytest.approx(1.0, abs=0.01)
