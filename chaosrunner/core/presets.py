"""Saturation presets: ready-made SLIs and guardrails for Go services, named instead of spelled.

A file writes ``preset: {name: go-goroutines, job: demo, max: 500}`` and gets the PromQL a Go
service's standard metrics need (client_golang's Go and process collectors), compiled here at
build time so the journal keeps the exact query, as for every other SLI form. ``max`` is the
limit: an SLI without its own ``objective`` gets ``<= max``, a guardrail without ``abortIf``
gets ``> max``.

- ``go-goroutines``: ``sum(go_goroutines{job="J"})``, a count.
- ``go-rss-vs-limit``: resident memory over the memory limit, a ratio (``max`` a percentage).
  The limit is ``limitBytes`` when given (a local process has no container limit), otherwise
  cAdvisor's ``container_spec_memory_limit_bytes`` of the containers named ``container``
  (default: the job's name).
- ``open-connections``: ``sum(process_open_fds{job="J"})``, the open file descriptors, which for
  a network service are its sockets (Go exposes no connection gauge of its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chaosrunner.core.units import parse_percent


class Preset(StrEnum):
    GO_GOROUTINES = "go-goroutines"
    GO_RSS_VS_LIMIT = "go-rss-vs-limit"
    OPEN_CONNECTIONS = "open-connections"


#: Each preset's unit (as an SLI's ``unit``), for display.
UNITS = {
    Preset.GO_GOROUTINES: "count",
    Preset.GO_RSS_VS_LIMIT: "ratio",
    Preset.OPEN_CONNECTIONS: "count",
}


@dataclass(frozen=True)
class CompiledPreset:
    query: str
    unit: str
    #: The limit as written in the objective syntax ("500", "80%"), or None when not given.
    limit: str | None


def label_value(text: str) -> str:
    """``text`` as a PromQL double-quoted string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _limit(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        parse_percent(raw.strip())
        return raw.strip()
    return repr(raw)


def compile_preset(raw: Mapping[str, Any]) -> CompiledPreset:
    """The query of a ``preset`` block that passed the schema; ValueError on a bad value."""
    name = Preset(raw["name"])
    job = label_value(str(raw["job"]))
    match name:
        case Preset.GO_GOROUTINES:
            query = f"sum(go_goroutines{{job={job}}})"
        case Preset.OPEN_CONNECTIONS:
            query = f"sum(process_open_fds{{job={job}}})"
        case Preset.GO_RSS_VS_LIMIT:
            rss = f"sum(process_resident_memory_bytes{{job={job}}})"
            if "limitBytes" in raw:
                query = f"{rss} / {int(raw['limitBytes'])}"
            else:
                container = label_value(str(raw.get("container", raw["job"])))
                query = f"{rss} / sum(container_spec_memory_limit_bytes{{container={container}}})"
    return CompiledPreset(query, UNITS[name], _limit(raw.get("max")))
