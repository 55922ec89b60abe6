"""Prometheus as the metrics source, through ``prometheus-api-client``.

Queries are instant queries pinned to the tick's timestamp, so every SLI of a tick is read at
the same instant. A query-level failure is a probe error (a Reading), never an exception: the
probe loop must keep sampling the other SLIs. Only ``ping`` raises, at preflight. Library
exceptions (requests, the client's own) are converted here, once. The bearer token is kept
out of every message.

Every reading with a value is also checked for freshness (``core/freshness.py`` has the rule):
one more instant query, at the same time, asks for the newest sample and the scrape health of
each target the query reads. Data older than the bound is a STALE reading, never a value. The
bound's basis, the scrape interval of each job, and the offset between Prometheus' clock and
ours are learnt by ``ping`` at preflight.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

import structlog

from chaosrunner.core.errors import MetricsError
from chaosrunner.core.freshness import (
    FreshnessBound,
    FreshnessCheck,
    Row,
    freshness_check,
    scrape_intervals,
    stale_reason,
)
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.model import PrometheusConfig
from chaosrunner.core.ports import Reading

log = structlog.get_logger("chaosrunner.prometheus")
#: Below this, a measured clock offset is network noise and is not mentioned.
_NOTABLE_OFFSET = 0.5
#: Connections kept to Prometheus: enough for every query of a tick at once.
POOL_SIZE = 64


class _Target(TypedDict, total=False):
    """One entry of ``/api/v1/targets`` ``activeTargets`` (the fields read here)."""

    labels: dict[str, str]
    discoveredLabels: dict[str, str]
    scrapeInterval: str


def _connect(config: PrometheusConfig, timeout: float) -> QueryClient:
    from prometheus_api_client import PrometheusConnect
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    headers = {"Authorization": f"Bearer {config.bearer_token}"} if config.bearer_token else None
    retry = Retry(total=1, backoff_factor=0.1, status_forcelist=[502, 503, 504])
    client = PrometheusConnect(url=config.url, headers=headers, retry=retry, timeout=timeout)
    session = getattr(client, "_session", None)
    if session is not None:  # the client mounts a 10-connection pool; a tick asks more
        session.mount(
            config.url, HTTPAdapter(max_retries=retry, pool_maxsize=POOL_SIZE, pool_block=False)
        )
    return client  # type: ignore[no-any-return]


class QueryClient(Protocol):
    """What this source asks of ``prometheus_api_client.PrometheusConnect`` (tests pass their
    own)."""

    def custom_query(self, query: str, params: dict[str, str] | None = None) -> Any: ...

    def get_targets(self, state: str | None = None) -> Any: ...


class PrometheusSource:
    """Safe to call from several threads at once (the runner asks a tick's queries
    concurrently): the HTTP pool holds ``POOL_SIZE`` connections, and ``timeout`` (the
    runner's per-query deadline, shorter than the probe interval) bounds every request."""

    def __init__(
        self,
        config: PrometheusConfig,
        *,
        timeout: float | None = None,
        client: QueryClient | None = None,
    ) -> None:
        self.url = config.url
        self._timeout = config.timeout if timeout is None else min(config.timeout, timeout)
        self._client = client or _connect(config, self._timeout)
        self._override = config.max_sample_age
        self.bound = FreshnessBound(override=self._override)
        self._discovered = False
        #: Prometheus' clock minus ours, in seconds (measured by ``ping``).
        self.clock_offset = 0.0
        self._checks: dict[str, FreshnessCheck | str] = {}

    def ping(self) -> str:
        import requests

        try:
            data = self._client.custom_query("vector(1)")
        except requests.RequestException as exc:
            raise MetricsError(f"Prometheus at {self.url} is unreachable: {_short(exc)}") from exc
        except Exception as exc:
            raise MetricsError(f"Prometheus at {self.url} answered badly: {_short(exc)}") from exc
        if not isinstance(data, list):
            raise MetricsError(f"Prometheus at {self.url} answered an unexpected payload")
        self._discover()
        offset = (
            f"; its clock is {self.clock_offset:+.1f} s from ours"
            if abs(self.clock_offset) >= _NOTABLE_OFFSET
            else ""
        )
        return f"Prometheus at {self.url}; {self.bound.describe()}{offset}"

    def _discover(self) -> None:
        """Learn the scrape interval of each job and Prometheus' clock offset. Neither is
        essential: without them the bound falls back to the default and the offset to 0."""
        self._discovered = True
        try:
            before = time.time()
            now = self._client.custom_query("time()")
            after = time.time()
            self.clock_offset = float(now[1]) - (before + after) / 2
        except Exception as exc:  # noqa: BLE001 - any failure leaves the offset at 0
            log.debug("clock offset unknown", error=_short(exc))
        if self._override is not None:
            return
        try:
            payload = self._client.get_targets(state="active")
            targets: list[_Target] = list(payload.get("activeTargets") or [])
        except Exception as exc:  # noqa: BLE001 - the fallback bound is documented
            log.warning("scrape intervals unknown", error=_short(exc))
            return
        self.bound = FreshnessBound(scrape_intervals(_job_intervals(targets)))
        self._checks.clear()  # built under the bound they were built with

    def instant(self, query: str, at: float) -> Reading:
        reading = self._instant(query, at)
        if reading.status is not SampleStatus.OK:
            return reading
        if not self._discovered:
            self._discover()
        check = self._check(query)
        if isinstance(check, str):
            return Reading.failed(check)
        if not check.query:
            return reading
        rows = self._rows(check.query, at)
        if isinstance(rows, str):
            return Reading.failed(f"the freshness check failed: {rows}")
        why = stale_reason(check, rows, at + self.clock_offset, self.bound)
        if why:
            return Reading.stale(f"{why} (the query still answered {reading.value:.6g})")
        return reading

    def _instant(self, query: str, at: float) -> Reading:
        result = self._ask(query, at)
        return (
            Reading.failed(result.message) if isinstance(result, _Failed) else parse_result(result)
        )

    def _check(self, query: str) -> FreshnessCheck | str:
        """The freshness check of ``query`` (cached), or why it cannot be built."""
        if query not in self._checks:
            try:
                self._checks[query] = freshness_check(query, self.bound)
            except ValueError as exc:
                self._checks[query] = f"cannot check the freshness of its data: {exc}"
        return self._checks[query]

    def _rows(self, query: str, at: float) -> list[Row] | str:
        result = self._ask(query, at)
        return result.message if isinstance(result, _Failed) else parse_rows(result)

    def _ask(self, query: str, at: float) -> Any:
        """An instant query's ``data.result`` at ``at``, or ``_Failed`` saying why not."""
        import requests

        try:
            return self._client.custom_query(query, params={"time": f"{at:.3f}"})
        except requests.RequestException as exc:
            return _Failed(f"Prometheus unreachable: {_short(exc)}")
        except Exception as exc:  # noqa: BLE001 - the client raises its own and bare exceptions
            return _Failed(_short(exc))


@dataclass(frozen=True)
class _Failed:
    message: str


def _job_intervals(targets: list[_Target]) -> list[tuple[str, str]]:
    out = []
    for target in targets:
        labels = target.get("labels") or {}
        discovered = target.get("discoveredLabels") or {}
        job = labels.get("job") or discovered.get("job") or ""
        interval = target.get("scrapeInterval") or discovered.get("__scrape_interval__") or ""
        if job and interval:
            out.append((job, interval))
    return out


def parse_rows(result: Any) -> list[Row] | str:
    """The series of an instant vector's ``data.result``, or why it is not one."""
    if not isinstance(result, list):
        return f"unexpected result type {type(result).__name__}"
    rows = []
    for series in result:
        labels = series.get("metric") if isinstance(series, dict) else None
        sample = series.get("value") if isinstance(series, dict) else None
        if not isinstance(labels, Mapping) or not isinstance(sample, list) or len(sample) != 2:
            return "unexpected series in the answer"
        try:
            value = float(sample[1])
        except (TypeError, ValueError):
            return f"not a number: {sample[1]!r}"
        rows.append(Row({str(k): str(v) for k, v in labels.items()}, value))
    return rows


def parse_result(result: Any) -> Reading:
    """The single value of an instant query's ``data.result`` (vector or scalar)."""
    if isinstance(result, list) and len(result) == 2 and not isinstance(result[0], dict):
        return _value(result[1])  # a scalar: [timestamp, "value"]
    if not isinstance(result, list):
        return Reading.failed(f"unexpected result type {type(result).__name__}")
    if not result:
        return Reading.no_data("the query returned no series")
    if len(result) > 1:
        return Reading.failed(
            f"the query returned {len(result)} series; an SLI or guardrail must return one "
            "(aggregate it, e.g. with sum() or max())"
        )
    sample = result[0].get("value")
    if not isinstance(sample, list) or len(sample) != 2:
        return Reading.failed("the query returned a range vector; expected an instant value")
    return _value(sample[1])


def _value(text: Any) -> Reading:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return Reading.failed(f"not a number: {text!r}")
    if math.isnan(value):
        return Reading.no_data("the query evaluated to NaN (for a ratio: no events)")
    return Reading.ok(value)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "Max retries exceeded" in text or "Connection refused" in text:
        return "connection refused"
    return text if len(text) <= 300 else text[:300] + "…"
