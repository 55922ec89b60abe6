"""Prometheus as the metrics source, through ``prometheus-api-client``.

Queries are instant queries pinned to the tick's timestamp, so every SLI of a tick is read at
the same instant. A query-level failure is a probe error (a Reading), never an exception: the
probe loop must keep sampling the other SLIs. Only ``ping`` raises, at preflight. Library
exceptions (requests, the client's own) are converted here, once. The bearer token is kept
out of every message.
"""

from __future__ import annotations

import math
from typing import Any

from chaosrunner.core.errors import MetricsError
from chaosrunner.core.model import PrometheusConfig
from chaosrunner.core.ports import Reading


class PrometheusSource:
    def __init__(self, config: PrometheusConfig) -> None:
        from prometheus_api_client import PrometheusConnect
        from urllib3.util.retry import Retry

        headers = (
            {"Authorization": f"Bearer {config.bearer_token}"} if config.bearer_token else None
        )
        self.url = config.url
        self._timeout = config.timeout
        self._client = PrometheusConnect(
            url=config.url,
            headers=headers,
            retry=Retry(total=1, backoff_factor=0.1, status_forcelist=[502, 503, 504]),
            timeout=config.timeout,
        )

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
        return f"Prometheus at {self.url}"

    def instant(self, query: str, at: float) -> Reading:
        import requests

        try:
            result = self._client.custom_query(query, params={"time": f"{at:.3f}"})
        except requests.RequestException as exc:
            return Reading.failed(f"Prometheus unreachable: {_short(exc)}")
        except Exception as exc:  # noqa: BLE001 - the client raises its own and bare exceptions
            return Reading.failed(_short(exc))
        return parse_result(result)


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
